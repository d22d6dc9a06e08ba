using MusicGen.Core.Metrics;

namespace MusicGen.Evaluation;

/// <summary>One metric compared between the real and the generated set.</summary>
/// <param name="Name">Metric name.</param>
/// <param name="Real">Summary of the real pieces' values.</param>
/// <param name="Generated">Summary of the generated pieces' values.</param>
/// <param name="ValueOverlap">Overlapping area of the KDEs of the per-piece values of the two sets.</param>
/// <param name="RealIntraVsInterOverlap">
/// Yang and Lerch's overlapping area: KDE of the real set's intra-set distances against the KDE of the inter-set
/// distances (mgeval's <c>overlap_area(set1_intra, sets_inter)</c>, set 1 = the reference set).
/// </param>
/// <param name="GeneratedIntraVsInterOverlap">The same with the generated set's intra-set distances (mgeval's <c>oa_2</c>).</param>
public sealed record MetricComparison(
    string Name,
    SampleSummary Real,
    SampleSummary Generated,
    double ValueOverlap,
    double RealIntraVsInterOverlap,
    double GeneratedIntraVsInterOverlap);

/// <summary>Per-piece metric values of a set of pieces, one row per piece in the order of <see cref="MusicMetrics.All"/>.</summary>
public static class SetComparison
{
    /// <summary>
    /// Compares every metric column of <paramref name="real"/> and <paramref name="generated"/> (rows = pieces,
    /// columns = <paramref name="names"/>).
    /// </summary>
    public static IReadOnlyList<MetricComparison> Compare(IReadOnlyList<string> names, IReadOnlyList<double[]> real, IReadOnlyList<double[]> generated)
    {
        ArgumentNullException.ThrowIfNull(names);
        ArgumentNullException.ThrowIfNull(real);
        ArgumentNullException.ThrowIfNull(generated);
        foreach (var row in real.Concat(generated))
        {
            if (row.Length != names.Count)
            {
                throw new ArgumentException($"Every row needs {names.Count} values (one per metric), got a row of {row.Length}.");
            }
        }

        var result = new MetricComparison[names.Count];
        for (int m = 0; m < names.Count; m++)
        {
            var a = real.Select(r => r[m]).ToArray();
            var b = generated.Select(r => r[m]).ToArray();
            var inter = DistributionOverlap.InterSetDistances(a, b);
            var intraA = DistributionOverlap.IntraSetDistances(a);
            var intraB = DistributionOverlap.IntraSetDistances(b);
            result[m] = new MetricComparison(
                names[m],
                SampleSummary.Of(a),
                SampleSummary.Of(b),
                TwoOrMore(a, b) ? DistributionOverlap.OverlapArea(a, b) : double.NaN,
                intraA.Length > 1 && inter.Length > 1 ? DistributionOverlap.OverlapArea(intraA, inter) : double.NaN,
                intraB.Length > 1 && inter.Length > 1 ? DistributionOverlap.OverlapArea(intraB, inter) : double.NaN);
        }

        return result;
    }

    private static bool TwoOrMore(double[] a, double[] b) => a.Count(double.IsFinite) > 1 && b.Count(double.IsFinite) > 1;
}
