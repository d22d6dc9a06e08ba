using MusicGen.Onnx;
using Xunit.Abstractions;

namespace MusicGen.Onnx.Tests;

/// <summary>The fast graph with int8 linear-layer weights (com.microsoft MatMulNBits, int8 compute).</summary>
public sealed class Int8Tests(ITestOutputHelper output)
{
    private static readonly TransformerWeights Weights = TransformerWeights.Random(Models.Tiny, seed: 1);
    private static readonly Lazy<byte[]> Model = new(() => TransformerGraphs.BuildFast(Weights, int8: true).Model);

    [Fact]
    public void Quantized_weights_dequantize_within_half_a_step()
    {
        const int k = 40, n = 20;   // 2 blocks of 16 and a partial third, padded
        var rng = new Random(3);
        var w = new float[k * n];
        for (int i = 0; i < w.Length; i++) w[i] = (float)(rng.NextDouble() - 0.5) * (i % 7 + 1);
        w[5] = 0; // a block may hold zeros
        var (q, scales) = GraphOps.QuantizeInt8(w, k, n, block: 16);
        Assert.Equal(n * 3 * 16, q.Length);
        Assert.Equal(n * 3, scales.Length);
        for (int col = 0; col < n; col++)
        {
            for (int row = 0; row < 48; row++)
            {
                byte stored = q[col * 48 + row];
                if (row >= k)
                {
                    Assert.Equal(128, stored); // padding is zero
                    continue;
                }
                float scale = scales[col * 3 + row / 16];
                float back = (stored - 128) * scale;
                Assert.True(MathF.Abs(back - w[row * n + col]) <= scale / 2 + 1e-6f, $"w[{row},{col}] = {w[row * n + col]} came back as {back}");
                Assert.InRange(stored, 1, 255); // symmetric: -127..127 around 128
            }
        }
    }

    [Fact]
    public void Int8_graph_tracks_the_fp32_reference_over_256_cached_steps()
    {
        var built = TransformerGraphs.BuildFast(Weights, int8: true);
        Assert.Equal("fast-int8", built.Entry.Variant);
        Assert.Equal("int8", built.Entry.Precision);
        Assert.Equal(TransformerGraphs.FastInt8File, built.Entry.File);
        using var session = OrtHarness.CreateClean(Model.Value);   // fails on any ORT warning under ORT_ENABLE_ALL
        using var runner = Runners.Fast(session, Models.Tiny, batch: 1);
        var tokens = Models.RandomTokens(new Random(9), 8 + 256, Models.Tiny.VocabSize);
        var reference = Reference.Transformer(Weights, tokens);
        var logits = runner.Step(tokens[..8].Select(t => (long)t).ToArray(), [7], 8);
        double max = Models.MaxAbsDiff(logits, reference[7]);
        for (int t = 8; t < tokens.Length; t++)
        {
            logits = runner.Step([tokens[t]], [t], t + 1);
            max = Math.Max(max, Models.MaxAbsDiff(logits, reference[t]));
        }
        output.WriteLine($"int8 fast graph: max abs diff {max:E2} over 256 cached steps");
        Assert.True(max <= 0.1, $"max abs diff {max}");
        Assert.True(max > 1e-6, "an int8 graph that equals fp32 exactly is not quantized");
    }

    [Fact]
    public void A_row_gives_the_same_logits_alone_and_in_a_batch()
    {
        // Determinism per request needs each row's numbers not to depend on its batch mates (activation quantization
        // is per row and block).
        using var session = OrtHarness.CreateClean(Model.Value);
        int V = Models.Tiny.VocabSize;
        var rng = new Random(4);
        var seqs = Enumerable.Range(0, 3).Select(_ => Models.RandomTokens(rng, 20, V)).ToArray();
        var alone = new float[3][];
        for (int b = 0; b < 3; b++)
        {
            using var one = Runners.Fast(session, Models.Tiny, batch: 1);
            one.Step(seqs[b][..10].Select(t => (long)t).ToArray(), [9], 10);
            for (int t = 10; t < 20; t++) alone[b] = one.Step([seqs[b][t]], [t], t + 1);
        }
        using var three = Runners.Fast(session, Models.Tiny, batch: 3);
        var ids = seqs.SelectMany(s => s[..10].Select(t => (long)t)).ToArray();
        var logits = three.Step(ids, [9, 9, 9], 10);
        for (int t = 10; t < 20; t++) logits = three.Step(seqs.Select(s => (long)s[t]).ToArray(), [t, t, t], t + 1);
        for (int b = 0; b < 3; b++) Assert.Equal(alone[b], logits.AsSpan(b * V, V).ToArray());
    }
}
