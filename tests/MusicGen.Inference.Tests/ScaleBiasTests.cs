using MusicGen.Core.Music;
using MusicGen.Core.Tokenization;
using MusicGen.Inference.Sampling;

namespace MusicGen.Inference.Tests;

/// <summary>
/// The <c>scaleBias</c> option (<see cref="ScaleBias"/>): pitches outside the current key's scale are lowered, the key
/// being the latest key token or the estimate over the notes so far; on a real (random-weight) ONNX package it keeps
/// generated notes in the primer's key.
/// </summary>
public sealed class ScaleBiasTests
{
    private static readonly RemiTokenizer Remi = new(new RemiConfig { PositionsPerQuarter = 4 });
    private static readonly int CMajor = new MusicalKey(0, false).ScaleMask;
    private static readonly string Velocity = Remi.TokenName(Enumerable.Range(0, Remi.VocabularySize).First(i => Remi.TokenName(i).StartsWith("Velocity_", StringComparison.Ordinal)));

    private static void Accept(ITokenGrammar g, IMusicTokenizer t, params string[] names)
    {
        foreach (var n in names) g.Accept(t.TokenId(n));
    }

    /// <summary>Bar, position and program, then one quarter note per pitch (C major scale notes, as given).</summary>
    private static string[] Notes(params int[] pitches) =>
        ["Bar", "Position_0", "Program_0", .. pitches.SelectMany(p => new[] { $"Pitch_{p}", Velocity, "Duration_1" })];

    private static float[] Masked(ITokenGrammar g, int vocabulary)
    {
        var logits = new float[vocabulary];
        g.MaskLogits(logits);
        return logits;
    }

    [Fact]
    public void Out_of_scale_pitches_are_lowered_by_the_bias_once_eight_notes_name_a_key()
    {
        var plain = Remi.CreateGrammar();
        var biased = new ScaleBias(Remi.CreateGrammar(), PitchTokens.Of(Remi), 3f);
        foreach (var g in new[] { plain, biased })
        {
            g.Reset();
            g.Accept(Remi.Bos);
            Accept(g, Remi, Notes(60, 62, 64, 65, 67, 69, 71));
        }

        Assert.Equal(0, biased.ScaleMask); // seven notes: no key yet, nothing lowered
        Assert.Equal(Masked(plain, Remi.VocabularySize), Masked(biased, Remi.VocabularySize));

        foreach (var g in new[] { plain, biased }) Accept(g, Remi, "Pitch_72", Velocity, "Duration_1");
        Assert.Equal(CMajor, biased.ScaleMask);
        var expected = Masked(plain, Remi.VocabularySize);
        var actual = Masked(biased, Remi.VocabularySize);
        var lowered = 0;
        for (var id = 0; id < Remi.VocabularySize; id++)
        {
            var name = Remi.TokenName(id);
            var outside = name.StartsWith("Pitch_", StringComparison.Ordinal) && (CMajor >> (int.Parse(name[6..], System.Globalization.CultureInfo.InvariantCulture) % 12) & 1) == 0;
            Assert.Equal(outside ? expected[id] - 3f : expected[id], actual[id]);
            if (outside && float.IsFinite(expected[id])) lowered++;
        }

        Assert.True(lowered > 0, "no legal out-of-scale pitch was lowered");
    }

    [Fact]
    public void Drum_notes_are_not_counted_and_not_lowered()
    {
        var g = new ScaleBias(Remi.CreateGrammar(), PitchTokens.Of(Remi), 5f);
        g.Reset();
        g.Accept(Remi.Bos);
        Accept(g, Remi, ["Bar", "Position_0", "Program_Drums", .. Enumerable.Repeat(new[] { "Pitch_37", Velocity, "Duration_1" }, 9).SelectMany(x => x)]);
        Assert.Equal(0, g.ScaleMask);
        Accept(g, Remi, Notes(62, 64, 66, 67, 69, 71, 73, 74)); // D major
        Assert.Equal(new MusicalKey(2, false).ScaleMask, g.ScaleMask);
        Accept(g, Remi, "Program_Drums");
        var logits = Masked(g, Remi.VocabularySize);
        Assert.Equal(Masked(PlainAfterDrums(), Remi.VocabularySize), logits);
    }

