using System.Diagnostics;
using Microsoft.ML.OnnxRuntime;
using Xunit.Abstractions;

namespace MusicGen.Onnx.Tests;

/// <summary>
/// The batching ceiling of the llama.cpp reference shape (d 256, 6 layers, SwiGLU 688, vocab 512, fp32) on this CPU
/// with nothing but its linear layers: one graph of the 25 MatMuls a decode step runs (fused QKV, output, fused
/// gate/up, down per layer, then the LM head), distinct random weights (19.5 MB, like the model), rows = batch size,
/// one intra-op thread. No attention, norms or KV cache: what a decode step could reach if everything else were free.
/// Run: MUSICGEN_ONNX_BENCH=1 dotnet test tests/MusicGen.Onnx.Tests -c Release --filter LinearCeilingBenchmark --logger "console;verbosity=detailed"
/// </summary>
public sealed class LinearCeilingBenchmark(ITestOutputHelper output)
{
    private const int D = 256, Layers = 6, Ffn = 688, Vocab = 512, Qkv = 3 * D;

    [BenchFact]
    public void LinearLayersAloneByBatchSize()
    {
        var model = Chain();
        using var options = new SessionOptions { IntraOpNumThreads = 1, InterOpNumThreads = 1, GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL };
        using var session = new InferenceSession(model, options);
        double flopsPerRow = 2.0 * (Layers * ((double)D * Qkv + D * D + D * 2 * Ffn + Ffn * D) + D * Vocab);
        output.WriteLine($"linear layers of d {D}, {Layers} layers, ffn {Ffn}, vocab {Vocab}: {flopsPerRow / 1e6:F2} MFLOP per row, 1 thread");
        double rowsPerSecond1 = 0;
        foreach (int rows in new[] { 1, 8, 16, 32, 64 })
        {
            var rate = Time(session, rows);
            if (rows == 1) rowsPerSecond1 = rate;
            output.WriteLine($"rows {rows,3}: {rate,9:F0} rows/s  {rate * flopsPerRow / 1e9,6:F1} GFLOP/s  {rate / rowsPerSecond1:F2}x rows 1");
        }
    }

    private static double Time(InferenceSession session, int rows)
    {
        var x = new float[rows * D];
        for (int i = 0; i < x.Length; i++) x[i] = (i % 17) * 0.01f;
        var y = new float[rows * Vocab];
        using var xv = OrtValue.CreateTensorValueFromMemory(x, [rows, D]);
        using var yv = OrtValue.CreateTensorValueFromMemory(y, [rows, Vocab]);
        using var binding = session.CreateIoBinding();
        binding.BindInput("x", xv);
        binding.BindOutput("y", yv);
        using var run = new RunOptions();
        for (int i = 0; i < 30; i++) session.RunWithBinding(run, binding);
        double best = 0;
        for (int round = 0; round < 5; round++)
        {
            int reps = Math.Max(20, 800 / rows);
            var t0 = Stopwatch.GetTimestamp();
            for (int i = 0; i < reps; i++) session.RunWithBinding(run, binding);
            best = Math.Max(best, rows * reps / Stopwatch.GetElapsedTime(t0).TotalSeconds);
        }
        return best;
    }

    private static byte[] Chain()
    {
        var rng = new Random(5);
        float[] W(int k, int n)
        {
            var w = new float[k * n];
            for (int i = 0; i < w.Length; i++) w[i] = (float)(rng.NextDouble() - 0.5) * 0.05f;
            return w;
        }
        var g = new OnnxGraphBuilder("linear_ceiling");
        var h = g.Input("x", OnnxDataType.Float, "rows", D);
        for (int l = 0; l < Layers; l++)
        {
            var qkv = g.Op("MatMul", h, g.Initializer($"qkv{l}", W(D, Qkv), D, Qkv));
            var q = g.Op("Slice", qkv, g.ConstInt64(0), g.ConstInt64(D), g.ConstInt64(1));
            var o = g.Op("MatMul", q, g.Initializer($"o{l}", W(D, D), D, D));
            var gateUp = g.Op("MatMul", o, g.Initializer($"w13_{l}", W(D, 2 * Ffn), D, 2 * Ffn));
            var gate = g.Op("Slice", gateUp, g.ConstInt64(0), g.ConstInt64(Ffn), g.ConstInt64(1));
            h = g.Op("MatMul", gate, g.Initializer($"w2_{l}", W(Ffn, D), Ffn, D));
        }
        g.Node("MatMul", [h, g.Initializer("lm_head", W(D, Vocab), D, Vocab)], ["y"]);
        g.Output("y", OnnxDataType.Float, "rows", Vocab);
        return g.ToModelBytes();
    }
}
