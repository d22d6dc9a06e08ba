
namespace MusicGen.Bench;

/// <summary>Step times of one decode run; rates use the median step and process CPU time.</summary>
internal sealed record StepTimes(int BatchSize, double[] StepMs, double CpuMsPerStep)
{
    public double MedianMs => EngineMeasurements.Median(StepMs);
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
