using MusicGen.Core.Metrics;
using MusicGen.Core.Music;

namespace MusicGen.Evaluation;

/// <summary>
/// The per-piece feature vector of the classifier two-sample test: every metric of <see cref="MusicMetrics.All"/>
/// (NaN kept; the test maps it to -1), the 12-bin pitch-class histogram and the 25-bin melodic interval histogram.
/// </summary>
public static class FeatureVector
{
    /// <summary>Feature names, in vector order: metric names, <c>pc_0</c>..<c>pc_11</c>, <c>interval_-12</c>..<c>interval_12</c>.</summary>
    public static IReadOnlyList<string> Names { get; } = MusicMetrics.Names
        .Concat(Enumerable.Range(0, 12).Select(i => $"pc_{i}"))
        .Concat(Enumerable.Range(-PieceFeatures.MaxInterval, PieceFeatures.IntervalBins).Select(i => $"interval_{i}"))
        .ToArray();

    /// <summary>The feature vector of <paramref name="score"/>.</summary>
    public static float[] Create(Score score, MetricOptions? options = null) => Create(score, MusicMetrics.Compute(score, options));

    /// <summary>The feature vector of <paramref name="score"/> whose metrics are already computed.</summary>
    public static float[] Create(Score score, double[] metrics)
    {
        ArgumentNullException.ThrowIfNull(metrics);
        return metrics
            .Concat(PieceFeatures.PitchClassHistogram(score))
            .Concat(PieceFeatures.IntervalHistogram(score))
            .Select(v => (float)v)
            .ToArray();
    }
}
