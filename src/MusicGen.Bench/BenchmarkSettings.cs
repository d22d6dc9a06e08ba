
namespace MusicGen.Bench;

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
