namespace MusicGen.Evaluation;

/// <summary>Area under the ROC curve with DeLong's variance (DeLong, DeLong and Clarke-Pearson, Biometrics 1988).</summary>
public static class RocAuc
{
    /// <summary>
    /// AUC = P(score of a positive &gt; score of a negative) + ½ P(tie) (the Mann-Whitney statistic).
    /// </summary>
    /// <exception cref="ArgumentException">Either class is empty.</exception>
    public static double Auc(IReadOnlyList<double> positives, IReadOnlyList<double> negatives) => Compute(positives, negatives).Auc;

    /// <summary>AUC and its DeLong variance: <c>S10 / m + S01 / n</c> from the structural components.</summary>
    public static (double Auc, double Variance) Compute(IReadOnlyList<double> positives, IReadOnlyList<double> negatives)
    {
        ArgumentNullException.ThrowIfNull(positives);
        ArgumentNullException.ThrowIfNull(negatives);
        int m = positives.Count, n = negatives.Count;
        if (m == 0 || n == 0)
        {
            throw new ArgumentException($"AUC needs both classes; got {m} positive and {n} negative scores.");
        }

        // Structural components via ranks: V10_i = (#neg below x_i + ½ #neg tied) / n, V01_j likewise.
        var neg = negatives.ToArray();
        var pos = positives.ToArray();
        Array.Sort(neg);
        Array.Sort(pos);
        var v10 = new double[m];
        var v01 = new double[n];
        for (int i = 0; i < m; i++)
        {
            v10[i] = (LowerBound(neg, pos[i]) + (0.5 * (UpperBound(neg, pos[i]) - LowerBound(neg, pos[i])))) / n;
        }

        for (int j = 0; j < n; j++)
        {
            // Positives above y_j + ½ tied.
            int below = LowerBound(pos, neg[j]);
            int tiedOrBelow = UpperBound(pos, neg[j]);
            v01[j] = ((m - tiedOrBelow) + (0.5 * (tiedOrBelow - below))) / m;
        }

        double auc = v10.Average();
        double s10 = m > 1 ? v10.Sum(v => (v - auc) * (v - auc)) / (m - 1) : 0;
        double s01 = n > 1 ? v01.Sum(v => (v - auc) * (v - auc)) / (n - 1) : 0;
        return (auc, (s10 / m) + (s01 / n));
    }

    private static int LowerBound(double[] sorted, double x)
    {
        int lo = 0, hi = sorted.Length;
        while (lo < hi)
        {
            int mid = (lo + hi) >>> 1;
            if (sorted[mid] < x)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid;
            }
        }

        return lo;
    }

    private static int UpperBound(double[] sorted, double x)
    {
        int lo = 0, hi = sorted.Length;
        while (lo < hi)
        {
            int mid = (lo + hi) >>> 1;
            if (sorted[mid] <= x)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid;
            }
        }

        return lo;
    }
}