    private static ITokenGrammar PlainAfterDrums()
    {
        var g = Remi.CreateGrammar();
        g.Reset();
        g.Accept(Remi.Bos);
        Accept(g, Remi, ["Bar", "Position_0", "Program_Drums", .. Enumerable.Repeat(new[] { "Pitch_37", Velocity, "Duration_1" }, 9).SelectMany(x => x)]);
        Accept(g, Remi, Notes(62, 64, 66, 67, 69, 71, 73, 74));
        Accept(g, Remi, "Program_Drums");
        return g;
    }

    [Fact]
    public void A_key_token_sets_the_scale_and_a_minor_key_keeps_its_leading_tone()
    {
        var keys = new RemiTokenizer(new RemiConfig { PositionsPerQuarter = 4, KeyTokens = true });
        var g = new ScaleBias(keys.CreateGrammar(), PitchTokens.Of(keys), 2f);
        g.Reset();
        g.Accept(keys.Bos);
        Accept(g, keys, "Bar", "TimeSig_4/4", "Key_Am");
        var aMinor = new MusicalKey(9, true).ScaleMask | (1 << 8); // A natural minor + G#
        Assert.Equal(aMinor, g.ScaleMask);
        Accept(g, keys, Notes(62, 66, 68, 73, 75, 78, 80, 85, 87)); // E major's notes: the key token still rules
        Assert.Equal(aMinor, g.ScaleMask);
        g.Reset();
        Assert.Equal(0, g.ScaleMask);
    }

    [Fact]
    public void On_a_real_package_every_generated_note_is_in_the_scale_of_its_moment_and_the_same_seed_gives_the_same_midi()
    {
        using var model = MusicModel.Load(TestPackages.Transformer("remi-scale", tokenizer: Remi));
        var primer = new Score { TicksPerQuarter = 480 };
        var track = new ScoreTrack();
        int[] scale = [60, 62, 64, 65, 67, 69, 71, 72, 67, 64, 60, 65];
        for (var i = 0; i < scale.Length; i++) track.Notes.Add(new Note(i * 480, (i * 480) + 400, 0, scale[i], 80));
        primer.Tracks.Add(track);

        // Replays the tokens through a fresh ScaleBias: the share of generated notes inside the scale it held just
        // before each note (the key moves with the notes, so the scale of each moment is the invariant).
        double InScale(float bias, long seed, out byte[] midi)
        {
            using var batch = model.CreateBatch(1);
            var seq = model.CreateSequence(new GenerationRequest { Primer = primer, Bars = 16, MaxTokens = 1000, Seed = seed, Sampling = new SamplingOptions { ScaleBias = bias } });
            if (batch.Add(seq)) while (batch.Count > 0) batch.Step();
            var result = seq.ToResult();
            midi = result.Midi;
            var replay = new ScaleBias(Remi.CreateGrammar(), PitchTokens.Of(Remi), 1f);
            replay.Reset();
            int notes = 0, inside = 0;
            var drums = false;
            for (var i = 0; i < result.Tokens.Length; i++)
            {
                var name = Remi.TokenName(result.Tokens[i]);
                if (name.StartsWith("Program_", StringComparison.Ordinal)) drums = name == "Program_Drums"; // drum notes are not biased
                if (i >= result.PromptTokenCount && !drums && name.StartsWith("Pitch_", StringComparison.Ordinal))
                {
                    Assert.NotEqual(0, replay.ScaleMask); // the primer's twelve notes name a key before the first generated note
                    notes++;
                    if ((replay.ScaleMask >> (int.Parse(name[6..], System.Globalization.CultureInfo.InvariantCulture) % 12) & 1) != 0) inside++;
                }
                replay.Accept(result.Tokens[i]);
            }

            Assert.True(notes >= 10, $"only {notes} notes generated");
            return inside / (double)notes;
        }

        for (long seed = 1; seed <= 3; seed++)
        {
            var free = InScale(0, seed, out _);
            var kept = InScale(100, seed, out var a);
            InScale(100, seed, out var b);
            Assert.True(free < 0.9, $"seed {seed}: the random model already keeps to the key ({free:P0}), so the test shows nothing");
            Assert.Equal(1.0, kept);
            Assert.Equal(a, b);
        }
    }

