using MusicGen.Onnx;
using Xunit.Abstractions;

namespace MusicGen.Onnx.Tests;

public sealed class PortableTransformerTests(ITestOutputHelper output)
{
    private const double Tolerance = 1e-4;
    private static readonly TransformerWeights Weights = TransformerWeights.Random(Models.Tiny, seed: 1);
    private static readonly Lazy<byte[]> Model = new(() => TransformerGraphs.BuildPortable(Weights).Model);

    [Fact]
    public void FullSequenceMatchesReference()
    {
        using var session = OrtHarness.CreateClean(Model.Value);
        var runner = Runners.Portable(session, Models.Tiny);
        var tokens = Models.RandomTokens(new Random(2), 24, Models.Tiny.VocabSize);
        var reference = Reference.Transformer(Weights, tokens);
        var r = runner.Run(1, tokens.Select(t => (long)t).ToArray(), Ones(24), Enumerable.Range(0, 24).Select(i => (long)i).ToArray(),
            runner.EmptyPast(), runner.EmptyPast());
        int V = Models.Tiny.VocabSize;
        double max = 0;
        for (int t = 0; t < 24; t++) max = Math.Max(max, Models.MaxAbsDiff(r.Logits.AsSpan(t * V, V), reference[t]));
        output.WriteLine($"portable full sequence: max abs diff {max:E2}");
        Assert.True(max <= Tolerance, $"max abs diff {max}");
    }

    [Fact]
    public void CachedDecodeOf512StepsMatchesReference()
    {
        using var session = OrtHarness.CreateClean(Model.Value);
        var runner = Runners.Portable(session, Models.Tiny);
        const int prompt = 8, steps = 512;
        var tokens = Models.RandomTokens(new Random(3), prompt + steps, Models.Tiny.VocabSize);
        var reference = Reference.Transformer(Weights, tokens);
        int V = Models.Tiny.VocabSize;
        var r = runner.Run(1, tokens[..prompt].Select(t => (long)t).ToArray(), Ones(prompt),
            Enumerable.Range(0, prompt).Select(i => (long)i).ToArray(), runner.EmptyPast(), runner.EmptyPast());
        double max = 0;
        for (int t = 0; t < prompt; t++) max = Math.Max(max, Models.MaxAbsDiff(r.Logits.AsSpan(t * V, V), reference[t]));
        for (int t = prompt; t < prompt + steps; t++)
        {
            r = runner.Run(1, [tokens[t]], Ones(t + 1), [t], r.PresentK, r.PresentV);
            max = Math.Max(max, Models.MaxAbsDiff(r.Logits, reference[t]));
        }
        output.WriteLine($"portable {steps} cached steps: max abs diff {max:E2}");
        Assert.True(max <= Tolerance, $"max abs diff {max}");
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void RaggedBatchOfFourMatchesReference(bool leftPadding)
    {
        using var session = OrtHarness.CreateClean(Model.Value);
        var runner = Runners.Portable(session, Models.Tiny);
        int[] lengths = [7, 3, 12, 1];
        const int decodeSteps = 6;
        int B = lengths.Length, V = Models.Tiny.VocabSize;
        var rng = new Random(4);
        var seqs = lengths.Select(n => Models.RandomTokens(rng, n + decodeSteps, V)).ToArray();
        var refs = seqs.Select(s => Reference.Transformer(Weights, s)).ToArray();

        // Prefill: row b's tokens at slots [off_b, off_b + len_b); off_b = S - len_b (left) or 0 (right). Decode:
        // every row appends one token per step at the same new slot; the mask marks it real.
        double max = 0;
        int compared = 0;
        runner.RunRagged(seqs, lengths, decodeSteps, leftPadding, (b, t, logits) =>
        {
            max = Math.Max(max, Models.MaxAbsDiff(logits, refs[b][t]));
            compared++;
        });
        Assert.Equal(lengths.Sum() + B * decodeSteps, compared);
        output.WriteLine($"portable ragged batch ({(leftPadding ? "left" : "right")} padding): max abs diff {max:E2}");
        Assert.True(max <= Tolerance, $"max abs diff {max}");
    }

    private static long[] Ones(int n) => Enumerable.Repeat(1L, n).ToArray();
}
