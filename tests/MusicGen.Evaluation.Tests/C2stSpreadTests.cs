namespace MusicGen.Evaluation.Tests;

public sealed class C2stSpreadTests
{
    private static float[][] Set(Random rng, int count, bool chromatic) =>
        Enumerable.Range(0, count).Select(_ => FeatureVector.Create(Scores.Random(rng, chromatic))).ToArray();

    [Fact]
    public void Each_set_is_tested_in_order_and_the_spread_is_their_summary()
    {
        var rng = new Random(11);
        var real = Set(rng, 24, chromatic: false);
        var options = new C2stOptions { Trees = 20 };
        var far = Set(rng, 16, chromatic: true);
        var near1 = Set(rng, 16, chromatic: false);
        var near2 = Set(rng, 16, chromatic: false);

        var spread = C2stSpread.Run(real, [far, near1, near2], options);

        // Set order is kept, and each set's test is the plain test of that set (same seed, same folds).
        Assert.Equal(3, spread.Sets.Count);
        Assert.Equal(16, spread.SetSize);
        Assert.Equal(ClassifierTwoSampleTest.Run(real, far, options).Auc, spread.Sets[0].Auc);
        Assert.Equal(ClassifierTwoSampleTest.Run(real, near2, options).Auc, spread.Sets[2].Auc);
        Assert.True(spread.Sets[0].Auc > 0.9, $"chromatic set: {spread.Sets[0].Auc}");
        Assert.True(spread.Sets[1].Auc < 0.75 && spread.Sets[2].Auc < 0.75, $"same-generator sets: {spread.Sets[1].Auc}, {spread.Sets[2].Auc}");

        // The summary, worked out here from the three AUCs.
        var a = spread.Sets.Select(s => s.Auc).ToArray();
        var sorted = a.Order().ToArray();
        var mean = (a[0] + a[1] + a[2]) / 3;
        Assert.Equal(mean, spread.Mean, 12);
        Assert.Equal(sorted[1], spread.Median);
        Assert.Equal(Math.Sqrt((((a[0] - mean) * (a[0] - mean)) + ((a[1] - mean) * (a[1] - mean)) + ((a[2] - mean) * (a[2] - mean))) / 2), spread.Std, 12);
        Assert.Equal(sorted[0], spread.Min);
        Assert.Equal(a[0], spread.Max);
        Assert.Equal(2, spread.AtMost(C2stSpread.ReferenceAuc));

        var json = spread.ToJson();
        Assert.Equal(3, json["aucs"]!.AsArray().Count);
        Assert.Equal(2, json["atOrBelowReference"]!.GetValue<int>());
        var md = spread.Markdown();
        Assert.Contains("3 independent generated sets of 16 pieces", md);
        Assert.Contains("2 of 3 sets at or below 0.750", md);
    }

    [Fact]
    public void Sets_of_different_sizes_are_refused_since_the_auc_depends_on_the_size()
    {
        var rng = new Random(12);
        var real = Set(rng, 10, chromatic: false);
        var e = Assert.Throws<ArgumentException>(() => C2stSpread.Run(real, [Set(rng, 8, false), Set(rng, 6, false)]));
        Assert.Contains("set 1 has 8 pieces, set 2 has 6", e.Message);
        Assert.Throws<ArgumentException>(() => C2stSpread.Run(real, []));
    }

    [Fact]
    public void Two_sets_have_an_even_median()
    {
        var rng = new Random(13);
        var real = Set(rng, 12, chromatic: false);
        var spread = C2stSpread.Run(real, [Set(rng, 10, true), Set(rng, 10, false)], new C2stOptions { Trees = 20 });
        Assert.Equal((spread.Sets[0].Auc + spread.Sets[1].Auc) / 2, spread.Median, 12);
    }
}
