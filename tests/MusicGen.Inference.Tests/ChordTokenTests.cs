using MusicGen.Core.Midi;
using MusicGen.Core.Packaging;
using MusicGen.Core.Tokenization;

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
}
