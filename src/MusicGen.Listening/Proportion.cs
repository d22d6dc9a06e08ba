namespace MusicGen.Listening;

/// <summary>
/// A proportion of successes (listeners who picked the real excerpt) with its 95% Wilson score interval and the
/// exact two-sided binomial p-value against chance (0.5).
/// </summary>
/// <param name="Successes">Trials that succeeded.</param>
/// <param name="Trials">Trials in all.</param>
/// <param name="Estimate">Successes / trials (NaN with no trial).</param>
/// <param name="Low">Lower end of the 95% Wilson interval (0 with no trial).</param>
/// <param name="High">Upper end of the 95% Wilson interval (1 with no trial).</param>
/// <param name="PValue">Exact two-sided binomial test of p = 0.5 (1 with no trial).</param>
public readonly record struct Proportion(int Successes, int Trials, double Estimate, double Low, double High, double PValue)
{
    /// <summary>The normal quantile of the 95% interval, z(0.975).</summary>
    public const double Z95 = 1.959963984540054;

    /// <summary>The proportion, its Wilson interval and p-value for <paramref name="successes"/> of <paramref name="trials"/>.</summary>
    public static Proportion Of(int successes, int trials)
    {
        if (trials < 0) throw new ArgumentOutOfRangeException(nameof(trials), trials, "trials must be >= 0");
        if (successes < 0 || successes > trials)
            throw new ArgumentOutOfRangeException(nameof(successes), successes, $"successes must be between 0 and trials ({trials})");
        if (trials == 0) return new Proportion(0, 0, double.NaN, 0, 1, 1);
        var (low, high) = Wilson(successes, trials, Z95);
        return new Proportion(successes, trials, (double)successes / trials, low, high, BinomialTwoSided(successes, trials));
    }

    /// <summary>
    /// Wilson score interval: (p + z²/2n ± z·sqrt(p(1-p)/n + z²/4n²)) / (1 + z²/n), clamped to [0, 1].
    /// </summary>
    public static (double Low, double High) Wilson(int successes, int trials, double z)
    {
        if (trials <= 0) throw new ArgumentOutOfRangeException(nameof(trials), trials, "trials must be positive");
        double n = trials, p = successes / n, z2 = z * z;
        double centre = p + z2 / (2 * n);
        double half = z * Math.Sqrt(p * (1 - p) / n + z2 / (4 * n * n));
        double denominator = 1 + z2 / n;
        return (Math.Max(0, (centre - half) / denominator), Math.Min(1, (centre + half) / denominator));
    }

    /// <summary>
    /// Exact two-sided binomial test of p = 0.5: the probability, under chance, of a count at least as far from
    /// n/2 as <paramref name="successes"/> (both tails; the distribution is symmetric).
    /// </summary>
    public static double BinomialTwoSided(int successes, int trials)
    {
        if (trials <= 0) return 1;
        int far = Math.Min(successes, trials - successes); // the lower tail's count at the same distance
        if (2 * far == trials) return 1;
        // P(X <= far) for X ~ Binomial(n, 1/2), summed in log space so that large n does not underflow.
        double logHalfN = trials * Math.Log(0.5);
        double logChoose = 0, tail = 0;
        for (int k = 0; k <= far; k++)
        {
            if (k > 0) logChoose += Math.Log(trials - k + 1) - Math.Log(k);
            tail += Math.Exp(logChoose + logHalfN);
        }
        return Math.Min(1, 2 * tail);
    }
}
