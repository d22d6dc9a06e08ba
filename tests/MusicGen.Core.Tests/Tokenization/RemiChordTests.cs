using MusicGen.Core.Corpus;
using MusicGen.Core.Midi;
using MusicGen.Core.Music;
using MusicGen.Core.Tokenization;

namespace MusicGen.Core.Tests.Tokenization;

public sealed class RemiChordTests
{
    private static readonly RemiTokenizer Chords = new(new RemiConfig { KeyTokens = true, ChordTokens = true });

    private static string[] ChordNames(RemiTokenizer t, IEnumerable<int> ids) =>
        [.. ids.Select(t.TokenName).Where(n => n.StartsWith("Chord_", StringComparison.Ordinal))];

    /// <summary>Block chords, one per half bar of 4/4 at 96 ticks per quarter, with a melody note on each beat.</summary>
    private static Score Progression(int numerator, params string[] chords)
    {
        var score = new Score { TicksPerQuarter = 96 };
        score.TimeSignatures.Add(new TimeSignature(0, numerator, 4));
        var block = new ScoreTrack { Program = 0 };
        var half = numerator % 2 == 0 ? numerator * 96 / 2 : numerator * 96;
        for (var i = 0; i < chords.Length; i++)
        {
            var chord = Chord.FromIndex(Enumerable.Range(0, Chord.Count).First(c => Chord.FromIndex(c).Name == chords[i]));
            foreach (var interval in chord.Intervals) block.Notes.Add(new Note(i * half, (i + 1) * half, 0, 48 + chord.Root + interval, 70));
        }

        score.Tracks.Add(block);
        return score;
    }

    [Fact]
    public void Chord_tokens_come_after_the_key_tokens_and_the_json_says_so()
    {
        var keys = new RemiTokenizer(new RemiConfig { KeyTokens = true });
        var plain = new RemiTokenizer();
        Assert.Equal(keys.VocabularySize + 84, Chords.VocabularySize);
        Assert.Equal(keys.Vocabulary.Names, Chords.Vocabulary.Names.Take(keys.VocabularySize)); // key-token packages keep their ids
        Assert.Equal("Chord_C", Chords.TokenName(keys.VocabularySize));
        Assert.Equal("Chord_Bm7", Chords.TokenName(Chords.VocabularySize - 1));
        var chordsOnly = new RemiTokenizer(new RemiConfig { ChordTokens = true });
        Assert.Equal(plain.Vocabulary.Names, chordsOnly.Vocabulary.Names.Take(plain.VocabularySize)); // so do plain ones
        Assert.DoesNotContain("chordTokens", keys.ToJson(), StringComparison.Ordinal);
        Assert.Contains("\"chordTokens\":true", Chords.ToJson(), StringComparison.Ordinal);
        Assert.True(((RemiTokenizer)TokenizerJson.FromJson(Chords.ToJson())).Config.ChordTokens);
    }

    [Fact]
    public void Each_half_bar_names_its_chord_when_it_changes_and_decoding_keeps_the_notes()
    {
        var score = Progression(4, "C", "F", "G7", "G7", "Am", "C");
        var ids = Chords.Encode(score);
        Assert.Equal(["Chord_C", "Chord_F", "Chord_G7", "Chord_Am", "Chord_C"], ChordNames(Chords, ids));
        var names = ids.Select(Chords.TokenName).ToList();
        Assert.Equal(["BOS", "Bar", "TimeSig_4/4", "Key_C", "Position_0", "Chord_C", "Program_0"], names.Take(7));
        Assert.Equal("Position_48", names[names.IndexOf("Chord_F") - 1]); // the middle of the bar at 24 per quarter
        Assert.True(RoundTrip.Measure(Chords, score).Exact);
        Assert.Equal(ids, Chords.Encode(Chords.Decode(ids)));

        // In 3/4 one chord per bar, at its start.
        var waltz = Chords.Encode(Progression(3, "C", "G7", "C"));
        Assert.All(waltz.Select(Chords.TokenName).Zip(waltz.Skip(1).Select(Chords.TokenName)).Where(p => p.Second.StartsWith("Chord_", StringComparison.Ordinal)),
            p => Assert.Equal("Position_0", p.First));
    }

