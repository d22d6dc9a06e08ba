using MusicGen.Onnx;
using Xunit.Abstractions;

namespace MusicGen.Onnx.Tests;

public sealed class FastTransformerTests(ITestOutputHelper output)
{
    private const double Tolerance = 1e-4;
    private static readonly TransformerWeights Weights = TransformerWeights.Random(Models.Tiny, seed: 1);
    private static readonly Lazy<byte[]> Model = new(() => TransformerGraphs.BuildFast(Weights).Model);

    [Fact]
    public void PrefillThen512CachedStepsMatchReference()
    {
        using var session = OrtHarness.CreateClean(Model.Value);
        using var runner = Runners.Fast(session, Models.Tiny, batch: 1);
        const int prompt = 16, steps = 512;
        var tokens = Models.RandomTokens(new Random(5), prompt + steps, Models.Tiny.VocabSize);
        var reference = Reference.Transformer(Weights, tokens);
        var logits = runner.Step(tokens[..prompt].Select(t => (long)t).ToArray(), [prompt - 1], prompt);
        double max = Models.MaxAbsDiff(logits, reference[prompt - 1]);
        for (int t = prompt; t < prompt + steps; t++)
        {
            logits = runner.Step([tokens[t]], [t], t + 1);
            max = Math.Max(max, Models.MaxAbsDiff(logits, reference[t]));
        }
        output.WriteLine($"fast prefill + {steps} cached steps: max abs diff {max:E2}");
        Assert.True(max <= Tolerance, $"max abs diff {max}");
    }

    [Fact]
    public void ChunkedContinuationAtBatchOneMatchesReference()
    {
        using var session = OrtHarness.CreateClean(Model.Value);
        using var runner = Runners.Fast(session, Models.Tiny, batch: 1);
        var tokens = Models.RandomTokens(new Random(6), 30, Models.Tiny.VocabSize);
        var reference = Reference.Transformer(Weights, tokens);
        double max = 0;
        // Prefill 10, then chunks of 7 and 13 on top of the cache.
        int done = 0;
        foreach (var chunk in new[] { 10, 7, 13 })
        {
            var logits = runner.Step(tokens[done..(done + chunk)].Select(t => (long)t).ToArray(), [done + chunk - 1], done + chunk);
            done += chunk;
            max = Math.Max(max, Models.MaxAbsDiff(logits, reference[done - 1]));
        }
        output.WriteLine($"fast chunked continuation: max abs diff {max:E2}");
        Assert.True(max <= Tolerance, $"max abs diff {max}");
    }

    [Fact]
    public void RaggedBatchOfFourMatchesReference()
    {
        using var session = OrtHarness.CreateClean(Model.Value);
        int[] lengths = [7, 3, 12, 1];
        const int decodeSteps = 40;
        int B = lengths.Length, S = lengths.Max(), V = Models.Tiny.VocabSize;
        using var runner = Runners.Fast(session, Models.Tiny, batch: B);
        var rng = new Random(7);
        var seqs = lengths.Select(n => Models.RandomTokens(rng, n + decodeSteps, V)).ToArray();
        var refs = seqs.Select(s => Reference.Transformer(Weights, s)).ToArray();

        // Prompt rows left-aligned (padded on the right); seqlens_k = length - 1; logits come from each row's last token.
        var ids = new long[B * S];
        for (int b = 0; b < B; b++)
            for (int j = 0; j < lengths[b]; j++) ids[b * S + j] = seqs[b][j];
        var logits = runner.Step(ids, lengths.Select(n => n - 1).ToArray(), S);
        double max = 0;
        for (int b = 0; b < B; b++) max = Math.Max(max, Models.MaxAbsDiff(logits.AsSpan(b * V, V), refs[b][lengths[b] - 1]));

        // Decode: each row writes its token at its own slot (seqlens_k[b] = tokens so far).
        for (int step = 0; step < decodeSteps; step++)
        {
            var stepIds = new long[B];
            var seqlens = new int[B];
            for (int b = 0; b < B; b++)
            {
                stepIds[b] = seqs[b][lengths[b] + step];
                seqlens[b] = lengths[b] + step;
            }
            logits = runner.Step(stepIds, seqlens, seqlens.Max() + 1);
            for (int b = 0; b < B; b++)
                max = Math.Max(max, Models.MaxAbsDiff(logits.AsSpan(b * V, V), refs[b][lengths[b] + step]));
        }
        output.WriteLine($"fast ragged batch of 4: max abs diff {max:E2}");
        Assert.True(max <= Tolerance, $"max abs diff {max}");
    }

    [Fact]
    public void SharedBufferShorterThanTheContextWorks()
    {
        using var session = OrtHarness.CreateClean(Model.Value);
        using var runner = Runners.Fast(session, Models.Tiny, batch: 2, bufferLength: 64);
        var rng = new Random(12);
        var seqs = new[] { Models.RandomTokens(rng, 64, Models.Tiny.VocabSize), Models.RandomTokens(rng, 64, Models.Tiny.VocabSize) };
        var refs = seqs.Select(s => Reference.Transformer(Weights, s)).ToArray();
        int V = Models.Tiny.VocabSize;
        var logits = runner.Step(seqs.SelectMany(s => s[..10]).Select(t => (long)t).ToArray(), [9, 9], 10);
        double max = Math.Max(Models.MaxAbsDiff(logits.AsSpan(0, V), refs[0][9]), Models.MaxAbsDiff(logits.AsSpan(V, V), refs[1][9]));
        for (int t = 10; t < 64; t++)
        {
            logits = runner.Step([seqs[0][t], seqs[1][t]], [t, t], t + 1);
            max = Math.Max(max, Math.Max(Models.MaxAbsDiff(logits.AsSpan(0, V), refs[0][t]), Models.MaxAbsDiff(logits.AsSpan(V, V), refs[1][t])));
        }
        output.WriteLine($"fast, 64-slot buffer under a 600-position graph: max abs diff {max:E2}");
        Assert.True(max <= Tolerance, $"max abs diff {max}");
    }
}
