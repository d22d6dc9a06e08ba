using MusicGen.Core.Corpus;
using MusicGen.Core.Midi;
using MusicGen.Core.Music;
using MusicGen.Core.Tokenization;

namespace MusicGen.Core.Tests.Tokenization;

/// <summary>REMI's note order at a position: lowest pitch first (the default) or highest first (<see cref="RemiConfig.DescendingPitches"/>).</summary>
public sealed class RemiNoteOrderTests
{
    private static readonly RemiTokenizer Up = new();
    private static readonly RemiTokenizer Down = new(new RemiConfig { DescendingPitches = true });

    /// <summary>A C major triad on beat 1 with a melody note on top, then a bass note and a melody note on beat 2.</summary>
    private static Score Chords()
    {
        var score = new Score { TicksPerQuarter = 480 };
        var track = new ScoreTrack();
        foreach (var p in new[] { 72, 60, 64, 67 })
        {
            track.Notes.Add(new Note(0, 480, 0, p, 90));
        }

        track.Notes.Add(new Note(480, 960, 0, 48, 90));
        track.Notes.Add(new Note(480, 960, 0, 74, 90));
        score.Tracks.Add(track);
        return score;
    }

    private static int[] Pitches(RemiTokenizer t, int[] ids) =>
        [.. ids.Select(t.TokenName).Where(n => n.StartsWith("Pitch_", StringComparison.Ordinal)).Select(n => int.Parse(n[6..], System.Globalization.CultureInfo.InvariantCulture))];

    [Fact]
    public void Notes_at_a_position_are_written_from_the_top_down_and_decode_to_the_same_score()
    {
        var score = Chords();
        Assert.Equal([60, 64, 67, 72, 48, 74], Pitches(Up, Up.Encode(score)));
        var down = Down.Encode(score);
        Assert.Equal([72, 67, 64, 60, 74, 48], Pitches(Down, down));
        Assert.Equal(Up.Vocabulary.Names, Down.Vocabulary.Names);

        // Same notes either way; each round trip exact.
        static string Notes(Score s) => string.Join(' ', s.AllNotes.Select(n => (n.Start, n.End, n.Pitch)).Order());
        Assert.Equal(Notes(Up.Decode(Up.Encode(score))), Notes(Down.Decode(down)));
        Assert.True(RoundTrip.Measure(Down, score).Exact);
    }

    [Fact]
    public void The_grammar_allows_only_falling_or_equal_pitches_at_a_position()
    {
        foreach (var (t, legalAbove) in new[] { (Up, true), (Down, false) })
        {
            var g = t.CreateGrammar();
            foreach (var name in new[] { "BOS", "Bar", "Position_0", "Program_0", "Pitch_64", "Velocity_22", "Duration_1" })
            {
                g.Accept(t.TokenId(name));
            }

            var logits = new float[t.VocabularySize];
            g.MaskLogits(logits);
            bool Legal(int pitch) => !float.IsNegativeInfinity(logits[t.TokenId("Pitch_" + pitch)]);
            Assert.True(Legal(64)); // a doubled note stays legal either way
            Assert.Equal(legalAbove, Legal(65));
            Assert.Equal(legalAbove, Legal(127));
            Assert.Equal(!legalAbove, Legal(63));
            Assert.Equal(!legalAbove, Legal(0));

            // A new position starts the order again: every pitch is legal after its first Program.
            g.Accept(t.TokenId("Position_12"));
            g.MaskLogits(logits = new float[t.VocabularySize]);
            Assert.True(Legal(0) && Legal(127));
        }
    }

    [Fact]
    public void The_json_names_the_order_only_when_it_is_descending()
    {
        Assert.DoesNotContain("descendingPitches", Up.ToJson(), StringComparison.Ordinal); // old packages' JSON unchanged
        Assert.Contains("\"descendingPitches\":true", Down.ToJson(), StringComparison.Ordinal);
        Assert.True(((RemiTokenizer)TokenizerJson.FromJson(Down.ToJson())).Config.DescendingPitches);
        Assert.True(((RemiTokenizer)TokenizerJson.FromJson("""{"kind": "remi", "version": 1, "descendingPitches": true}""")).Config.DescendingPitches);
    }

    [Fact]
    public void Pop909_songs_round_trip_exactly_and_give_the_same_notes_in_either_order()
    {
        var dir = SharedDatasets.Find("pop909");
        if (dir is null)
        {
            return; // dataset not present on this machine
        }

        var checkedFiles = 0;
        foreach (var file in CorpusBuilder.FindMidiFiles(dir).Where((_, i) => i % 97 == 0))
        {
            var score = MidiScore.Load(file);
            var down = Down.Encode(score);
            var up = Up.Encode(score);
            Assert.Equal(up.Length, down.Length);
            Assert.Equal(Up.Decode(up).AllNotes.Select(n => (n.Start, n.End, n.Pitch, n.Velocity)).Order(), Down.Decode(down).AllNotes.Select(n => (n.Start, n.End, n.Pitch, n.Velocity)).Order());

            // The grammar accepts every token of the encoding: no masked token on the way.
            var g = Down.CreateGrammar();
            var logits = new float[Down.VocabularySize];
            foreach (var id in down)
            {
                Array.Clear(logits);
                g.MaskLogits(logits);
                Assert.False(float.IsNegativeInfinity(logits[id]), $"{file}: {Down.TokenName(id)} masked");
                g.Accept(id);
            }

            checkedFiles++;
        }

        Assert.True(checkedFiles >= 8, $"{checkedFiles} files");
    }
}
