using MusicGen.Core.Packaging;

namespace MusicGen.Inference.Tests;

public sealed class SequenceScorerTests
{
    /// <summary>Row t of a whole-sequence score equals the engine's logits after token t (prefill, then cached steps).</summary>
    [Theory]
    [InlineData("transformer", "fast")]
    [InlineData("transformer", "portable")]
    [InlineData("lstm", "lstm")]
    public void Every_row_matches_the_engines_cached_decode(string kind, string variant)
    {
        string dir = kind == "lstm" ? TestPackages.Lstm() : TestPackages.Transformer();
        using var scorer = SequenceScorer.Open(dir, intraOpThreads: 1);
        using var model = MusicModel.Load(dir);
        int v = model.Package.VocabularySize;
        Assert.True(scorer.VocabularySize >= v);
        var rng = new Random(5);
        var tokens = Enumerable.Range(0, 40).Select(_ => rng.Next(v)).ToArray();
        var all = new float[tokens.Length * scorer.VocabularySize];
        scorer.Run(tokens, all);

        using var decoder = model.CreateDecoder(1, variant);
        const int prompt = 6;
        double max = MaxAbsDiff(decoder.Prefill(tokens.AsSpan(0, prompt)), all.AsSpan((prompt - 1) * scorer.VocabularySize, v));
        for (int t = prompt; t < tokens.Length; t++)
            max = Math.Max(max, MaxAbsDiff(decoder.Decode(tokens.AsSpan(t, 1)), all.AsSpan(t * scorer.VocabularySize, v)));
        Assert.True(max <= 1e-4, $"max abs diff {max}");
    }

    /// <summary>A fast graph scored one token per run gives the portable graph's rows; the int8 graph gives close but other rows.</summary>
    [Theory]
    [InlineData(GraphPreference.Fast, 1e-4)]
    [InlineData(GraphPreference.FastInt8, 0.5)]
    public void A_fast_graph_scores_token_by_token_like_the_portable_graph(GraphPreference graph, double bound)
    {
        string dir = TestPackages.Transformer();
        using var portable = SequenceScorer.Open(dir, intraOpThreads: 1);
        using var fast = SequenceScorer.Open(dir, intraOpThreads: 1, graph);
        Assert.Equal(graph == GraphPreference.Fast ? GraphVariants.Fast : GraphVariants.FastInt8, fast.Graph.Variant);
        int v = fast.VocabularySize;
        var rng = new Random(9);
        var tokens = Enumerable.Range(0, 50).Select(_ => rng.Next(v)).ToArray();
        var expected = new float[tokens.Length * portable.VocabularySize];
        var actual = new float[tokens.Length * v];
        portable.Run(tokens, expected);
        fast.Run(tokens, actual);
        double max = 0;
        for (int t = 0; t < tokens.Length; t++)
            max = Math.Max(max, MaxAbsDiff(actual.AsSpan(t * v, v), expected.AsSpan(t * portable.VocabularySize, v)));
        Assert.True(max <= bound, $"max abs diff {max}");
        if (graph == GraphPreference.FastInt8) Assert.True(max > 1e-4, "the int8 graph gave fp32 logits: it did not run");
    }

    [Fact]
    public void An_lstm_package_has_no_fast_graph_to_score_with()
    {
        var e = Assert.Throws<ModelPackageException>(() => SequenceScorer.Open(TestPackages.Lstm(), intraOpThreads: 1, GraphPreference.Fast));
        Assert.Contains("LSTM", e.Message);
    }

    [Fact]
    public void Bad_arguments_are_rejected()
    {
        using var scorer = SequenceScorer.Open(TestPackages.Transformer(), intraOpThreads: 1);
        Assert.Throws<ArgumentException>(() => scorer.Run([], new float[scorer.VocabularySize]));
        Assert.Throws<ArgumentException>(() => scorer.Run([1, 2], new float[scorer.VocabularySize]));
        Assert.Throws<ArgumentException>(() => scorer.Run(new int[scorer.ContextLength + 1], new float[(scorer.ContextLength + 1) * scorer.VocabularySize]));
    }

    private static double MaxAbsDiff(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        Assert.Equal(a.Length, b.Length);
        double m = 0;
        for (int i = 0; i < a.Length; i++) m = Math.Max(m, Math.Abs((double)a[i] - b[i]));
        return m;
    }
}
