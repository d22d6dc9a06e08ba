using System.CommandLine;
using System.Globalization;
using MusicGen.Bench;
using MusicGen.Inference;

namespace MusicGen.Cli.Commands;

/// <summary><c>musicgen bench</c>: measure the inference engine on a model package.</summary>
public static class BenchCommands
{
    /// <summary>The <c>bench</c> command.</summary>
    public static Command Create()
    {
        var model = GenerateCommands.ModelOption();
        var models = GenerateCommands.ModelsOption();
        var tokens = new Option<int>("--tokens") { Description = "Tokens decoded per measurement.", DefaultValueFactory = _ => 128 };
        var context = new Option<int>("--context") { Description = "Context for cached vs recompute.", DefaultValueFactory = _ => 1024 };
        var recompute = new Option<int>("--recompute-steps") { Description = "Steps measured without the cache.", DefaultValueFactory = _ => 4 };
        var batches = new Option<string>("--batches") { Description = "Batch sizes, comma separated.", DefaultValueFactory = _ => "1,8,32,128" };
        var primer = new Option<int>("--primer") { Description = "Primer tokens for time to first token.", DefaultValueFactory = _ => 512 };
        var warmUp = new Option<double>("--warmup") { Description = "Seconds of decoding before measuring (the JIT optimizes the engine's loops only after they have run a while).", DefaultValueFactory = _ => 2.0 };
        var noAllCores = new Option<bool>("--no-all-cores") { Description = "Skip batch 1 with ONNX Runtime's intra-op pool on every core." };
        var compareCpu = new Option<int>("--compare-cpu") { Description = "After the run, compare this many greedy tokens with the same model on the CPU (fp16 on CUDA differs from fp32): identical tokens, same argmax, max |logit difference|; 0 = skip.", DefaultValueFactory = _ => 0 };
        var longTokens = new Option<int>("--long-tokens") { Description = "Tokens of the long batch-1 fast vs portable decode (0 = skip), and of each --peer decode.", DefaultValueFactory = _ => 512 };
        var peer = new Option<string?>("--peer") { Description = "Instead of the engine benchmark: ours vs another runtime on the same package, side by side (genai: ONNX Runtime GenAI; not in the GPU flavor)." };
        var device = GenerateCommands.DeviceOption();
        var threads = GenerateCommands.ThreadsOption();
        var (parallel, parallelMin) = GenerateCommands.ParallelOptions();
        var cmd = new Command("bench", "Measure the engine: KV cache vs recompute, fast vs portable graph, batch scaling, latency, allocations, machine bounds.")
        {
            model, models, tokens, context, recompute, batches, primer, warmUp, longTokens, noAllCores, device, threads, parallel, parallelMin, peer, compareCpu,
        };
        cmd.SetAction(parse => GenerateCommands.Guard(() =>
        {
            var options = GenerateCommands.EngineOptions(parse.GetValue(device)!, parse.GetValue(threads), GraphPreference.Auto);
            options.ParallelDecodeThreads = parse.GetValue(parallel);
            options.ParallelDecodeMinRows = parse.GetValue(parallelMin);
            if (parse.GetValue(peer) is { } peerName)
            {
                var peerSettings = new PeerSettings { Tokens = parse.GetValue(longTokens), Progress = line => Console.Error.WriteLine("  .. " + line) };
                PrintPeer(PeerBenchmark.Run(peerName, ModelLocator.ResolvePackage(parse.GetValue(model)!, parse.GetValue(models)), options, peerSettings));
                return 0;
            }
            var settings = new BenchmarkSettings
            {
                Tokens = parse.GetValue(tokens),
                Context = parse.GetValue(context),
                RecomputeSteps = parse.GetValue(recompute),
                BatchSizes = [.. parse.GetValue(batches)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(s => int.Parse(s, CultureInfo.InvariantCulture))],
                PrimerTokens = parse.GetValue(primer),
                WarmUpSeconds = parse.GetValue(warmUp),
                LongTokens = parse.GetValue(longTokens),
                AllCores = !parse.GetValue(noAllCores),
                Progress = line => Console.Error.WriteLine("  .. " + line),
            };
            var package = ModelLocator.ResolvePackage(parse.GetValue(model)!, parse.GetValue(models));
            var r = EngineBenchmark.Run(package, options, settings, new GenerateCommands.StderrLogger());
            Print(r);
            if (parse.GetValue(compareCpu) is > 0 and var n)
            {
                var a = DeviceAgreement.Measure(package, options, n, new GenerateCommands.StderrLogger());
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"agreement, {a.Graph} vs {a.Reference}, {a.Tokens} greedy tokens: identical tokens {100 * a.SameGreedyTokens:F1} %, same argmax after the same prefix {100 * a.SameArgMax:F1} %, max |logit difference| {a.MaxAbsLogitDifference:G4}"));
            }
            return 0;
        }));
        return cmd;
    }

    /// <summary>The <c>bench-package</c> command: a random-weight transformer package of a given shape (speed does not depend on the weights).</summary>
    public static Command CreatePackageCommand()
    {
        var output = new Option<string>("--out") { Description = "Folder to write (replaced when it exists).", Required = true };
        var shape = new Option<string>("--shape") { Description = "d,layers,heads (kv heads = heads; vocabulary 512, context 2048): the llama.cpp comparison's shape by default.", DefaultValueFactory = _ => "256,6,4" };
        var graphs = new Option<string>("--graphs") { Description = "Graph variants, comma separated (portable, fast, fast-int8, fast-fp16).", DefaultValueFactory = _ => "portable,fast,fast-fp16" };
        var cmd = new Command("bench-package", "Write a random-weight transformer package for bench (the d-256 bench shape by default).") { output, shape, graphs };
        cmd.SetAction(parse => GenerateCommands.Guard(() =>
        {
            var dims = parse.GetValue(shape)!.Split(',').Select(x => int.Parse(x.Trim(), CultureInfo.InvariantCulture)).ToArray();
            if (dims.Length != 3 || dims.Any(d => d < 1)) throw new ArgumentException($"--shape wants d,layers,heads (got '{parse.GetValue(shape)}').");
            var dir = Path.GetFullPath(parse.GetValue(output)!);
            var variants = parse.GetValue(graphs)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            MusicGen.Onnx.RandomTransformerPackage.Write(dir, MusicGen.Onnx.RandomTransformerPackage.Vocabulary512(), dims[0], dims[1], dims[2], dims[2], 2048, 1, variants: variants);
            Console.WriteLine($"wrote {dir}: d {dims[0]}, {dims[1]} layers, {dims[2]} heads, vocabulary 512, graphs {string.Join(", ", variants)}");
            return 0;
        }));
        return cmd;
    }

    private static void PrintPeer(PeerReport r)
    {
        var inv = CultureInfo.InvariantCulture;
        string name = r.Peer == "genai" ? "ONNX Runtime GenAI" : r.Peer;
        Console.WriteLine(string.Create(inv, $"ours vs {name} on {r.Package}: batch 1, greedy, {r.Tokens} tokens from the same prompt, {ThreadsText(r.Threads)} each, whole generations, median of {r.Rounds} interleaved rounds"));
        Console.WriteLine();
        Console.WriteLine(string.Create(inv, $"{"runtime, graph",-50} {"tok/s",10}  vs {r.Peer}"));
        void Row(string what, double rate) => Console.WriteLine(string.Create(inv, $"{what,-50} {rate,10:F1}  {rate / r.PeerTokensPerSecond:F2}x"));
        Row($"ours, {r.FastVariant} graph (the default)", r.OursFastTokensPerSecond);
        Row("ours, portable graph (model.onnx)", r.OursPortableTokensPerSecond);
        Row($"{name}, portable graph (model.onnx)", r.PeerTokensPerSecond);
        Console.WriteLine(r.SameTokens ? "same tokens from both runtimes on the portable graph: yes" : "same tokens from both runtimes on the portable graph: NO");
    }

    private static string ThreadsText(int threads) => threads == 0 ? "all cores" : threads == 1 ? "1 thread" : $"{threads} threads";

    private static void Print(BenchmarkReport r)
    {
        var inv = CultureInfo.InvariantCulture;
        Console.WriteLine(r.Description);
        Console.WriteLine();
        Console.WriteLine(string.Create(inv, $"{"measurement",-48} {"value",14}  ratio"));
        void Row(string what, string value, string ratio = "") => Console.WriteLine(string.Create(inv, $"{what,-48} {value,14}  {ratio}"));
        Row("fast graph, batch 1, KV cache", $"{r.FastBatch1TokensPerSecond:F1} tok/s", $"(per CPU-second: {r.FastBatch1CpuTokensPerSecond:F1})");
        if (!double.IsNaN(r.FastInt8Batch1TokensPerSecond))
            Row("fast int8-weight graph, batch 1, KV cache", $"{r.FastInt8Batch1TokensPerSecond:F1} tok/s",
                $"int8/fast = {r.FastInt8Batch1TokensPerSecond / r.FastBatch1TokensPerSecond:F2}x (per CPU-second: {r.FastInt8Batch1CpuTokensPerSecond:F1}, {r.FastInt8Batch1CpuTokensPerSecond / r.FastBatch1CpuTokensPerSecond:F2}x)");
        if (!double.IsNaN(r.PortableBatch1TokensPerSecond))
            Row("portable graph, batch 1, KV cache", $"{r.PortableBatch1TokensPerSecond:F1} tok/s",
                $"fast/portable = {r.FastBatch1TokensPerSecond / r.PortableBatch1TokensPerSecond:F2}x (per CPU-second: {r.PortableBatch1CpuTokensPerSecond:F1}, {r.FastBatch1CpuTokensPerSecond / r.PortableBatch1CpuTokensPerSecond:F2}x)");
        if (r.LongTokens > 0)
        {
            Row($"fast graph, batch 1, {r.LongTokens} tokens", $"{r.FastLongTokensPerSecond:F1} tok/s");
            if (!double.IsNaN(r.PortableLongTokensPerSecond))
                Row($"portable graph, batch 1, {r.LongTokens} tokens", $"{r.PortableLongTokensPerSecond:F1} tok/s", $"fast/portable = {r.FastLongTokensPerSecond / r.PortableLongTokensPerSecond:F2}x");
        }

        if (r.AllCores is { } all)
        {
            string t = $"{all.Threads} intra-op threads";
            Row($"fast graph, batch 1, {t}", $"{all.Fast:F1} tok/s", $"{all.Fast / r.FastBatch1TokensPerSecond:F2}x one thread (per CPU-second: {all.FastCpu:F1}; p99 step {all.LatencyP99Ms:F2} ms)");
            if (!double.IsNaN(all.Portable))
                Row($"portable graph, batch 1, {t}", $"{all.Portable:F1} tok/s", $"fast/portable = {all.Fast / all.Portable:F2}x");
            if (!double.IsNaN(all.FastLong))
                Row($"fast graph, batch 1, {t}, {r.LongTokens} tokens", $"{all.FastLong:F1} tok/s");
            if (!double.IsNaN(all.PortableLong))
                Row($"portable graph, batch 1, {t}, {r.LongTokens} tokens", $"{all.PortableLong:F1} tok/s", $"fast/portable = {all.FastLong / all.PortableLong:F2}x");
        }

        Row($"cached decode at {r.Context} context", $"{r.CachedMsPerTokenAtContext:F2} ms/tok");
        Row($"recompute (no cache) at {r.Context} context", $"{r.RecomputeMsPerTokenAtContext:F2} ms/tok", $"cached is {r.RecomputeMsPerTokenAtContext / r.CachedMsPerTokenAtContext:F1}x faster");
        Row($"time to first token, {r.PrimerTokens}-token primer", $"{r.TimeToFirstTokenMs:F1} ms");
        Row("per-token latency p50 / p90 / p99 (batch 1)", $"{r.LatencyMs.P50:F2}/{r.LatencyMs.P90:F2}/{r.LatencyMs.P99:F2} ms");
        var first = r.Batches.FirstOrDefault(b => b.BatchSize == 1);
        foreach (var b in r.Batches)
            Row($"throughput, batch {b.BatchSize}, {ThreadsText(b.IntraOpThreads)} (step {b.StepMilliseconds:F2} ms)", $"{b.TokensPerSecond:F1} tok/s",
                first.BatchSize == 1 ? $"{b.TokensPerSecond / first.TokensPerSecond:F1}x batch 1 (per CPU-second: {b.CpuTokensPerSecond:F1}, {b.CpuTokensPerSecond / first.CpuTokensPerSecond:F1}x)" : "");
        Row("managed allocation per decode step (batch 8)", $"{r.AllocatedBytesPerStep:F1} B");
        Row("one sampling step (top-k/p, penalty, grammar)", $"{r.SamplingStepMicroseconds:F2} us");
        Row("machine: copy bandwidth, 1 thread", $"{r.MemoryBandwidthGBs:F1} GB/s");
        Row("machine: copy bandwidth in cache (4 MiB), 1 thread", $"{r.CacheBandwidthGBs:F1} GB/s");
        Row("machine: FMA rate, 1 core", $"{r.MatmulGflops:F1} GFLOP/s");
        double bwUsed = r.BytesPerToken * r.FastBatch1TokensPerSecond / 1e9;
        Row("batch 1: weight+KV bytes read per second", $"{bwUsed:F1} GB/s", $"{100 * bwUsed / r.MemoryBandwidthGBs:F0}% of the memory and {100 * bwUsed / r.CacheBandwidthGBs:F0}% of the cache copy bandwidth");
        var best = r.Batches.OrderByDescending(b => b.TokensPerSecond).FirstOrDefault();
        if (best.BatchSize > 0)
        {
            double gf = r.FlopsPerToken * best.TokensPerSecond / 1e9;
            int cores = best.IntraOpThreads > 0 ? best.IntraOpThreads : Environment.ProcessorCount;
            Row($"batch {best.BatchSize}: model FLOP/s", $"{gf:F1} GFLOP/s", $"{100 * gf / (cores * r.MatmulGflops):F0}% of {cores} core(s)' measured FMA rate");
        }
    }
}
