using System.Diagnostics;
using System.Numerics.Tensors;
using System.Runtime.Intrinsics;
using MusicGen.Core.Packaging;
using MusicGen.Inference.Sampling;

namespace MusicGen.Inference;

/// <summary>Settings of <see cref="EngineBenchmark.Run"/>.</summary>
public sealed class BenchmarkSettings
{
    /// <summary>Tokens decoded per measurement (default 128).</summary>
    public int Tokens { get; set; } = 128;

    /// <summary>Context length for the cached vs recompute comparison (default 1024).</summary>
    public int Context { get; set; } = 1024;

    /// <summary>Recomputed steps measured at <see cref="Context"/> (each re-runs the whole prefix; default 4).</summary>
    public int RecomputeSteps { get; set; } = 4;

    /// <summary>Batch sizes for the throughput table (default 1, 8, 32, 128).</summary>
    public IReadOnlyList<int> BatchSizes { get; set; } = [1, 8, 32, 128];

    /// <summary>Primer length for time to first token (default 512).</summary>
    public int PrimerTokens { get; set; } = 512;

    /// <summary>
    /// Decoding before any measurement, in seconds (default 2): .NET compiles the engine's loops at full optimization
    /// only after they have run a while (tiered compilation), and steps measured before that are up to 1.4x slower.
    /// </summary>
    public double WarmUpSeconds { get; set; } = 2;

    /// <summary>Tokens of the long batch-1 decode that compares fast and portable graphs again (default 512, the <c>generate</c> default; 0 = skip).</summary>
    public int LongTokens { get; set; } = 512;

    /// <summary>
    /// Also measure batch 1 with ONNX Runtime's intra-op pool on every core (a second session), when the run itself
    /// uses one intra-op thread on a machine with more than one core (default true).
    /// </summary>
    public bool AllCores { get; set; } = true;

    /// <summary>Seed of the benchmark's requests.</summary>
    public long Seed { get; set; } = 1;

    /// <summary>Receives a line as each measurement finishes (progress), or null.</summary>
    public Action<string>? Progress { get; set; }
}

/// <summary>One row of the batch throughput table.</summary>
/// <param name="BatchSize">Sequences decoded together.</param>
/// <param name="TokensPerSecond">Generated tokens per second over all sequences.</param>
/// <param name="StepMilliseconds">Median milliseconds per decode step.</param>
/// <param name="CpuTokensPerSecond">Generated tokens per second of process CPU time (insensitive to other processes' load).</param>
/// <param name="IntraOpThreads">ONNX Runtime intra-op threads the steps ran with (<see cref="MusicModel.DecodeThreads"/>; 0 = one per core).</param>
public readonly record struct BatchThroughput(int BatchSize, double TokensPerSecond, double StepMilliseconds, double CpuTokensPerSecond, int IntraOpThreads);

/// <summary>Batch 1 decoded with ONNX Runtime's intra-op thread pool on every core (tokens per second; NaN where absent).</summary>
/// <param name="Threads">Intra-op threads (the core count).</param>
/// <param name="Fast">Fast graph over <see cref="BenchmarkSettings.Tokens"/> tokens.</param>
/// <param name="Portable">Portable graph over the same tokens.</param>
/// <param name="FastLong">Fast graph over <see cref="BenchmarkSettings.LongTokens"/> tokens.</param>
/// <param name="PortableLong">Portable graph over <see cref="BenchmarkSettings.LongTokens"/> tokens.</param>
/// <param name="FastCpu">Fast graph: tokens per second of process CPU time (the pool's threads spin while they wait).</param>
/// <param name="LatencyP99Ms">Fast graph: 99th percentile of the step time (milliseconds).</param>
public readonly record struct AllCoresBatch1(int Threads, double Fast, double Portable, double FastLong, double PortableLong, double FastCpu, double LatencyP99Ms);

