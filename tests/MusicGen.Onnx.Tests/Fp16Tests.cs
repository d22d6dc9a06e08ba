using MusicGen.Onnx;
using Xunit.Abstractions;

namespace MusicGen.Onnx.Tests;

public sealed class Fp16Tests(ITestOutputHelper output)
{
    [Fact]
    public void Fp16FastGraphRunsOnCpuCloseToReference()
    {
        var weights = TransformerWeights.Random(Models.Tiny, seed: 1);
        var built = TransformerGraphs.BuildFast(weights, fp16: true);
        using var session = OrtHarness.CreateClean(built.Model);
        using var runner = Runners.Fast(session, Models.Tiny, batch: 1, fp16: true);
        var tokens = Models.RandomTokens(new Random(8), 40, Models.Tiny.VocabSize);
        var reference = Reference.Transformer(weights, tokens);
        var logits = runner.Step(tokens[..8].Select(t => (long)t).ToArray(), [7], 8);
        double max = Models.MaxAbsDiff(logits, reference[7]);
        for (int t = 8; t < 40; t++)
        {
            logits = runner.Step([tokens[t]], [t], t + 1);
            max = Math.Max(max, Models.MaxAbsDiff(logits, reference[t]));
        }
        output.WriteLine($"fp16 fast graph on CPU: max abs diff {max:E2}");
        Assert.True(max <= 0.05, $"max abs diff {max}");
    }
}