    [Fact]
    public void A_fixed_key_holds_its_scale_from_the_first_note_and_raises_its_tonic_triad_over_the_first_notes()
    {
        var plain = Remi.CreateGrammar();
        var held = new ScaleBias(Remi.CreateGrammar(), PitchTokens.Of(Remi), 3f, MusicalKey.Parse("D major"));
        var dMajor = new MusicalKey(2, false).ScaleMask;
        foreach (var g in new[] { plain, held })
        {
            g.Reset();
            g.Accept(Remi.Bos);
            Accept(g, Remi, "Bar", "Position_0", "Program_0");
        }

        Assert.Equal(dMajor, held.ScaleMask); // before any note
        float Expected(float plainLogit, int pc, bool opening) =>
            (dMajor >> pc & 1) == 0 ? plainLogit - 3f : opening && pc is 2 or 6 or 9 ? plainLogit + GenerationOptions.KeyTonicBias : plainLogit;
        void Check(bool opening)
        {
            var expected = Masked(plain, Remi.VocabularySize);
            var actual = Masked(held, Remi.VocabularySize);
            for (var id = 0; id < Remi.VocabularySize; id++)
            {
                var name = Remi.TokenName(id);
                var pc = name.StartsWith("Pitch_", StringComparison.Ordinal) ? int.Parse(name[6..], System.Globalization.CultureInfo.InvariantCulture) % 12 : -1;
                Assert.Equal(pc < 0 ? expected[id] : Expected(expected[id], pc, opening), actual[id]);
            }
        }

        Check(opening: true);
        var cMajorNotes = Enumerable.Repeat(new[] { 60, 64, 67, 72 }, GenerationOptions.KeyTonicNotes / 4).SelectMany(x => x).ToArray();
        foreach (var g in new[] { plain, held }) Accept(g, Remi, Notes(cMajorNotes)[3..]);
        Assert.Equal(dMajor, held.ScaleMask); // C major notes do not move a key that was asked for
        Check(opening: false);                // the tonic triad's lift ends after the first notes
        held.Reset();
        Assert.Equal(dMajor, held.ScaleMask);
    }

    [Fact]
    public void A_key_asked_of_a_model_without_key_tokens_keeps_every_note_in_its_scale_and_is_written()
    {
        using var model = MusicModel.Load(TestPackages.Transformer("remi-scale", tokenizer: Remi));
        var key = MusicalKey.Parse("Eb major");
        for (long seed = 1; seed <= 3; seed++)
        {
            using var batch = model.CreateBatch(1);
            var seq = model.CreateSequence(new GenerationRequest { Key = "Eb major", Bars = 8, MaxTokens = 600, Seed = seed, Sampling = new SamplingOptions { ScaleBias = 100, TokenBias = new Dictionary<int, float> { [Remi.TokenId("Program_Drums")] = float.NegativeInfinity } } });
            Assert.Equal(1, seq.PromptLength); // no forced tokens: the key is held, not written into the prompt
            if (batch.Add(seq)) while (batch.Count > 0) batch.Step();
            var result = seq.ToResult();
            var pitches = new List<string>();
            var drums = false;
            foreach (var n in result.Tokens.Skip(1).Select(Remi.TokenName))
            {
                if (n.StartsWith("Program_", StringComparison.Ordinal)) drums = n == "Program_Drums"; // drum notes are not held to a key
                else if (!drums && n.StartsWith("Pitch_", StringComparison.Ordinal)) pitches.Add(n);
            }

            Assert.True(pitches.Count >= 10, $"only {pitches.Count} notes");
            Assert.All(pitches, n => Assert.True((key.ScaleMask >> (int.Parse(n[6..], System.Globalization.CultureInfo.InvariantCulture) % 12) & 1) != 0, $"{n} is outside Eb major"));
            var written = MusicGen.Core.Midi.MidiScore.Read(result.Midi).KeySignatures;
            Assert.Equal(new KeySignature(0, -3, false), Assert.Single(written));
        }
    }

    [Fact]
    public void The_bias_is_checked_and_a_package_may_set_it()
    {
        var negative = new SamplingOptions { ScaleBias = -1 }.Check();
        Assert.Contains("scaleBias must be", negative["scaleBias"]);
        var noGrammar = new SamplingOptions { ScaleBias = 2, UseGrammar = false }.Check();
        Assert.Contains("grammar", noGrammar["scaleBias"]);
        Assert.Empty(SamplingOptions.CheckDefaults(new Dictionary<string, double> { ["scaleBias"] = 2 }));
        Assert.Equal(2f, new SamplingOptions().WithDefaults(new Dictionary<string, double> { ["scaleBias"] = 2 }).ScaleBias);
        Assert.Equal(0f, new SamplingOptions { ScaleBias = 0 }.WithDefaults(new Dictionary<string, double> { ["scaleBias"] = 2 }).ScaleBias);
    }
}
