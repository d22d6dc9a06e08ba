namespace MusicGen.Evaluation;

/// <summary>Count, mean and standard deviation of the defined (non-NaN) values of a sample.</summary>
/// <param name="Count">Number of defined values.</param>
/// <param name="Missing">Number of NaN values left out.</param>
/// <param name="Mean">Mean (NaN when <paramref name="Count"/> is 0).</param>
/// <param name="Std">Population standard deviation (numpy's <c>np.std</c>, ddof 0, as mgeval reports; NaN when empty).</param>
public readonly record struct SampleSummary(int Count, int Missing, double Mean, double Std)
{
    /// <summary>Summarises <paramref name="values"/>, leaving NaN out.</summary>
    public static SampleSummary Of(IEnumerable<double> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        int n = 0, missing = 0;
        double mean = 0, m2 = 0;
        foreach (double v in values)
        {
            if (double.IsNaN(v))
            {
                missing++;
                continue;
            }

            n++;
            double d = v - mean;
            mean += d / n;
            m2 += d * (v - mean);
        }

        return n == 0 ? new SampleSummary(0, missing, double.NaN, double.NaN) : new SampleSummary(n, missing, mean, Math.Sqrt(m2 / n));
    }
}

/// <summary>Small numeric helpers shared by the evaluation code.</summary>
public static class Numerics
{
    /// <summary>The defined (non-NaN, finite) values of <paramref name="values"/>.</summary>
    public static double[] Defined(IEnumerable<double> values) => values.Where(double.IsFinite).ToArray();

    /// <summary>Standard normal quantile (Acklam's rational approximation, relative error below 1.2e-9).</summary>
    public static double NormalQuantile(double p)
    {
        if (p is <= 0 or >= 1)
        {
            throw new ArgumentOutOfRangeException(nameof(p), p, "Probability must be strictly between 0 and 1.");
        }

        double[] a = [-3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02, 1.383577518672690e+02, -3.066479806614716e+01, 2.506628277459239e+00];
        double[] b = [-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02, 6.680131188771972e+01, -1.328068155288572e+01];
        double[] c = [-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00, -2.549732539343734e+00, 4.374664141464968e+00, 2.938163982698783e+00];
        double[] d = [7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00, 3.754408661907416e+00];
        const double low = 0.02425;
        if (p < low)
        {
            double q = Math.Sqrt(-2 * Math.Log(p));
            return (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
        }

        if (p > 1 - low)
        {
            double q = Math.Sqrt(-2 * Math.Log(1 - p));
            return -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
        }

        double r = p - 0.5, s = r * r;
        return (((((a[0] * s + a[1]) * s + a[2]) * s + a[3]) * s + a[4]) * s + a[5]) * r / (((((b[0] * s + b[1]) * s + b[2]) * s + b[3]) * s + b[4]) * s + 1);
    }
}