    [Fact]
    public void The_grammar_takes_a_chord_only_at_a_half_bar_and_only_as_a_change()
    {
        var g = Chords.CreateGrammar();
        var logits = new float[Chords.VocabularySize];
        bool Legal(string name)
        {
            Array.Fill(logits, 0f);
            g.MaskLogits(logits);
            return !float.IsNegativeInfinity(logits[Chords.TokenId(name)]);
        }

        foreach (var name in new[] { "BOS", "Bar", "TimeSig_4/4", "Key_C" }) g.Accept(Chords.TokenId(name));
        Assert.False(Legal("Chord_C"));
        g.Accept(Chords.TokenId("Position_0"));
        Assert.True(Legal("Chord_C"));
        g.Accept(Chords.TokenId("Chord_C"));
        Assert.False(Legal("Chord_F"));
        Assert.True(Legal("Tempo_120"));
        Assert.True(Legal("Position_48"));
        Assert.True(Legal("Bar")); // a whole bar, not a cut one
        g.Accept(Chords.TokenId("Position_24"));
        Assert.False(Legal("Chord_F")); // not a segment start
        foreach (var name in new[] { "Program_0", "Pitch_60", Chords.Vocabulary.Names.First(n => n.StartsWith("Velocity_", StringComparison.Ordinal)), "Duration_1" })
        {
            Assert.True(Legal(name), name);
            g.Accept(Chords.TokenId(name));
        }

        g.Accept(Chords.TokenId("Position_48"));
        Assert.False(Legal("Chord_C")); // not a change
        Assert.True(Legal("Chord_F"));
    }

    [Fact]
    public void Chord_names_parse_back_in_any_spelling()
    {
        for (var i = 0; i < Chord.Count; i++)
        {
            Assert.True(Chord.TryParse(Chord.FromIndex(i).Name, out var back));
            Assert.Equal(Chord.FromIndex(i), back);
        }

        Assert.True(Chord.TryParse(" A#m7 ", out var bbm7));
        Assert.Equal("Bbm7", bbm7.Name);
        foreach (var bad in new[] { "", "H", "Cmin", "C9", "Bar", "C#b" }) Assert.False(Chord.TryParse(bad, out _), bad);
    }

