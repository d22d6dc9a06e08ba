using System.Diagnostics;
using Microsoft.ML.OnnxRuntime;
using MusicGen.Onnx;
using Xunit.Abstractions;

namespace MusicGen.Onnx.Tests;

/// <summary>Runs only when MUSICGEN_ONNX_BENCH=1 (hand-run measurement; never a timed unit test).</summary>
public sealed class BenchFactAttribute : FactAttribute
{
    public BenchFactAttribute()
    {
        if (Environment.GetEnvironmentVariable("MUSICGEN_ONNX_BENCH") != "1")
            Skip = "hand-run benchmark: set MUSICGEN_ONNX_BENCH=1";
    }
}

/// <summary>
/// Decode tokens/s of the fast vs the portable graph on random weights of the llama.cpp reference shape
/// (d 256, 6 layers, 4 heads, vocab 512, fp32), one intra-op thread, minimal IoBinding loops.
/// Run: MUSICGEN_ONNX_BENCH=1 dotnet test tests/MusicGen.Onnx.Tests -c Release --filter DecodeBenchmark --logger "console;verbosity=detailed"
/// </summary>
public sealed class DecodeBenchmark(ITestOutputHelper output)
{
    private static readonly TransformerConfig Shape = new()
    {
        VocabSize = 512, DModel = 256, Layers = 6, Heads = 4, KvHeads = 4, HeadSize = 64, FfnHidden = 688, ContextLength = 1024,
    };

    private const int Prompt = 64;
    private const int Steps = 256;

    [BenchFact]
    public void FastVersusPortable()
    {
        var weights = TransformerWeights.Random(Shape, 42);
        long parameters = weights.Tensors.Values.Sum(t => (long)t.Length);
        output.WriteLine($"model: {parameters / 1e6:F2}M parameters, d {Shape.DModel}, {Shape.Layers} layers, {Shape.Heads} heads, vocab {Shape.VocabSize}, fp32, 1 thread");
        var fast = TransformerGraphs.BuildFast(weights).Model;
        var portable = TransformerGraphs.BuildPortable(weights).Model;
        output.WriteLine("tok/s by wall clock, and by process CPU time in brackets (a steadier figure on a shared machine)");
        for (int round = 0; round < 3; round++)
        {
            var (f1, f1c) = Fast(fast, 1);
            var (p1, p1c) = Portable(portable);
            var (f32, f32c) = Fast(fast, 32);
            output.WriteLine($"round {round}: fast batch 1 {f1:F0} [{f1c:F0}] tok/s, portable batch 1 {p1:F0} [{p1c:F0}] tok/s " +
                $"(fast/portable {f1 / p1:F2}x [{f1c / p1c:F2}x]), fast batch 32 {f32:F0} [{f32c:F0}] tok/s ({f32 / f1:F1}x [{f32c / f1c:F1}x] batch 1)");
        }
    }

    private static TimeSpan Cpu() => System.Diagnostics.Process.GetCurrentProcess().TotalProcessorTime;

    private static (double Wall, double Cpu) Fast(byte[] model, int batch)
    {
        using var session = OrtHarness.CreateClean(model);
        using var runner = Runners.Fast(session, Shape, batch);
        var rng = new Random(1);
        var prompt = new long[batch * Prompt];
        for (int i = 0; i < prompt.Length; i++) prompt[i] = rng.Next(Shape.VocabSize);
        runner.Step(prompt, Enumerable.Repeat(Prompt - 1, batch).ToArray(), Prompt);
        var ids = new long[batch];
        var seqlens = new int[batch];
        var cpu0 = Cpu();
        var sw = Stopwatch.StartNew();
        for (int t = Prompt; t < Prompt + Steps; t++)
        {
            for (int b = 0; b < batch; b++) { ids[b] = rng.Next(Shape.VocabSize); seqlens[b] = t; }
            runner.Step(ids, seqlens, t + 1);
        }
        return (batch * Steps / sw.Elapsed.TotalSeconds, batch * Steps / (Cpu() - cpu0).TotalSeconds);
    }

    private static (double Wall, double Cpu) Portable(byte[] model)
    {
        using var session = OrtHarness.CreateClean(model);
        using var binding = session.CreateIoBinding();
        using var runOptions = new RunOptions();
        var cpu = OrtMemoryInfo.DefaultInstance;
        var rng = new Random(1);
        var mask = Enumerable.Repeat(1L, Shape.ContextLength).ToArray();
        var positions = Enumerable.Range(0, Shape.ContextLength).Select(i => (long)i).ToArray();
        var logits = new float[Prompt * Shape.VocabSize];
        var empty = Array.Empty<float>();
        var pasts = new List<OrtValue>();
        for (int i = 0; i < Shape.Layers; i++)
            foreach (var kind in new[] { "key", "value" })
            {
                var v = OrtValue.CreateTensorValueFromMemory(empty, [1, Shape.KvHeads, 0, Shape.HeadSize]);
                pasts.Add(v);
                binding.BindInput($"past_key_values.{i}.{kind}", v);
            }
        IDisposableReadOnlyCollection<OrtValue>? previous = null;
        double elapsed = 0, cpuElapsed = 0;
        for (int t = 0; t <= Prompt + Steps; t++)
        {
            bool prefill = t == 0;
            int S = prefill ? Prompt : 1, start = prefill ? 0 : Prompt + t - 1, total = start + S;
            var ids = new long[S];
            for (int j = 0; j < S; j++) ids[j] = rng.Next(Shape.VocabSize);
            if (t == Prompt + Steps) break;
            var cpu0 = Cpu();
            var sw = Stopwatch.StartNew();
            using var idsV = OrtValue.CreateTensorValueFromMemory(ids, [1, S]);
            using var maskV = OrtValue.CreateTensorValueFromMemory(cpu, mask.AsMemory(0, total), [1, total]);
            using var posV = OrtValue.CreateTensorValueFromMemory(cpu, positions.AsMemory(start, S), [1, S]);
            using var logitsV = OrtValue.CreateTensorValueFromMemory(cpu, logits.AsMemory(0, S * Shape.VocabSize), [1, S, Shape.VocabSize]);
            binding.BindInput("input_ids", idsV);
            binding.BindInput("attention_mask", maskV);
            binding.BindInput("position_ids", posV);
            binding.BindOutput("logits", logitsV);
            for (int i = 0; i < Shape.Layers; i++)
            {
                binding.BindOutputToDevice($"present.{i}.key", cpu);
                binding.BindOutputToDevice($"present.{i}.value", cpu);
            }
            session.RunWithBinding(runOptions, binding);
            var outputs = binding.GetOutputValues();
            // outputs[0] is logits; rebind each present as the next past (no copy).
            for (int i = 0; i < Shape.Layers; i++)
            {
                binding.BindInput($"past_key_values.{i}.key", outputs[1 + 2 * i]);
                binding.BindInput($"past_key_values.{i}.value", outputs[2 + 2 * i]);
            }
            previous?.Dispose();
            previous = outputs;
            if (!prefill)
            {
                elapsed += sw.Elapsed.TotalSeconds;
                cpuElapsed += (Cpu() - cpu0).TotalSeconds;
            }
            if (t == Prompt + Steps - 1) break;
        }
        previous?.Dispose();
        foreach (var v in pasts) v.Dispose();
        return (Steps / elapsed, Steps / cpuElapsed);
    }
}
