using MusicGen.Core.Corpus;
using MusicGen.Core.Midi;
using MusicGen.Core.Music;
using MusicGen.Core.Tokenization;

namespace MusicGen.Core.Tests.Corpus;

public sealed class KeyNormalizationTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("musicgen-keynorm").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    /// <summary>Scale runs and a closing tonic triad in <paramref name="key"/>, from the C <paramref name="low"/> (a multiple of 12) up.</summary>
    private static Score InKey(MusicalKey key, int low = 48, bool signature = false)
    {
        var score = new Score { TicksPerQuarter = 96 };
        score.TimeSignatures.Add(new TimeSignature(0, 4, 4));
        if (signature) score.KeySignatures.Add(new KeySignature(0, key.SharpsFlats, key.IsMinor));
        var track = new ScoreTrack();
        var steps = key.IsMinor ? MusicalKey.MinorSteps : MusicalKey.MajorSteps;
        var root = low + key.Tonic;
        var t = 0;
        for (var run = 0; run < 4; run++)
        {
            foreach (var s in steps) { track.Notes.Add(new Note(t, t + 96, 0, root + s, 80)); t += 96; }
            foreach (var s in (int[])[0, 0, 7, 7, key.IsMinor ? 3 : 4, 0]) { track.Notes.Add(new Note(t, t + 192, 0, root + s, 80)); t += 192; }
        }

        foreach (var s in (int[])[0, key.IsMinor ? 3 : 4, 7]) track.Notes.Add(new Note(t, t + 384, 0, root + s, 80));
        score.Tracks.Add(track);
        return score;
    }

    [Fact]
    public void Every_key_moves_to_the_signature_without_sharps_or_flats_by_the_shortest_way()
    {
        for (var index = 0; index < MusicalKey.Count; index++)
        {
            var key = MusicalKey.FromIndex(index);
            var shift = KeyNormalization.ShiftToC(key);
            Assert.InRange(shift, -5, 6);
            Assert.Equal(0, new MusicalKey((key.Tonic + shift + 12) % 12, key.IsMinor).SharpsFlats);
        }

        Assert.Equal(-2, KeyNormalization.ShiftToC(MusicalKey.Parse("D major")));
        Assert.Equal(5, KeyNormalization.ShiftToC(MusicalKey.Parse("E minor"))); // relative major G, up to C
        Assert.Equal(0, KeyNormalization.ShiftToC(MusicalKey.Parse("A minor")));
        Assert.Equal(6, KeyNormalization.ShiftToC(MusicalKey.Parse("F# major")));
    }

    [Theory]
    [InlineData("E major", -4)]
    [InlineData("Bb major", 2)]
    [InlineData("F# minor", 3)]
    [InlineData("C major", 0)]
    public void A_piece_is_moved_by_its_estimated_key(string name, int expected)
    {
        var score = InKey(MusicalKey.Parse(name));
        var (moved, shift) = KeyNormalization.Apply(score);
        Assert.Equal(expected, shift);
        Assert.Equal(score.AllNotes.Select(n => n.Pitch + shift), moved.AllNotes.Select(n => n.Pitch));
        Assert.Equal(0, KeyFinder.KeyMap(moved)[0].Key.SharpsFlats);
        if (shift == 0) Assert.Same(score, moved); // an unmoved piece is returned as it is
    }

    [Fact]
    public void A_plausible_key_signature_is_trusted_and_the_octave_the_other_way_keeps_notes_in_range()
    {
        // Written in E major with its signature: down 4 would leave the lowest note below 21, so up 8.
        var low = InKey(MusicalKey.Parse("E major"), low: 12, signature: true);
        var (moved, shift) = KeyNormalization.Apply(low);
        Assert.Equal(8, shift);
        Assert.Equal(low.AllNotes.Min(n => n.Pitch) + 8, moved.AllNotes.Min(n => n.Pitch));

        // Neither way fits: unmoved.
        Assert.Equal(0, KeyNormalization.Apply(InKey(MusicalKey.Parse("E major"), low: 12), pitchMin: 20, pitchMax: 34).Shift);
    }

    [Fact]
    public void The_corpus_moves_both_splits_before_augmenting_and_records_each_shift()
    {
        var input = Directory.CreateDirectory(Path.Combine(_root, "midi")).FullName;
        string[] keys = ["D major", "E minor", "Ab major", "C major", "B minor", "F major", "G major", "Eb minor"];
        for (var i = 0; i < keys.Length; i++) MidiScore.Save(InKey(MusicalKey.Parse(keys[i])), Path.Combine(input, $"{i}.mid"));
        var tokenizer = new RemiTokenizer();
        var output = Path.Combine(_root, "cache");
        CorpusBuilder.Build(new CorpusBuildOptions
        {
            Tokenizer = tokenizer, Input = input, Output = output, ValidFraction = 0.25, NormalizeKey = true,
            Augmentation = new AugmentationOptions { Copies = 1, TransposeMin = -2, TransposeMax = 2 },
        });

        var corpus = TokenCorpus.Open(output);
        Assert.True(corpus.Index.NormalizeKey);
        var entries = corpus.Index.Documents;
        var documents = entries.Select(e => corpus.Tokens.Slice((int)e.Offset, e.Length)).ToList();
        Assert.Equal(2, entries.Count(e => e.Split == "valid"));
        for (var i = 0; i < entries.Count; i++)
        {
            var e = entries[i];
            var source = MusicalKey.Parse(keys[int.Parse(Path.GetFileNameWithoutExtension(e.Source), System.Globalization.CultureInfo.InvariantCulture)]);
            Assert.Equal(KeyNormalization.ShiftToC(source), e.KeyShift);
            var key = KeyFinder.KeyMap(tokenizer.Decode(documents[i].Span))[0].Key;
            if (e.Augmentation is null) Assert.Equal(0, key.SharpsFlats); // originals of both splits in C major / A minor
            else Assert.NotEqual(0, key.SharpsFlats);                     // copies transposed from there
        }

        // Without the option nothing is recorded.
        CorpusBuilder.Build(new CorpusBuildOptions { Tokenizer = tokenizer, Input = input, Output = Path.Combine(_root, "plain") });
        var plain = TokenCorpus.Open(Path.Combine(_root, "plain"));
        Assert.False(plain.Index.NormalizeKey);
        Assert.All(plain.Index.Documents, e => Assert.Null(e.KeyShift));
        Assert.DoesNotContain("keyShift", File.ReadAllText(Path.Combine(_root, "plain", CorpusBuilder.IndexFile)), StringComparison.Ordinal);
    }
}