/// <summary>What <see cref="EngineBenchmark.Run"/> measured; every figure is from one run on the same weights.</summary>
public sealed class BenchmarkReport
{
    /// <summary>Model name, graph, provider, threads.</summary>
    public required string Description { get; init; }
    /// <summary>Fast graph, batch 1, KV cache: generated tokens per second.</summary>
    public double FastBatch1TokensPerSecond { get; init; }
    /// <summary>Portable graph, batch 1, KV cache (NaN when the package has no portable graph).</summary>
    public double PortableBatch1TokensPerSecond { get; init; }
    /// <summary>Fast graph, batch 1: tokens per second of process CPU time.</summary>
    public double FastBatch1CpuTokensPerSecond { get; init; }
    /// <summary>Portable graph, batch 1: tokens per second of process CPU time.</summary>
    public double PortableBatch1CpuTokensPerSecond { get; init; }
    /// <summary>Fast graph with int8 weights, batch 1, KV cache (NaN when the package has none).</summary>
    public double FastInt8Batch1TokensPerSecond { get; init; }
    /// <summary>Fast int8 graph, batch 1: tokens per second of process CPU time.</summary>
    public double FastInt8Batch1CpuTokensPerSecond { get; init; }
    /// <summary>Decode length of the long batch-1 comparison (0 when skipped).</summary>
    public int LongTokens { get; init; }
    /// <summary>Fast graph, batch 1, over <see cref="LongTokens"/> tokens from the start token: tokens per second (NaN when skipped).</summary>
    public double FastLongTokensPerSecond { get; init; } = double.NaN;
    /// <summary>Portable graph, batch 1, over <see cref="LongTokens"/> tokens: tokens per second (NaN when skipped or absent).</summary>
    public double PortableLongTokensPerSecond { get; init; } = double.NaN;
    /// <summary>Batch 1 with the intra-op pool on every core (null when not measured).</summary>
    public AllCoresBatch1? AllCores { get; init; }
    /// <summary>Per-token latency percentiles at batch 1 (milliseconds): p50, p90, p99.</summary>
    public (double P50, double P90, double P99) LatencyMs { get; init; }
    /// <summary>Cached decode at <see cref="BenchmarkSettings.Context"/> tokens of context: milliseconds per token.</summary>
    public double CachedMsPerTokenAtContext { get; init; }
    /// <summary>Recomputing the whole prefix each step at the same context: milliseconds per token.</summary>
    public double RecomputeMsPerTokenAtContext { get; init; }
    /// <summary>Context used for the two figures above.</summary>
    public int Context { get; init; }
    /// <summary>Time to first token for a primer of <see cref="PrimerTokens"/> tokens (milliseconds).</summary>
    public double TimeToFirstTokenMs { get; init; }
    /// <summary>Primer length used for time to first token.</summary>
    public int PrimerTokens { get; init; }
    /// <summary>Throughput per batch size.</summary>
    public required IReadOnlyList<BatchThroughput> Batches { get; init; }
    /// <summary>Managed bytes allocated per decode step (batch 8, steady state).</summary>
    public double AllocatedBytesPerStep { get; init; }
    /// <summary>One sampling step (top-k 40, top-p 0.95, repetition penalty, grammar mask) in microseconds, median.</summary>
    public double SamplingStepMicroseconds { get; init; }
    /// <summary>Measured memory copy bandwidth of this machine, one thread (GB/s).</summary>
    public double MemoryBandwidthGBs { get; init; }
    /// <summary>Measured copy bandwidth of this machine within the cache (two 4 MiB buffers), one thread (GB/s).</summary>
    public double CacheBandwidthGBs { get; init; }
    /// <summary>Measured fused multiply-add rate of one core (GFLOP/s).</summary>
    public double MatmulGflops { get; init; }
    /// <summary>Bytes read per token at batch 1 (weights + KV cache at half the decode length).</summary>
    public double BytesPerToken { get; init; }
    /// <summary>FLOPs per generated token (2 x parameters used per token, plus attention).</summary>
    public double FlopsPerToken { get; init; }
}

