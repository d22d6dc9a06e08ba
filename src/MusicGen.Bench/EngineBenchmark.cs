using System.Diagnostics;
using MusicGen.Core.Packaging;
using MusicGen.Inference;
using static MusicGen.Bench.EngineMeasurements;
using static MusicGen.Bench.MachineBounds;

namespace MusicGen.Bench;

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
}
