using MusicGen.Inference.Sampling;

namespace MusicGen.Inference.Tests;

public sealed class SamplerTests
{
    private static float[] Logits(int vocab, int seed)
    {
        var rng = new Random(seed);
        return [.. Enumerable.Range(0, vocab).Select(_ => (float)(rng.NextDouble() * 10 - 5))];
    }

    [Fact]
    public void Top_k_only_ever_picks_the_k_most_likely()
    {
        for (int seed = 0; seed < 20; seed++)
        {
            var logits = Logits(300, seed);
            var allowed = logits.Select((l, i) => (l, i)).OrderByDescending(x => x.l).Take(5).Select(x => x.i).ToHashSet();
            var sampler = new TokenSampler(new SamplingOptions { TopK = 5, Temperature = 3f }, 300, seed, 2);
            for (int draw = 0; draw < 200; draw++) Assert.Contains(sampler.Next(logits, [], null), allowed);
        }
    }

    [Fact]
    public void Top_p_keeps_the_smallest_set_reaching_p()
    {
        // Probabilities 0.5, 0.3, 0.15, 0.05: top-p 0.75 keeps the first two only.
        float[] logits = [MathF.Log(0.5f), MathF.Log(0.3f), MathF.Log(0.15f), MathF.Log(0.05f)];
        var sampler = new TokenSampler(new SamplingOptions { TopP = 0.75f }, 4, 1, 0);
        var seen = new HashSet<int>();
        for (int draw = 0; draw < 500; draw++) seen.Add(sampler.Next(logits, [], null));
        Assert.Equal([0, 1], seen.Order());
    }

    [Fact]
    public void Min_p_drops_tokens_below_the_fraction_of_the_best()
    {
        float[] logits = [MathF.Log(0.6f), MathF.Log(0.3f), MathF.Log(0.09f), MathF.Log(0.01f)];
        var sampler = new TokenSampler(new SamplingOptions { MinP = 0.2f }, 4, 2, 0);
        var seen = new HashSet<int>();
        for (int draw = 0; draw < 500; draw++) seen.Add(sampler.Next(logits, [], null));
        Assert.Equal([0, 1], seen.Order()); // 0.09 / 0.6 = 0.15 < 0.2
    }

    [Fact]
    public void Repetition_penalty_and_no_repeat_ngram_change_greedy_choices()
    {
        float[] logits = [2f, 1.8f, 0f, -1f];
        Assert.Equal(0, new TokenSampler(new SamplingOptions { Greedy = true }, 4, 1, 0).Next(logits, [0], null));
        Assert.Equal(1, new TokenSampler(new SamplingOptions { Greedy = true, RepetitionPenalty = 1.2f }, 4, 1, 0).Next(logits, [0], null));
        // history 0 1 0 -> the bigram (0, 1) exists, so after 0 the token 1 is banned with n = 2.
        Assert.Equal(0, new TokenSampler(new SamplingOptions { Greedy = true, NoRepeatNgramSize = 2, RepetitionPenalty = 1.0f }, 4, 1, 0).Next([1.8f, 2f, 0f, -1f], [0, 1, 0], null));
        // a bias of -inf bans the best token
        Assert.Equal(1, new TokenSampler(new SamplingOptions { Greedy = true, TokenBias = new Dictionary<int, float> { [0] = float.NegativeInfinity } }, 4, 1, 0).Next(logits, [], null));
    }

    [Fact]
    public void Same_seed_same_draws_different_seed_different_draws()
    {
        var logits = Logits(100, 3);
        int[] Draws(long seed)
        {
            var s = new TokenSampler(new SamplingOptions { Temperature = 2f }, 100, seed, 0);
            return [.. Enumerable.Range(0, 50).Select(_ => s.Next(logits, [], null))];
        }
        Assert.Equal(Draws(9), Draws(9));
        Assert.NotEqual(Draws(9), Draws(10));
    }
}