/// <summary>
/// Measures the engine on one model package: cached vs recompute, fast vs portable, batch scaling, time to first
/// token, latency percentiles, allocations per step, and the machine's own bounds. Used by <c>musicgen bench</c>.
/// </summary>
public static class EngineBenchmark
{
    /// <summary>Runs every measurement and returns the report.</summary>
    public static BenchmarkReport Run(string packageDirectory, InferenceOptions options, BenchmarkSettings settings, Microsoft.Extensions.Logging.ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(settings);
        var say = settings.Progress ?? (_ => { });
        var opts = options.Clone();
        opts.Graph = GraphPreference.Auto;
        var maxBatch = settings.BatchSizes.DefaultIfEmpty(1).Max();
        using var model = MusicModel.Load(packageDirectory, opts, logger);
        var pkg = model.Package;
        var hp = pkg.Manifest.HyperParameters;
        int vocab = pkg.VocabularySize;
        var fastVariant = model.DefaultVariant;
        bool hasPortable = pkg.Manifest.FindGraph(GraphVariants.Portable) is not null && fastVariant != GraphVariants.Lstm;
        int tokens = Math.Min(settings.Tokens, model.MaxSequenceLength - 2);

        bool hasInt8 = fastVariant == GraphVariants.Fast && model.Variants.Contains(GraphVariants.FastInt8);
        int batchTokens = Math.Max(8, Math.Min(tokens, 64));
        WarmUp(model, fastVariant, hasPortable, hasInt8, maxBatch, batchTokens, settings);
        say("warmed up");

        // Batch 1, fast vs portable, interleaved three times so both see the same machine load.
        var (fast, portable) = FastVersusPortable(model, fastVariant, hasPortable, tokens, settings.Seed);
        var latencies = fast.SortedStepMs();
        say($"batch 1 ({fastVariant}): {fast.TokensPerSecond:F1} tokens/s" + (portable is null ? "" : $"; portable {portable.TokensPerSecond:F1} tokens/s"));

        // The int8-weight fast graph at batch 1, when the package has one (a separate row: other numerics).
        StepTimes? int8 = null;
        if (hasInt8)
        {
            int8 = StepTimes.Merge(DecodeSteps(model, GraphVariants.FastInt8, 1, tokens, settings.Seed), DecodeSteps(model, GraphVariants.FastInt8, 1, tokens, settings.Seed));
            say($"batch 1 (fast-int8): {int8.TokensPerSecond:F1} tokens/s");
        }

        // The same comparison over a whole default-length piece: the portable graph's per-step cost grows faster with
        // the context (its attention concatenates and copies the cache), so the gap widens.
        int longTokens = Math.Min(settings.LongTokens, model.MaxSequenceLength - 2);
        StepTimes? fastLong = null, portableLong = null;
        if (longTokens > 0)
        {
            (fastLong, portableLong) = LongDecode(model, fastVariant, hasPortable, longTokens, settings.Seed);
            say($"batch 1 over {longTokens} tokens ({fastVariant}): {fastLong.TokensPerSecond:F1} tokens/s" + (portableLong is null ? "" : $"; portable {portableLong.TokensPerSecond:F1} tokens/s"));
        }

        AllCoresBatch1? allCores = null;
        if (settings.AllCores && opts.IntraOpThreads == 1 && Environment.ProcessorCount > 1)
        {
            allCores = MeasureAllCores(packageDirectory, opts, fastVariant, hasPortable, tokens, longTokens, batchTokens, settings, logger);
            say($"batch 1 on {allCores.Value.Threads} intra-op threads ({fastVariant}): {allCores.Value.Fast:F1} tokens/s" + (hasPortable ? $"; portable {allCores.Value.Portable:F1} tokens/s" : ""));
        }

        // Cached vs recompute at the given context.
        int context = Math.Min(settings.Context, model.MaxSequenceLength - settings.RecomputeSteps - 40);
        var (cached, recompute) = CachedVersusRecompute(model, fastVariant, context, Math.Max(1, settings.RecomputeSteps), vocab);
        say($"context {context}: cached {cached:F2} ms/token, recompute {recompute:F2} ms/token");

        // Time to first token for a primer.
        int primer = Math.Min(settings.PrimerTokens, model.MaxSequenceLength - 10);
        double ttft = TimeToFirstToken(model, fastVariant, primer, vocab);
        say($"time to first token ({primer}-token primer): {ttft:F1} ms");

        // Throughput by batch size: up, then down again, merged.
        var bySize = new Dictionary<int, StepTimes>();
        foreach (var b in settings.BatchSizes.Concat(settings.BatchSizes.Reverse()))
        {
            var t = DecodeSteps(model, fastVariant, b, batchTokens, settings.Seed);
            bySize[b] = bySize.TryGetValue(b, out var prev) ? StepTimes.Merge(prev, t) : t;
            say($"batch {b}: {t.TokensPerSecond:F1} tokens/s");
        }
        var batches = settings.BatchSizes.Distinct().Select(b => new BatchThroughput(b, bySize[b].TokensPerSecond, bySize[b].MedianMs, bySize[b].CpuTokensPerSecond, model.DecodeThreads(b, fastVariant))).ToList();

        double allocated = AllocationsPerStep(model, fastVariant);
        double sampling = SamplingStep(model);
        double bandwidth = MemoryBandwidth();
        double cacheBandwidth = CacheBandwidth();
        double gflops = FmaRate();

        double parameters, kvBytes = 0;
        if (pkg.IsLstm)
        {
            int e = hp.EmbeddingSize, u = hp.LstmUnits;
            parameters = (double)vocab * e + hp.LstmLayers * 4.0 * u * (e + u) + (double)u * hp.DenseUnits + (double)hp.DenseUnits * vocab;
        }
        else
        {
            double perLayer = (double)hp.DModel * (hp.Heads + 2 * hp.KvHeads) * hp.HeadSize + (double)hp.Heads * hp.HeadSize * hp.DModel + 3.0 * hp.DModel * hp.FfnHidden;
            parameters = hp.Layers * perLayer + (double)vocab * hp.DModel; // + tied output projection
            kvBytes = 2.0 * hp.Layers * hp.KvHeads * hp.HeadSize * 4 * (tokens / 2.0);
        }
        double attentionFlops = pkg.IsLstm ? 0 : 4.0 * hp.Layers * hp.Heads * hp.HeadSize * (tokens / 2.0);
        int slices = model.ParallelSlices(fastVariant, maxBatch);
        return new BenchmarkReport
        {
            Description = $"{pkg.Name} {pkg.Version} ({pkg.Architecture}, d {hp.DModel}, {hp.Layers} layers, {hp.Heads} heads, vocab {vocab}); graph {fastVariant} on {model.ExecutionProvider}, {opts.IntraOpThreads} intra-op thread(s)"
                + (slices > 1 ? $"; decode steps of >= {Math.Max(opts.ParallelDecodeMinRows, slices)} rows split across {slices} threads" : ""),
            FastBatch1TokensPerSecond = fast.TokensPerSecond,
            PortableBatch1TokensPerSecond = portable?.TokensPerSecond ?? double.NaN,
            FastBatch1CpuTokensPerSecond = fast.CpuTokensPerSecond,
            PortableBatch1CpuTokensPerSecond = portable?.CpuTokensPerSecond ?? double.NaN,
            FastInt8Batch1TokensPerSecond = int8?.TokensPerSecond ?? double.NaN,
            LongTokens = fastLong is null ? 0 : longTokens,
            AllCores = allCores,
            FastLongTokensPerSecond = fastLong?.TokensPerSecond ?? double.NaN,
            PortableLongTokensPerSecond = portableLong?.TokensPerSecond ?? double.NaN,
            FastInt8Batch1CpuTokensPerSecond = int8?.CpuTokensPerSecond ?? double.NaN,
            LatencyMs = (Percentile(latencies, 0.5), Percentile(latencies, 0.9), Percentile(latencies, 0.99)),
            CachedMsPerTokenAtContext = cached,
            RecomputeMsPerTokenAtContext = recompute,
            Context = context,
            TimeToFirstTokenMs = ttft,
            PrimerTokens = primer,
            Batches = batches,
            AllocatedBytesPerStep = allocated,
            SamplingStepMicroseconds = sampling,
            MemoryBandwidthGBs = bandwidth,
            CacheBandwidthGBs = cacheBandwidth,
            MatmulGflops = gflops,
            BytesPerToken = parameters * 4 + kvBytes,
            FlopsPerToken = 2 * parameters + attentionFlops,
        };
    }

