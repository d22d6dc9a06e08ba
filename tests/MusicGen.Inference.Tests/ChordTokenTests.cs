using MusicGen.Core.Midi;
using MusicGen.Core.Packaging;
using MusicGen.Core.Tokenization;
using MusicGen.Inference.Errors;

namespace MusicGen.Inference.Tests;

/// <summary>A real (random-weight) ONNX package whose REMI tokens carry keys and chords.</summary>
public sealed class ChordTokenTests
{
    [Fact]
    public void A_package_with_chord_tokens_says_so_and_generates_them_where_its_grammar_allows()
    {
        var package = TestPackages.Transformer("remi-keys-chords", tokenizer: new RemiTokenizer(new RemiConfig { PositionsPerQuarter = 4, KeyTokens = true, ChordTokens = true }));
        var manifest = ModelManifest.Load(package);
        Assert.True(manifest.Tokenizer.GetProperty("chordTokens").GetBoolean());
        Assert.True(manifest.Tokenizer.GetProperty("keyTokens").GetBoolean());

        using var model = MusicModel.Load(package);
        var t = Assert.IsType<RemiTokenizer>(model.Tokenizer);
        Assert.True(t.Config.ChordTokens);
        var chords = 0;
        for (long seed = 1; seed <= 3; seed++)
        {
            using var batch = model.CreateBatch(1);
            // Random weights rarely pick a chord: favour chords and the positions that start a 4/4 half bar.
            var bias = Enumerable.Range(0, t.VocabularySize).Where(i => t.TokenName(i) is var n && (n.StartsWith("Chord_", StringComparison.Ordinal) || n is "Position_0" or "Position_8"))
                .ToDictionary(i => i, _ => 6f);
            var seq = model.CreateSequence(new GenerationRequest { Bars = 4, Seed = seed, Key = "G", Sampling = new SamplingOptions { TokenBias = bias } });
            if (batch.Add(seq)) while (batch.Count > 0) batch.Step();
            var result = seq.ToResult();

            // Every token was legal where it stands (a chord only right after a segment-starting position).
            var grammar = t.CreateGrammar();
            var logits = new float[t.VocabularySize];
            var names = result.Tokens.Select(t.TokenName).ToArray();
            for (int i = 0; i < result.Tokens.Length; i++)
            {
                Array.Fill(logits, 0f);
                grammar.MaskLogits(logits);
                Assert.False(float.IsNegativeInfinity(logits[result.Tokens[i]]), $"{names[i]} at {i}");
                grammar.Accept(result.Tokens[i]);
                if (names[i].StartsWith("Chord_", StringComparison.Ordinal))
                {
                    chords++;
                    Assert.StartsWith("Position_", names[i - 1]);
                }
            }

            Assert.Equal(4, seq.Bars);
            var signature = MidiScore.Read(result.Midi).KeySignatures[0];
            Assert.Equal((1, false), (signature.SharpsFlats, signature.IsMinor)); // G major
        }

        Assert.True(chords > 0, "the random model wrote no chord in 12 bars");
    }

    [Fact]
    public void A_chord_progression_is_followed_segment_by_segment_and_refused_where_there_are_no_chord_tokens()
    {
        var package = TestPackages.Transformer("remi-keys-chords", tokenizer: new RemiTokenizer(new RemiConfig { PositionsPerQuarter = 4, KeyTokens = true, ChordTokens = true }));
        using var model = MusicModel.Load(package);
        var t = (RemiTokenizer)model.Tokenizer;
        string[] progression = ["C", "G", "Am", "F"];
        for (long seed = 1; seed <= 3; seed++)
        {
            using var batch = model.CreateBatch(1);
            var seq = model.CreateSequence(new GenerationRequest { Bars = 4, Seed = seed, Key = "C", Chords = progression });
            if (batch.Add(seq)) while (batch.Count > 0) batch.Step();
            var segments = SegmentChords(t, seq.ToResult().Tokens);
            Assert.True(segments.Count >= 4, string.Join(" ", segments));
            for (int k = 0; k < segments.Count; k++) Assert.Equal(progression[k % 4], segments[k]);
        }

        // With tempo and meter the first chord is a forced token after Position_0.
        var forced = model.CreateSequence(new GenerationRequest { MaxTokens = 8, Key = "C", TempoBpm = 100, TimeSignature = "3/4", Chords = progression });
        Assert.Equal(["BOS", "Bar", "TimeSig_3/4", "Key_C", "Position_0", "Chord_C", "Tempo_100"], forced.Tokens.ToArray().Select(t.TokenName));

        Assert.Contains("'H7' is not a chord", Assert.Throws<InvalidGenerationRequestException>(() => model.CreateSequence(new GenerationRequest { Chords = ["C", "H7"] })).Errors["chords"]);
        using var plain = MusicModel.Load(TestPackages.Transformer("remi-keys", tokenizer: new RemiTokenizer(new RemiConfig { PositionsPerQuarter = 4, KeyTokens = true })));
        var refused = Assert.Throws<InvalidGenerationRequestException>(() => plain.CreateSequence(new GenerationRequest { Chords = progression }));
        Assert.Equal($"chords: model '{plain.Package.Name}' has no chord tokens (its 'remi' tokenizer was built without them), so it cannot follow a chord progression.", refused.Errors["chords"]);
    }

    /// <summary>The chord in effect at the start of each harmony segment of the complete bars, read off the tokens.</summary>
    private static List<string> SegmentChords(RemiTokenizer t, int[] tokens)
    {
        var result = new List<string>();
        string current = "none";
        int bar = -1, numerator = 4, denominator = 4;
        var written = new Dictionary<int, string>();
        int pos = -1;
        var lastWasPosition = false;
        void CloseBar()
        {
            if (bar < 0) return;
            var steps = numerator * 4 * 4 / denominator;
            var end = lastWasPosition && pos > 0 ? pos : steps; // a bare Position before Bar cuts the bar there
            var starts = numerator % 2 == 0 && steps % 2 == 0 ? new[] { 0, steps / 2 } : [0];
            foreach (var s in starts.Where(s => s < end))
            {
                if (written.TryGetValue(s, out var c)) current = c;
                result.Add(current);
            }
            written.Clear();
        }

        foreach (var name in tokens.Select(t.TokenName))
        {
            var isPosition = name.StartsWith("Position_", StringComparison.Ordinal);
            if (name == "Bar") { CloseBar(); bar++; pos = -1; }
            else if (name.StartsWith("TimeSig_", StringComparison.Ordinal)) { var nd = name[8..].Split('/'); numerator = int.Parse(nd[0], System.Globalization.CultureInfo.InvariantCulture); denominator = int.Parse(nd[1], System.Globalization.CultureInfo.InvariantCulture); }
            else if (isPosition) pos = int.Parse(name[9..], System.Globalization.CultureInfo.InvariantCulture);
            else if (name.StartsWith("Chord_", StringComparison.Ordinal)) written[pos] = name[6..];
            lastWasPosition = isPosition;
        }

        return result; // the bar still open at the end is left out
    }
}
