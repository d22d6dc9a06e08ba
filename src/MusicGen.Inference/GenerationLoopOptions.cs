namespace MusicGen.Inference;

/// <summary>How a <see cref="GenerationLoop"/> batches: slots, admissions per step, decode threads.</summary>
public sealed class GenerationLoopOptions
{
    /// <summary>Most sequences decoded together in one step of one batch (default 32).</summary>
    public int MaxBatchSize { get; set; } = 32;

    /// <summary>Most new sequences admitted (prefilled) into a batch between two of its steps (default 16).</summary>
    public int MaxAdmissionsPerStep { get; set; } = 16;

    /// <summary>
    /// Decode threads (default 1: every request of a model shares one batch and one step). N &gt; 1: up to N batches
    /// per model, each stepped on its own thread; a request joins the least loaded one.
    /// </summary>
    public int Workers { get; set; } = 1;

    /// <summary>An idle batch (its KV cache) is freed after this long without work (default 30 s).</summary>
    public TimeSpan IdleBatchLifetime { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Throws <see cref="ArgumentException"/> naming the first field out of range.</summary>
    public void ThrowIfInvalid()
    {
        if (MaxBatchSize is < 1 or > 4096) throw new ArgumentException($"{nameof(MaxBatchSize)} must be in 1..4096 (got {MaxBatchSize}).", nameof(MaxBatchSize));
        if (MaxAdmissionsPerStep is < 1 or > 4096) throw new ArgumentException($"{nameof(MaxAdmissionsPerStep)} must be in 1..4096 (got {MaxAdmissionsPerStep}).", nameof(MaxAdmissionsPerStep));
        if (Workers is < 1 or > 64) throw new ArgumentException($"{nameof(Workers)} must be in 1..64 (got {Workers}).", nameof(Workers));
        if (IdleBatchLifetime < TimeSpan.Zero) throw new ArgumentException($"{nameof(IdleBatchLifetime)} must be >= 0.", nameof(IdleBatchLifetime));
    }
}
