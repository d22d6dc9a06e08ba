using MusicGen.Listening;

namespace MusicGen.Listening.Tests;

public sealed class ProportionTests
{
    // Newcombe (1998), "Two-sided confidence intervals for the single proportion", Table I, method 3 (Wilson score
    // interval without continuity correction), to the four decimals published.
    [Theory]
    [InlineData(81, 263, 0.2553, 0.3662)]
    [InlineData(15, 148, 0.0624, 0.1605)]
    [InlineData(0, 20, 0.0000, 0.1611)]
    [InlineData(1, 29, 0.0061, 0.1718)]
    public void Wilson_interval_matches_the_published_values(int k, int n, double low, double high)
    {
        var p = Proportion.Of(k, n);
        Assert.Equal(low, p.Low, 4);
        Assert.Equal(high, p.High, 4);
        Assert.Equal((double)k / n, p.Estimate, 12);
    }

    [Fact]
    public void Wilson_interval_stays_inside_0_1_and_contains_the_estimate()
    {
        for (var n = 1; n <= 60; n++)
            for (var k = 0; k <= n; k++)
            {
                var p = Proportion.Of(k, n);
                Assert.InRange(p.Low, 0, p.Estimate + 1e-12);
                Assert.InRange(p.High, p.Estimate - 1e-12, 1);
                // Symmetric: k of n and n-k of n mirror each other around 0.5.
                var mirror = Proportion.Of(n - k, n);
                Assert.Equal(1 - p.High, mirror.Low, 12);
            }
    }

    [Theory]
    [InlineData(7, 10, 176.0 * 2 / 1024)]     // 2 * P(X <= 3), X ~ B(10, 1/2)
    [InlineData(3, 10, 176.0 * 2 / 1024)]
    [InlineData(9, 10, 11.0 * 2 / 1024)]
    [InlineData(10, 10, 2.0 / 1024)]
    [InlineData(5, 10, 1.0)]
    [InlineData(550, 1000, 0.0017305360849763176)] // exact, summed in log space without underflow
    public void Binomial_p_value_is_exact(int k, int n, double expected)
    {
        Assert.Equal(expected, Proportion.Of(k, n).PValue, 12);
    }

    [Fact]
    public void No_trial_has_no_estimate_and_the_whole_interval()
    {
        var p = Proportion.Of(0, 0);
        Assert.True(double.IsNaN(p.Estimate));
        Assert.Equal((0, 1, 1), (p.Low, p.High, p.PValue));
    }

    [Fact]
    public void Impossible_counts_are_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => Proportion.Of(11, 10));
        Assert.Throws<ArgumentOutOfRangeException>(() => Proportion.Of(-1, 10));
        Assert.Throws<ArgumentOutOfRangeException>(() => Proportion.Of(0, -1));
    }
}
