namespace MusicGen.Bench;

/// <summary>
/// Managed allocation of a steady-state loop on the calling thread. The runtime itself can allocate once on a thread
/// that is measuring: when tiered compilation promotes a hot method to tier 1 in the background (time-based, so it
/// lands inside a window on a loaded machine and not on an idle one), or when a shared pool is trimmed by a full
/// collection started elsewhere. So the loop is measured in several windows and the least is reported: an allocation
/// the loop itself makes per step shows in every window; a one-time allocation by the runtime in at most one.
/// </summary>
public static class SteadyAllocation
{
    /// <summary>Windows measured at most (stopping at the first that allocates nothing).</summary>
    public const int Windows = 4;

    /// <summary>
    /// The least number of bytes the calling thread allocated over <see cref="Windows"/> windows of
    /// <paramref name="steps"/> calls of <paramref name="step"/> (fewer windows when one allocates nothing, or when
    /// <paramref name="canStep"/> turns false).
    /// </summary>
    /// <param name="step">One step of the loop.</param>
    /// <param name="steps">Steps per window.</param>
    /// <param name="canStep">Whether another step can run (e.g. the batch is still full); checked before each.</param>
    public static long LeastPerWindow(Action step, int steps, Func<bool>? canStep = null)
    {
        ArgumentNullException.ThrowIfNull(step);
        ArgumentOutOfRangeException.ThrowIfLessThan(steps, 1);
        var least = long.MaxValue;
        for (var w = 0; w < Windows && least > 0; w++)
        {
            var before = GC.GetAllocatedBytesForCurrentThread();
            for (var i = 0; i < steps && (canStep is null || canStep()); i++) step();
            least = Math.Min(least, GC.GetAllocatedBytesForCurrentThread() - before);
        }

        return least;
    }
}