    /// <summary>
    /// Batch 1 in a second session whose intra-op pool has a thread per core: what one request at a time gets when it
    /// may use the whole machine. Warmed, then fast and portable interleaved three times, then the long decode.
    /// </summary>
    private static AllCoresBatch1 MeasureAllCores(string packageDirectory, InferenceOptions opts, string fastVariant, bool hasPortable, int tokens, int longTokens, int batchTokens, BenchmarkSettings settings, Microsoft.Extensions.Logging.ILogger? logger)
    {
        var wide = opts.Clone();
        wide.IntraOpThreads = 0;
        wide.ParallelDecodeThreads = 1;
        using var model = MusicModel.Load(packageDirectory, wide, logger);
        WarmUp(model, fastVariant, hasPortable, false, 1, batchTokens, settings);
        var (fast, portable) = FastVersusPortable(model, fastVariant, hasPortable, tokens, settings.Seed);
        var (fastLong, portableLong) = longTokens > 0 ? LongDecode(model, fastVariant, hasPortable, longTokens, settings.Seed) : (null, null);
        return new AllCoresBatch1(Environment.ProcessorCount, fast.TokensPerSecond, portable?.TokensPerSecond ?? double.NaN,
            fastLong?.TokensPerSecond ?? double.NaN, portableLong?.TokensPerSecond ?? double.NaN, fast.CpuTokensPerSecond,
            Percentile(fast.SortedStepMs(), 0.99));
    }

