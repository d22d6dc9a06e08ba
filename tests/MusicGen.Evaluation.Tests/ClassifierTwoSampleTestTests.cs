using MusicGen.Core.Metrics;
using MusicGen.Core.Music;

namespace MusicGen.Evaluation.Tests;

public class ClassifierTwoSampleTestTests
{
    private static List<float[]> Features(IEnumerable<Score> scores) => scores.Select(s => FeatureVector.Create(s)).ToList();

    [Fact]
    public void Two_sets_from_one_generator_are_indistinguishable()
    {
        var rng = new Random(10);
        var a = Features(Enumerable.Range(0, 60).Select(_ => Scores.Random(rng)));
        var b = Features(Enumerable.Range(0, 60).Select(_ => Scores.Random(rng)));
        var r = ClassifierTwoSampleTest.Run(a, b, new C2stOptions { Seed = 1 });
        Assert.InRange(r.Auc, 0.3, 0.7);
        Assert.True(r.CiLow <= 0.5 && r.CiHigh >= 0.5, $"AUC {r.Auc} CI [{r.CiLow}, {r.CiHigh}] should contain 0.5");
        Assert.Equal(5, r.FoldAucs.Count);
    }

    [Fact]
    public void Clearly_different_sets_are_told_apart()
    {
        var rng = new Random(11);
        var a = Features(Enumerable.Range(0, 40).Select(_ => Scores.Random(rng)));
        var b = Features(Enumerable.Range(0, 40).Select(_ => Scores.Random(rng, chromatic: true, durations: [120, 120, 240])));
        var r = ClassifierTwoSampleTest.Run(a, b, new C2stOptions { Seed = 1, Permutations = 9 });
        Assert.InRange(r.Auc, 0.95, 1.0);
        Assert.True(r.CiLow > 0.8, $"CI low {r.CiLow}");
        Assert.Equal(0.1, r.PValue!.Value, 12);        // no permutation beats it: (1 + 0) / (1 + 9)
        Assert.Equal(1.0, r.FeatureGains.Sum(), 6);
        var top = ClassifierTwoSampleTest.TopFeatures(r, FeatureVector.Names, 3);
        Assert.NotEmpty(top);
        Assert.True(top[0].Share >= top[^1].Share);
    }

    [Fact]
    public void Same_seed_same_result()
    {
        var rng = new Random(12);
        var a = Features(Enumerable.Range(0, 25).Select(_ => Scores.Random(rng)));
        var b = Features(Enumerable.Range(0, 25).Select(_ => Scores.Random(rng, durations: [240, 240, 480])));
        var r1 = ClassifierTwoSampleTest.Run(a, b, new C2stOptions { Seed = 5 });
        var r2 = ClassifierTwoSampleTest.Run(a, b, new C2stOptions { Seed = 5 });
        Assert.Equal(r1.Auc, r2.Auc);
        Assert.Equal(r1.FoldAucs, r2.FoldAucs);
    }

    [Fact]
    public void Too_few_pieces_is_a_clear_error()
    {
        var v = new float[] { 1, 2 };
        var ex = Assert.Throws<ArgumentException>(() => ClassifierTwoSampleTest.Run([v, v, v], [v, v, v, v, v]));
        Assert.Contains("at least 5", ex.Message);
    }

    [Fact]
    public void Stratified_folds_spread_each_class()
    {
        var labels = Enumerable.Range(0, 23).Select(i => i < 13).ToArray();
        var folds = ClassifierTwoSampleTest.StratifiedFolds(labels, 5, new Random(0));
        for (int f = 0; f < 5; f++)
        {
            int pos = Enumerable.Range(0, 23).Count(i => folds[i] == f && labels[i]);
            int neg = Enumerable.Range(0, 23).Count(i => folds[i] == f && !labels[i]);
            Assert.InRange(pos, 2, 3);
            Assert.InRange(neg, 2, 2);
        }
    }

    [Fact]
    public void Feature_vector_layout()
    {
        var v = FeatureVector.Create(Scores.Random(new Random(0)));
        Assert.Equal(FeatureVector.Names.Count, v.Length);
        Assert.Equal(MusicMetrics.Names.Count + 12 + PieceFeatures.IntervalBins, v.Length);
        Assert.Equal("pc_0", FeatureVector.Names[MusicMetrics.Names.Count]);
    }
}
