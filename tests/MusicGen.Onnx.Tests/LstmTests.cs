using Microsoft.ML.OnnxRuntime;
using MusicGen.Onnx;
using Xunit.Abstractions;

namespace MusicGen.Onnx.Tests;

public sealed class LstmTests(ITestOutputHelper output)
{
    private const double Tolerance = 1e-4;
    private static readonly LstmWeights Weights = LstmWeights.Random(Models.TinyLstm, seed: 9);
    private static readonly Lazy<byte[]> Model = new(() => LstmGraph.Build(Weights).Model);

    private static (float[] Logits, float[] H, float[] C) Run(InferenceSession session, int batch, long[] ids, float[] h, float[] c) =>
        new LstmGraphRunner(session, Models.TinyLstm.Layers, Models.TinyLstm.Units).Run(batch, ids, h, c);

    [Fact]
    public void FullSequenceThen512StatefulStepsMatchReference()
    {
        var cfg = Models.TinyLstm;
        using var session = OrtHarness.CreateClean(Model.Value);
        const int prompt = 20, steps = 512;
        var tokens = Models.RandomTokens(new Random(10), prompt + steps, cfg.VocabSize);
        var (reference, _, _) = Reference.Lstm(Weights, tokens);
        var zeros = new float[cfg.Layers * cfg.Units];
        var r = Run(session, 1, tokens[..prompt].Select(t => (long)t).ToArray(), zeros, zeros);
        double max = 0;
        for (int t = 0; t < prompt; t++) max = Math.Max(max, Models.MaxAbsDiff(r.Logits.AsSpan(t * cfg.VocabSize, cfg.VocabSize), reference[t]));
        for (int t = prompt; t < prompt + steps; t++)
        {
            r = Run(session, 1, [tokens[t]], r.H, r.C);
            max = Math.Max(max, Models.MaxAbsDiff(r.Logits, reference[t]));
        }
        output.WriteLine($"lstm full sequence + {steps} stateful steps: max abs diff {max:E2}");
        Assert.True(max <= Tolerance, $"max abs diff {max}");
    }

    [Fact]
    public void BatchOfFourDifferentLengthsMatchesReference()
    {
        // Rows of different lengths run in one batch: prompts of equal length (the LSTM has no mask), then each row
        // continues with its own number of steps while the others' state is carried unchanged between calls.
        var cfg = Models.TinyLstm;
        using var session = OrtHarness.CreateClean(Model.Value);
        int[] lengths = [9, 4, 15, 1];
        int B = lengths.Length, V = cfg.VocabSize, U = cfg.Units;
        var rng = new Random(11);
        var seqs = lengths.Select(n => Models.RandomTokens(rng, n, V)).ToArray();
        var refs = seqs.Select(s => Reference.Lstm(Weights, s).Logits).ToArray();
        var h = new float[cfg.Layers * B * U];
        var c = new float[cfg.Layers * B * U];
        double max = 0;
        // Step through time with batch 4; a row that has finished is fed its last token but its state is restored.
        for (int t = 0; t < lengths.Max(); t++)
        {
            var ids = new long[B];
            for (int b = 0; b < B; b++) ids[b] = seqs[b][Math.Min(t, lengths[b] - 1)];
            var r = Run(session, B, ids, h, c);
            for (int b = 0; b < B; b++)
            {
                if (t >= lengths[b]) continue;
                max = Math.Max(max, Models.MaxAbsDiff(r.Logits.AsSpan(b * V, V), refs[b][t]));
                for (int l = 0; l < cfg.Layers; l++)
                {
                    Array.Copy(r.H, (l * B + b) * U, h, (l * B + b) * U, U);
                    Array.Copy(r.C, (l * B + b) * U, c, (l * B + b) * U, U);
                }
            }
        }
        output.WriteLine($"lstm batch of 4 different lengths: max abs diff {max:E2}");
        Assert.True(max <= Tolerance, $"max abs diff {max}");
    }

    [Fact]
    public void GateReorderMapsTorchBlocksToOnnxOrder()
    {
        // blocks (1 unit, 1 col) i=0, f=1, g=2, o=3 -> ONNX i, o, f, c = 0, 3, 1, 2
        Assert.Equal(new float[] { 0, 3, 1, 2 }, LstmGraph.Reorder([0, 1, 2, 3], 1, 1));
    }
}
