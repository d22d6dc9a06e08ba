namespace MusicGen.Evaluation;

/// <summary>
/// A one-dimensional Gaussian kernel density estimate with Scott's bandwidth, as <c>scipy.stats.gaussian_kde</c>
/// (the estimator mgeval uses): <c>h = s * n^(-1/5)</c>, s the sample standard deviation (ddof 1).
/// </summary>
public sealed class GaussianKde
{
    private const int ExactLimit = 4096;
    private readonly double[] _points;
    private readonly double[] _weights;

    /// <summary>Estimates the density of <paramref name="samples"/> (finite values only).</summary>
    /// <param name="samples">At least one finite value.</param>
    /// <param name="minBandwidth">Lower bound on the bandwidth (used when the sample has no spread).</param>
    /// <param name="gridLow">Low end of the grid large samples are binned onto.</param>
    /// <param name="gridHigh">High end of that grid.</param>
    public GaussianKde(IReadOnlyList<double> samples, double minBandwidth, double gridLow, double gridHigh)
    {
        ArgumentNullException.ThrowIfNull(samples);
        if (samples.Count < 1)
        {
            throw new ArgumentException("A density estimate needs at least one value.", nameof(samples));
        }

        Count = samples.Count;
        double mean = samples.Average();
        double ss = samples.Sum(v => (v - mean) * (v - mean));
        double sd = Count > 1 ? Math.Sqrt(ss / (Count - 1)) : 0;
        Bandwidth = Math.Max(sd * Math.Pow(Count, -0.2), minBandwidth);

        if (Count <= ExactLimit || !(gridHigh > gridLow))
        {
            _points = samples.ToArray();
            _weights = Enumerable.Repeat(1.0, Count).ToArray();
            return;
        }

        // Linear binning onto a fine grid: exact to O((grid step / bandwidth)^2) and O(grid^2) to evaluate.
        const int bins = 2048;
        double step = (gridHigh - gridLow) / (bins - 1);
        _points = new double[bins];
        _weights = new double[bins];
        for (int i = 0; i < bins; i++)
        {
            _points[i] = gridLow + (i * step);
        }

        foreach (double v in samples)
        {
            double x = Math.Clamp((v - gridLow) / step, 0, bins - 1);
            int k = Math.Min((int)x, bins - 2);
            double f = x - k;
            _weights[k] += 1 - f;
            _weights[k + 1] += f;
        }
    }

    /// <summary>Number of samples.</summary>
    public int Count { get; }

    /// <summary>Kernel standard deviation.</summary>
    public double Bandwidth { get; }

    /// <summary>Density at <paramref name="x"/>.</summary>
    public double Density(double x)
    {
        double sum = 0;
        double inv = 1 / Bandwidth;
        for (int i = 0; i < _points.Length; i++)
        {
            double w = _weights[i];
            if (w != 0)
            {
                double z = (x - _points[i]) * inv;
                sum += w * Math.Exp(-0.5 * z * z);
            }
        }

        return sum / (Count * Bandwidth * Math.Sqrt(2 * Math.PI));
    }
}

/// <summary>
/// The overlapping area of two distributions (Yang and Lerch, "On the evaluation of generative models in music",
/// Neural Computing and Applications 2020; their mgeval toolbox): the integral of <c>min(pdf_A, pdf_B)</c> of the
/// Gaussian KDEs of two samples.
/// </summary>
public static class DistributionOverlap
{
    private const int GridPoints = 2001;

    /// <summary>
    /// Overlapping area of the KDEs of <paramref name="a"/> and <paramref name="b"/>, in [0, 1]; NaN values are
    /// left out. 1 when both samples are the same single value; NaN when either has no defined value. A sample
    /// without spread gets a bandwidth of 1/200 of the combined range (scipy would fail on it). Integrated (trapezoid
    /// rule, 2001 points) over the densities' whole support: the samples' range widened by four bandwidths each side.
    /// </summary>
    public static double OverlapArea(IEnumerable<double> a, IEnumerable<double> b) => Overlap(a, b, wholeSupport: true);

    /// <summary>
    /// mgeval's exact variant: integrated over <c>[min(A ∪ B), max(A ∪ B)]</c> only. It under-reports the overlap
    /// (by up to half) of samples piled up at an end of their range, such as rates that are mostly 0 or
    /// distances that are mostly 0, so <see cref="OverlapArea"/> integrates over the densities' whole support.
    /// </summary>
    public static double OverlapAreaWithinRange(IEnumerable<double> a, IEnumerable<double> b) => Overlap(a, b, wholeSupport: false);

    private static double Overlap(IEnumerable<double> a, IEnumerable<double> b, bool wholeSupport)
    {
        var x = Numerics.Defined(a);
        var y = Numerics.Defined(b);
        if (x.Length == 0 || y.Length == 0)
        {
            return double.NaN;
        }

        double lo = Math.Min(x.Min(), y.Min());
        double hi = Math.Max(x.Max(), y.Max());
        if (!(hi > lo))
        {
            return 1.0;
        }

        double floor = (hi - lo) / 200;
        var ka = new GaussianKde(x, floor, lo, hi);
        var kb = new GaussianKde(y, floor, lo, hi);

        // The whole support: four bandwidths past the samples on each side (all but 6e-5 of each density).
        double reach = wholeSupport ? 4 * Math.Max(ka.Bandwidth, kb.Bandwidth) : 0;
        return Integrate(ka, kb, lo - reach, hi + reach);
    }

    private static double Integrate(GaussianKde ka, GaussianKde kb, double lo, double hi)
    {
        double step = (hi - lo) / (GridPoints - 1);
        double area = 0;
        double previous = 0;
        for (int i = 0; i < GridPoints; i++)
        {
            double t = lo + (i * step);
            double m = Math.Min(ka.Density(t), kb.Density(t));
            if (i > 0)
            {
                area += 0.5 * (m + previous) * step;
            }

            previous = m;
        }

        return Math.Clamp(area, 0, 1);
    }

    /// <summary>Absolute differences of every unordered pair of distinct samples of one set (mgeval's intra-set distances; NaN left out).</summary>
    public static double[] IntraSetDistances(IEnumerable<double> values)
    {
        var x = Numerics.Defined(values);
        var d = new double[(long)x.Length * (x.Length - 1) / 2];
        long k = 0;
        for (int i = 0; i < x.Length; i++)
        {
            for (int j = i + 1; j < x.Length; j++)
            {
                d[k++] = Math.Abs(x[i] - x[j]);
            }
        }

        return d;
    }

    /// <summary>Absolute differences of every pair across the two sets (mgeval's inter-set distances; NaN left out).</summary>
    public static double[] InterSetDistances(IEnumerable<double> a, IEnumerable<double> b)
    {
        var x = Numerics.Defined(a);
        var y = Numerics.Defined(b);
        var d = new double[(long)x.Length * y.Length];
        long k = 0;
        foreach (double u in x)
        {
            foreach (double v in y)
            {
                d[k++] = Math.Abs(u - v);
            }
        }

        return d;
    }
}
