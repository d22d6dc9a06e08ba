namespace MusicGen.Evaluation.Tests;

public class StatisticsTests
{
    [Fact]
    public void Overlap_of_a_sample_with_itself_is_nearly_one_and_of_far_samples_nearly_zero()
    {
        var rng = new Random(1);
        var a = Enumerable.Range(0, 300).Select(_ => Normal(rng)).ToArray();
        var b = Enumerable.Range(0, 300).Select(_ => Normal(rng)).ToArray();
        // Same sample: 1 (up to the integration error); mgeval's range-limited integral cuts the tails.
        Assert.InRange(DistributionOverlap.OverlapArea(a, a), 0.999, 1.0);
        Assert.InRange(DistributionOverlap.OverlapAreaWithinRange(a, a), 0.95, 0.999);
        Assert.InRange(DistributionOverlap.OverlapArea(a, b), 0.85, 1.0);
        Assert.InRange(DistributionOverlap.OverlapArea(a, b.Select(x => x + 10)), 0.0, 0.01);
    }

    [Fact]
    public void Overlap_of_two_unit_normals_one_sd_apart_matches_the_closed_form()
    {
        // Large samples: OA of N(0,1) and N(1,1) = 2 Phi(-1/2) = 0.6171.
        var rng = new Random(2);
        var a = Enumerable.Range(0, 6000).Select(_ => Normal(rng)).ToArray();
        var b = Enumerable.Range(0, 6000).Select(_ => Normal(rng) + 1).ToArray();
        Assert.InRange(DistributionOverlap.OverlapArea(a, b), 0.59, 0.64);
    }

    [Fact]
    public void Samples_piled_at_an_end_of_their_range_overlap_fully_over_the_whole_support()
    {
        // Mostly zeros (like an empty-measure rate): mgeval's [min, max] integral halves the peak at 0.
        var a = Enumerable.Repeat(0.0, 95).Concat(Enumerable.Range(1, 5).Select(i => i / 100.0)).ToArray();
        Assert.InRange(DistributionOverlap.OverlapArea(a, a), 0.999, 1.0);
        Assert.InRange(DistributionOverlap.OverlapAreaWithinRange(a, a), 0.4, 0.7);
    }

    [Fact]
    public void Degenerate_samples()
    {
        Assert.Equal(1.0, DistributionOverlap.OverlapArea([3, 3, 3], [3, 3]));
        Assert.True(double.IsNaN(DistributionOverlap.OverlapArea([double.NaN], [1, 2])));
        Assert.InRange(DistributionOverlap.OverlapArea([0, 0, 0], [10, 11, 12, 13]), 0.0, 0.01);
    }

    [Fact]
    public void Kde_uses_scotts_bandwidth()
    {
        double[] x = [0, 1, 2, 3, 4];
        var kde = new GaussianKde(x, 0, 0, 4);
        double sd = Math.Sqrt(2.5);
        Assert.Equal(sd * Math.Pow(5, -0.2), kde.Bandwidth, 12);
        double h = kde.Bandwidth;
        double expected = x.Sum(v => Math.Exp(-0.5 * (v - 1.5) * (v - 1.5) / (h * h))) / (5 * h * Math.Sqrt(2 * Math.PI));
        Assert.Equal(expected, kde.Density(1.5), 12);
    }

    [Fact]
    public void Intra_and_inter_set_distances()
    {
        Assert.Equal([1, 3, 2], DistributionOverlap.IntraSetDistances([1, 2, 4]));
        Assert.Equal([4, 9, 3, 8], DistributionOverlap.InterSetDistances([1, 2, double.NaN], [5, 10]));
    }

    [Fact]
    public void Summary_leaves_nan_out_and_uses_population_std()
    {
        var s = SampleSummary.Of([1, 3, double.NaN]);
        Assert.Equal(2, s.Count);
        Assert.Equal(1, s.Missing);
        Assert.Equal(2, s.Mean, 12);
        Assert.Equal(1, s.Std, 12);
    }

    [Fact]
    public void Auc_and_delong_variance_by_hand()
    {
        // Positives {0.9, 0.4}, negatives {0.5, 0.1, 0.4}: pairs won 0.9>all (3), 0.4>0.1 (1), 0.4=0.4 (1/2) -> 4.5/6.
        var (auc, variance) = RocAuc.Compute([0.9, 0.4], [0.5, 0.1, 0.4]);
        Assert.Equal(0.75, auc, 12);
        // V10 = {1, 1.5/3 = 0.5}; V01 = {0.5 (0.5: only 0.9 above), 1, 0.75}. S10 = 0.125, S01 = 0.0625.
        Assert.Equal((0.125 / 2) + (0.0625 / 3), variance, 12);
        Assert.Equal(0.5, RocAuc.Auc([1, 1], [1]));
        Assert.Throws<ArgumentException>(() => RocAuc.Auc([], [1]));
    }

    [Fact]
    public void Normal_quantile()
    {
        Assert.Equal(1.959963985, Numerics.NormalQuantile(0.975), 7);
        Assert.Equal(-2.326347874, Numerics.NormalQuantile(0.01), 7);
        Assert.Equal(0, Numerics.NormalQuantile(0.5), 12);
    }

    [Fact]
    public void Set_comparison_reports_every_metric()
    {
        string[] names = ["a", "b"];
        var rng = new Random(3);
        var real = Enumerable.Range(0, 40).Select(_ => new[] { Normal(rng), double.NaN }).ToList();
        var gen = Enumerable.Range(0, 30).Select(_ => new[] { Normal(rng) + 8, 1.0 }).ToList();
        var cmp = SetComparison.Compare(names, real, gen);
        Assert.Equal("a", cmp[0].Name);
        Assert.Equal(40, cmp[0].Real.Count);
        Assert.InRange(cmp[0].ValueOverlap, 0, 0.05);
        // Far apart: inter-set distances (~8) barely overlap the real set's intra-set distances (~1).
        Assert.InRange(cmp[0].RealIntraVsInterOverlap, 0, 0.1);
        Assert.Equal(0, cmp[1].Real.Count);
        Assert.Equal(40, cmp[1].Real.Missing);
        Assert.True(double.IsNaN(cmp[1].ValueOverlap));
        Assert.Throws<ArgumentException>(() => SetComparison.Compare(names, [new double[1]], gen));
    }

    private static double Normal(Random rng) =>
        Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble());
}