    /// <summary>Batch 1 over <paramref name="tokens"/> tokens, the fast and the portable graph interleaved three times.</summary>
    private static (StepTimes Fast, StepTimes? Portable) FastVersusPortable(MusicModel model, string fastVariant, bool hasPortable, int tokens, long seed)
    {
        StepTimes fast = DecodeSteps(model, fastVariant, 1, tokens, seed);
        StepTimes? portable = hasPortable ? DecodeSteps(model, GraphVariants.Portable, 1, tokens, seed) : null;
        for (int round = 1; round < 3; round++)
        {
            fast = StepTimes.Merge(fast, DecodeSteps(model, fastVariant, 1, tokens, seed));
            if (hasPortable) portable = StepTimes.Merge(portable!, DecodeSteps(model, GraphVariants.Portable, 1, tokens, seed));
        }
        return (fast, portable);
    }

    /// <summary>Batch 1 over a whole piece of <paramref name="tokens"/> tokens, once per graph.</summary>
    private static (StepTimes Fast, StepTimes? Portable) LongDecode(MusicModel model, string fastVariant, bool hasPortable, int tokens, long seed) =>
        (DecodeSteps(model, fastVariant, 1, tokens, seed), hasPortable ? DecodeSteps(model, GraphVariants.Portable, 1, tokens, seed) : null);

