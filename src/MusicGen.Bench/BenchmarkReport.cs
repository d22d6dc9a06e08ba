using MusicGen.Inference;

namespace MusicGen.Bench;

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
    /// <summary>Managed bytes allocated per decode step (batch 8, steady state: the least of <see cref="SteadyAllocation.Windows"/> windows of 100 steps).</summary>
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