    [Fact]
    public void A_progression_grammar_requires_each_segments_chord_where_it_changes()
    {
        var g = Chords.CreateGrammar([Chord.FromIndex(0), Chord.FromIndex(0), Chord.FromIndex(7 + 12)]); // C, C, Gm
        var logits = new float[Chords.VocabularySize];
        string[] Legal(string prefix)
        {
            Array.Fill(logits, 0f);
            g.MaskLogits(logits);
            return [.. Enumerable.Range(0, logits.Length).Where(i => !float.IsNegativeInfinity(logits[i])).Select(Chords.TokenName).Where(n => n.StartsWith(prefix, StringComparison.Ordinal))];
        }

        foreach (var name in new[] { "BOS", "Bar", "TimeSig_4/4", "Key_C" }) g.Accept(Chords.TokenId(name));
        Assert.Equal(["Position_0"], Legal("Position_")); // segment 0 must state C first
        Assert.Empty(Legal("Bar"));
        g.Accept(Chords.TokenId("Position_0"));
        Assert.Equal(["Chord_C"], Legal("")); // nothing else
        g.Accept(Chords.TokenId("Chord_C"));
        foreach (var name in new[] { "Program_0", "Pitch_60", Chords.Vocabulary.Names.First(n => n.StartsWith("Velocity_", StringComparison.Ordinal)), "Duration_1" }) g.Accept(Chords.TokenId(name));
        Assert.Contains("Position_48", Legal("Position_")); // segment 1 is C again: nothing to write
        Assert.Contains("Position_72", Legal("Position_"));
        Assert.Equal(["Bar"], Legal("Bar"));
        g.Accept(Chords.TokenId("Position_48"));
        Assert.Empty(Legal("Chord_")); // not a change, and no other chord either
        g.Accept(Chords.TokenId("Pitch_62"));
        g.Accept(Chords.TokenId(Chords.Vocabulary.Names.First(n => n.StartsWith("Velocity_", StringComparison.Ordinal))));
        g.Accept(Chords.TokenId("Duration_1"));
        g.Accept(Chords.BarId);
        Assert.Equal(["Position_0"], Legal("Position_")); // segment 2: Gm
        g.Accept(Chords.TokenId("Position_0"));
        Assert.Equal(["Chord_Gm"], Legal(""));
        g.Accept(Chords.TokenId("Chord_Gm"));
        g.Accept(Chords.TokenId("Pitch_67"));
        g.Accept(Chords.TokenId(Chords.Vocabulary.Names.First(n => n.StartsWith("Velocity_", StringComparison.Ordinal))));
        g.Accept(Chords.TokenId("Duration_1"));
        Assert.Equal("Position_48", Legal("Position_").Last()); // segment 3 (the list repeated): C, so no position past it
        Assert.Empty(Legal("Bar"));

        Assert.Throws<InvalidOperationException>(() => new RemiTokenizer(new RemiConfig { KeyTokens = true }).CreateGrammar([Chord.FromIndex(0)]));
    }

    [Fact]
    public void Nottingham_tunes_state_the_recognisers_chords_and_round_trip()
    {
        var dir = SharedDatasets.Find("nottingham");
        if (dir is null) return; // dataset not present on this machine

        var checkedTunes = 0;
        var logits = new float[Chords.VocabularySize];
        foreach (var file in CorpusBuilder.FindMidiFiles(dir).Where((_, i) => i % 31 == 0))
        {
            var score = MidiScore.Load(file);
            var ids = Chords.Encode(score);

            // Every token is legal where it stands, the ids survive decoding, the notes round-trip exactly.
            var g = Chords.CreateGrammar();
            foreach (var id in ids)
            {
                Array.Fill(logits, 0f);
                g.MaskLogits(logits);
                Assert.False(float.IsNegativeInfinity(logits[id]), $"{file}: {Chords.TokenName(id)} illegal");
                g.Accept(id);
            }

            Assert.Equal(ids, Chords.Encode(Chords.Decode(ids)));
            Assert.True(RoundTrip.Measure(Chords, score).Exact, file);
            if (score.TimeSignatures.Select(s => (s.Numerator, s.Denominator)).Distinct().Count() > 1) continue;

            // The chord tokens are ChordRecognizer's segment chords (ChordAgreement.SegmentTicks), changes only.
            var seg = ChordAgreement.SegmentTicks(score);
            var measure = seg * (score.TimeSignatures.Count > 0 && score.TimeSignatures[0].Numerator % 2 == 0 ? 2 : 1);
            var lastOnset = score.Tracks.Where(t => !t.IsDrum).SelectMany(t => t.Notes).Max(n => n.Start);
            var notes = score.Tracks.Where(t => !t.IsDrum).SelectMany(t => t.Notes).Select(n => (n.Start, n.End, n.Pitch));
            var expected = new List<string>();
            foreach (var c in ChordRecognizer.Segments(notes, seg, ((lastOnset / measure) + 1) * measure))
            {
                if (c is { } chord && (expected.Count == 0 || expected[^1] != "Chord_" + chord.Name)) expected.Add("Chord_" + chord.Name);
            }

            Assert.Equal(expected, ChordNames(Chords, ids));
            checkedTunes++;
        }

        Assert.True(checkedTunes > 20, $"{checkedTunes} tunes checked");
    }
}