    /// <summary>Decodes every configuration the measurements use until <see cref="BenchmarkSettings.WarmUpSeconds"/> have passed.</summary>
    private static void WarmUp(MusicModel model, string fastVariant, bool hasPortable, bool hasInt8, int maxBatch, int batchTokens, BenchmarkSettings settings)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed.TotalSeconds < settings.WarmUpSeconds)
        {
            DecodeSteps(model, fastVariant, 1, batchTokens, settings.Seed);
            if (hasPortable) DecodeSteps(model, GraphVariants.Portable, 1, batchTokens, settings.Seed);
            if (hasInt8) DecodeSteps(model, GraphVariants.FastInt8, 1, batchTokens, settings.Seed);
            DecodeSteps(model, fastVariant, Math.Min(8, maxBatch), batchTokens / 2, settings.Seed);
            if (maxBatch >= 32) DecodeSteps(model, fastVariant, 32, 8, settings.Seed);
        }
    }

    private static GenerationRequest Endless(long seed, int tokens) => new()
    {
        MaxTokens = tokens,
        Seed = seed,
        Sampling = new SamplingOptions { Temperature = 1.0f, TopK = 40, TopP = 0.95f },
    };

    /// <summary>
    /// Decodes up to <paramref name="tokens"/> steps of <paramref name="batchSize"/> sequences (prefill excluded) and
    /// returns the step times. Rates use the median step (robust on a shared machine) and process CPU time.
    /// </summary>
    private static StepTimes DecodeSteps(MusicModel model, string variant, int batchSize, int tokens, long seed)
    {
        using var batch = model.CreateBatch(batchSize, variant, tokens + 8);
        var eos = model.Tokenizer.Eos;
        for (int i = 0; i < batchSize; i++)
        {
            var r = Endless(seed + i, tokens);
            r.Sampling.TokenBias = new Dictionary<int, float> { [eos] = float.NegativeInfinity };
            batch.Add(model.CreateSequence(r));
        }
        batch.Step(); // warm: bindings for this size
        var times = new List<double>(tokens);
        var cpu0 = Process.GetCurrentProcess().TotalProcessorTime;
        while (batch.Count == batchSize)
        {
            var t0 = Stopwatch.GetTimestamp();
            batch.Step();
            times.Add(Stopwatch.GetElapsedTime(t0).TotalMilliseconds);
        }
        var cpu = (Process.GetCurrentProcess().TotalProcessorTime - cpu0).TotalMilliseconds;
        return new StepTimes(batchSize, [.. times], cpu / Math.Max(1, times.Count));
    }

    private sealed record StepTimes(int BatchSize, double[] StepMs, double CpuMsPerStep)
    {
        public double MedianMs => Median(StepMs);
        public double TokensPerSecond => BatchSize * 1000.0 / MedianMs;
        public double CpuTokensPerSecond => BatchSize * 1000.0 / CpuMsPerStep;

        public double[] SortedStepMs()
        {
            var sorted = (double[])StepMs.Clone();
            Array.Sort(sorted);
            return sorted;
        }

        public static StepTimes Merge(StepTimes a, StepTimes b) => new(a.BatchSize, [.. a.StepMs, .. b.StepMs], (a.CpuMsPerStep + b.CpuMsPerStep) / 2);
    }

    private static double Median(double[] values)
    {
        if (values.Length == 0) return double.NaN;
        var copy = (double[])values.Clone();
        Array.Sort(copy);
        return copy[copy.Length / 2];
    }

    private static (double Cached, double Recompute) CachedVersusRecompute(MusicModel model, string variant, int context, int recomputeSteps, int vocab)
    {
        var prompt = RandomPrompt(model, context);
        // Cached: the prefix is in the KV cache; each step runs one token.
        double cached;
        using (var batch = model.CreateBatch(1, variant, context + 40))
        {
            var r = Endless(3, 32);
            r.PrefixTokenIds = prompt[1..];
            r.Sampling.UseGrammar = false; // a random prompt is not grammatical
            r.Sampling.TokenBias = new Dictionary<int, float> { [model.Tokenizer.Eos] = float.NegativeInfinity };
            batch.Add(model.CreateSequence(r));
            batch.Step();
            var times = new List<double>();
            while (batch.Count > 0)
            {
                var t0 = Stopwatch.GetTimestamp();
                batch.Step();
                times.Add(Stopwatch.GetElapsedTime(t0).TotalMilliseconds);
            }
            cached = Median([.. times]);
        }
        // Recompute: no cache; every step runs the whole prefix again (one prefill per token).
        var decoder = model.CreateDecoder(1, variant, context + recomputeSteps + 2);
        using (decoder)
        {
            var sequence = new List<int>(prompt);
            decoder.Prefill(sequence.ToArray());
            decoder.RemoveRow(0);
            var times = new double[recomputeSteps];
            for (int i = 0; i < recomputeSteps; i++)
            {
                var t0 = Stopwatch.GetTimestamp();
                var logits = decoder.Prefill(sequence.ToArray());
                sequence.Add(TensorPrimitives.IndexOfMax(logits[..vocab]));
                decoder.RemoveRow(0);
                times[i] = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
            }
            return (cached, Median(times));
        }
    }

    private static double TimeToFirstToken(MusicModel model, string variant, int primer, int vocab)
    {
        var prompt = RandomPrompt(model, primer);
        var best = double.MaxValue;
        for (int i = 0; i < 3; i++)
        {
            using var batch = model.CreateBatch(1, variant, primer + 8);
            var r = Endless(5, 4);
            r.PrefixTokenIds = prompt[1..];
            r.Sampling.UseGrammar = false; // a random prompt is not grammatical
            var s = model.CreateSequence(r);
            var start = Stopwatch.GetTimestamp();
            batch.Add(s);
            best = Math.Min(best, Stopwatch.GetElapsedTime(start).TotalMilliseconds);
        }
        return best;
    }

    private static double AllocationsPerStep(MusicModel model, string variant)
    {
        using var batch = model.CreateBatch(8, variant, 256);
        for (int i = 0; i < 8; i++)
        {
            var r = Endless(i, 200);
            r.Sampling.RepetitionPenalty = 1.1f;
            r.Sampling.TokenBias = new Dictionary<int, float> { [model.Tokenizer.Eos] = float.NegativeInfinity };
            batch.Add(model.CreateSequence(r));
        }
        for (int i = 0; i < 10; i++) batch.Step();
        const int Steps = 100;
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < Steps && batch.Count == 8; i++) batch.Step();
        return (GC.GetAllocatedBytesForCurrentThread() - before) / (double)Steps;
    }

    private static double SamplingStep(MusicModel model)
    {
        int vocab = model.Package.VocabularySize;
        var sampler = new TokenSampler(new SamplingOptions { TopK = 40, TopP = 0.95f, RepetitionPenalty = 1.1f }, vocab, 1, model.Tokenizer.Eos);
        var grammar = model.Tokenizer.CreateGrammar();
        grammar.Reset();
        grammar.Accept(model.Tokenizer.Bos);
        var rng = new Random(1);
        var logits = new float[vocab];
        for (int i = 0; i < vocab; i++) logits[i] = (float)(rng.NextDouble() * 8 - 4);
        var history = new int[256];
        for (int i = 0; i < history.Length; i++) history[i] = rng.Next(vocab);
        var times = new double[2000];
        for (int i = 0; i < times.Length; i++)
        {
            var t0 = Stopwatch.GetTimestamp();
            sampler.Next(logits, history, grammar);
            times[i] = Stopwatch.GetElapsedTime(t0).TotalMicroseconds;
        }
        Array.Sort(times);
        return times[times.Length / 2];
    }

    private static int[] RandomPrompt(MusicModel model, int length)
    {
        var rng = new Random(17);
        var prompt = new int[length];
        prompt[0] = model.Tokenizer.Bos;
        for (int i = 1; i < length; i++) prompt[i] = 3 + rng.Next(model.Package.VocabularySize - 3);
        return prompt;
    }

    /// <summary>Single-thread copy bandwidth over 128 MiB buffers (read + write bytes per second), best of 5: main memory.</summary>
    public static double MemoryBandwidth() => CopyBandwidth(128 << 20, 5);

    /// <summary>
    /// Single-thread copy bandwidth between two 4 MiB buffers (read + write bytes per second), best of 40: data that
    /// fits the last-level cache of a server CPU but not a core's L2, as a small model's weights do at batch 1.
    /// </summary>
    public static double CacheBandwidth() => CopyBandwidth(4 << 20, 40);

    private static double CopyBandwidth(int bytes, int repeats)
    {
        var a = GC.AllocateUninitializedArray<byte>(bytes);
        var b = GC.AllocateUninitializedArray<byte>(bytes);
        a.AsSpan().Fill(1);
        b.AsSpan().Fill(2);
        double best = 0;
        for (int i = 0; i < repeats; i++)
        {
            var t0 = Stopwatch.GetTimestamp();
            a.AsSpan().CopyTo(b);
            var s = Stopwatch.GetElapsedTime(t0).TotalSeconds;
            best = Math.Max(best, 2.0 * bytes / s / 1e9);
        }
        return best;
    }

    /// <summary>
    /// Single-core fused multiply-add peak (GFLOP/s): 8 independent accumulators in registers, 512-bit where the CPU
    /// runs 512-bit vectors natively (as ONNX Runtime's MLAS kernels then do), else 256-bit; no memory traffic, best
    /// of 5. What a perfect one-thread matmul could reach.
    /// </summary>
    public static double FmaRate()
    {
        const int Iterations = 4_000_000;
        double best = 0;
        for (int r = 0; r < 5; r++)
        {
            var t0 = Stopwatch.GetTimestamp();
            var sink = Vector512.IsHardwareAccelerated ? FmaKernel512(Iterations) : FmaKernel(Iterations);
            var s = Stopwatch.GetElapsedTime(t0).TotalSeconds;
            if (float.IsNaN(sink)) return double.NaN;
            int lanes = Vector512.IsHardwareAccelerated ? Vector512<float>.Count : Vector256<float>.Count;
            best = Math.Max(best, 8.0 * 2 * lanes * Iterations / s / 1e9);
        }
        return best;
    }

    private static float FmaKernel(int iterations)
    {
        var m = Vector256.Create(0.999999f);
        var a = Vector256.Create(1e-7f);
        Vector256<float> c0 = Vector256.Create(1f), c1 = c0, c2 = c0, c3 = c0, c4 = c0, c5 = c0, c6 = c0, c7 = c0;
        for (int i = 0; i < iterations; i++)
        {
            c0 = Vector256.FusedMultiplyAdd(c0, m, a);
            c1 = Vector256.FusedMultiplyAdd(c1, m, a);
            c2 = Vector256.FusedMultiplyAdd(c2, m, a);
            c3 = Vector256.FusedMultiplyAdd(c3, m, a);
            c4 = Vector256.FusedMultiplyAdd(c4, m, a);
            c5 = Vector256.FusedMultiplyAdd(c5, m, a);
            c6 = Vector256.FusedMultiplyAdd(c6, m, a);
            c7 = Vector256.FusedMultiplyAdd(c7, m, a);
        }
        return Vector256.Sum(c0 + c1 + c2 + c3 + c4 + c5 + c6 + c7);
    }

    private static float FmaKernel512(int iterations)
    {
        var m = Vector512.Create(0.999999f);
        var a = Vector512.Create(1e-7f);
        Vector512<float> c0 = Vector512.Create(1f), c1 = c0, c2 = c0, c3 = c0, c4 = c0, c5 = c0, c6 = c0, c7 = c0;
        for (int i = 0; i < iterations; i++)
        {
            c0 = Vector512.FusedMultiplyAdd(c0, m, a);
            c1 = Vector512.FusedMultiplyAdd(c1, m, a);
            c2 = Vector512.FusedMultiplyAdd(c2, m, a);
            c3 = Vector512.FusedMultiplyAdd(c3, m, a);
            c4 = Vector512.FusedMultiplyAdd(c4, m, a);
            c5 = Vector512.FusedMultiplyAdd(c5, m, a);
            c6 = Vector512.FusedMultiplyAdd(c6, m, a);
            c7 = Vector512.FusedMultiplyAdd(c7, m, a);
        }
        return Vector512.Sum(c0 + c1 + c2 + c3 + c4 + c5 + c6 + c7);
    }

    private static double Percentile(double[] sorted, double p) =>
        sorted.Length == 0 ? double.NaN : sorted[Math.Min(sorted.Length - 1, (int)Math.Round(p * (sorted.Length - 1)))];
}
