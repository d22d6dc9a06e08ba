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
