namespace MusicGen.Evaluation.Tests;

public class NllTests
{
    // Toy frame vocabulary: PAD 0, BOS 1, EOS 2, FrameEnd 3, pitches 4..7.
    private const int V = 8, Bos = 1, Eos = 2, Fe = 3;

    /// <summary>Frames as ascending pitches then FrameEnd; EOS allowed at a frame start.</summary>
    private sealed class FrameGrammar : ITokenConstraint
    {
        private int _last = -1;

        public void Reset() => _last = -1;

        public void Accept(int token) => _last = token;

        public void MaskLogits(Span<float> logits)
        {
            for (int i = 0; i < logits.Length; i++)
            {
                bool legal = _last is Bos or Fe
                    ? i is Eos or Fe || i >= 4
                    : i == Fe || (i >= 4 && i > _last);
                if (!legal)
                {
                    logits[i] = float.NegativeInfinity;
                }
            }
        }
    }

    /// <summary>A bigram model: the logits row depends only on the current token (a real, if tiny, language model).</summary>
    private sealed class Bigram(int context) : ISequenceLogits
    {
        private readonly float[] _table = MakeTable();

        public int VocabularySize => V;

        public int ContextLength => context;

        public void Run(ReadOnlySpan<int> tokens, Span<float> logits)
        {
            for (int t = 0; t < tokens.Length; t++)
            {
                _table.AsSpan(tokens[t] * V, V).CopyTo(logits.Slice(t * V, V));
            }
        }

        private static float[] MakeTable()
        {
            var rng = new Random(4);
            return Enumerable.Range(0, V * V).Select(_ => (float)(rng.NextDouble() * 4 - 2)).ToArray();
        }
    }

    [Fact]
    public void Uniform_logits_give_log_vocabulary_per_token()
    {
        var acc = new NllAccumulator(5);
        acc.AddSequence([0, 1, 2, 3], new float[3 * 5]);
        var r = acc.Result();
        Assert.Equal(3, r.Tokens);
        Assert.Equal(Math.Log(5), r.NllPerToken, 12);
        Assert.Equal(5, r.Perplexity, 9);
        Assert.Equal(0, r.Accuracy);     // arg-max of a flat row is token 0, never a target here
        Assert.True(double.IsNaN(r.NllPerFrame));
    }

    [Fact]
    public void Masked_frame_nll_by_hand()
    {
        // BOS [P5 P6 FE] EOS under flat logits and the frame grammar.
        int[] seq = [Bos, 5, 6, Fe, Eos];
        var options = new NllOptions { FrameEndToken = Fe, EosToken = Eos };
        var acc = new NllAccumulator(V, options);
        acc.AddSequence(seq, new float[4 * V], new FrameGrammar());
        var r = acc.Result();
        // Token NLLs: P5 of {4..7, FE, EOS} = ln 6; P6 of {6, 7, FE} = ln 3; FE of {7, FE} = ln 2; EOS of 6 = ln 6.
        Assert.Equal((Math.Log(6) + Math.Log(3) + Math.Log(2) + Math.Log(6)) / 4, r.NllPerToken, 12);
        // The frame, given that the piece goes on: ln 5 + ln 3 + ln 2.
        Assert.Equal(1, r.Frames);
        Assert.Equal(Math.Log(5) + Math.Log(3) + Math.Log(2), r.NllPerFrame, 12);
        Assert.Equal(0, r.MaskViolations);

        var unconditioned = new NllAccumulator(V, options with { ConditionFramesOnLength = false });
        unconditioned.AddSequence(seq, new float[4 * V], new FrameGrammar());
        Assert.Equal(Math.Log(6) + Math.Log(3) + Math.Log(2), unconditioned.Result().NllPerFrame, 12);
    }

    [Fact]
    public void Frame_probabilities_sum_to_one_over_all_frames()
    {
        // Any model: logits drawn from a hash of the prefix. Sum over the 16 pitch sets of P(frame | BOS) = 1.
        var options = new NllOptions { FrameEndToken = Fe, EosToken = Eos };
        double total = 0;
        for (int mask = 0; mask < 16; mask++)
        {
            var seq = new List<int> { Bos };
            for (int p = 0; p < 4; p++)
            {
                if ((mask & (1 << p)) != 0)
                {
                    seq.Add(4 + p);
                }
            }

            seq.Add(Fe);
            var logits = new float[(seq.Count - 1) * V];
            for (int t = 0; t < seq.Count - 1; t++)
            {
                var prefixHash = seq.Take(t + 1).Aggregate(17, (h, x) => (h * 31) + x);
                var r2 = new Random(prefixHash);
                for (int i = 0; i < V; i++)
                {
                    logits[(t * V) + i] = (float)(r2.NextDouble() * 6 - 3);
                }
            }

            var acc = new NllAccumulator(V, options);
            acc.AddSequence(seq.ToArray(), logits, new FrameGrammar());
            total += Math.Exp(-acc.Result().NllPerFrame);
        }

        Assert.Equal(1.0, total, 6);
    }

    [Fact]
    public void First_frame_can_be_left_out()
    {
        int[] seq = [Bos, 4, Fe, 5, Fe, Eos];
        var acc = new NllAccumulator(V, new NllOptions { FrameEndToken = Fe, EosToken = Eos, ScoreFirstFrame = false });
        acc.AddSequence(seq, new float[5 * V], new FrameGrammar());
        var r = acc.Result();
        Assert.Equal(1, r.Frames);
        Assert.False(r.FirstFrameScored);
        // Second frame: P5 of {4..7, FE} (EOS excluded) = ln 5; FE of {6, 7, FE} = ln 3.
        Assert.Equal(Math.Log(5) + Math.Log(3), r.NllPerFrame, 12);
    }

    [Fact]
    public void Illegal_target_is_counted_and_scored_unmasked()
    {
        int[] seq = [Bos, 6, 5, Fe, Eos];   // 5 after 6 breaks the ascending rule
        var acc = new NllAccumulator(V, new NllOptions { FrameEndToken = Fe, EosToken = Eos });
        acc.AddSequence(seq, new float[4 * V], new FrameGrammar());
        var r = acc.Result();
        Assert.Equal(1, r.MaskViolations);
        Assert.True(double.IsFinite(r.NllPerToken));
    }

    [Fact]
    public void Accuracy_counts_arg_max_hits()
    {
        var logits = new float[2 * 3];
        logits[1] = 5;          // row 0 predicts token 1
        logits[3 + 0] = 5;      // row 1 predicts token 0, target is 2
        var acc = new NllAccumulator(3);
        acc.AddSequence([0, 1, 2], logits);
        Assert.Equal(0.5, acc.Result().Accuracy, 12);
    }

    [Fact]
    public void Windowed_evaluation_scores_every_token_once()
    {
        var rng = new Random(9);
        var seqs = Enumerable.Range(0, 5).Select(_ => new[] { Bos }.Concat(Enumerable.Range(0, 10).Select(_ => rng.Next(3, V))).Append(Eos).ToArray()).ToList();
        var full = NllEvaluator.Evaluate(seqs, new Bigram(int.MaxValue), () => null);
        var windowed = NllEvaluator.Evaluate(seqs, new Bigram(4), () => null);
        Assert.Equal(seqs.Sum(s => s.Length - 1), full.Tokens);
        Assert.Equal(full.Tokens, windowed.Tokens);
        Assert.Equal(full.NllPerToken, windowed.NllPerToken, 12);   // a bigram needs one token of history
        Assert.Equal(full.Accuracy, windowed.Accuracy, 12);
    }

    [Fact]
    public void Later_windows_restate_the_key_in_force_in_their_first_position()
    {
        var keys = new MusicGen.Core.Tokenization.RemiTokenizer(new MusicGen.Core.Tokenization.RemiConfig { KeyTokens = true });
        var lead = MusicGen.Core.Corpus.WindowLead.ForKeys(keys)!;
        int key = keys.VocabularySize - 24, other = keys.VocabularySize - 5;
        var seq = new[] { Bos, key, 3, 4, 5, other, 6, 7, 8, 9, Eos };
        var runs = new List<int[]>();
        var model = new Recorder(keys.VocabularySize, 4, runs);
        var restated = NllEvaluator.Evaluate([seq], model, () => null, new NllOptions { Lead = lead });
        Assert.Equal(seq.Length - 1, restated.Tokens);
        Assert.Equal([[Bos, key, 3, 4], [key, 4, 5, other], [key, other, 6, 7], [other, 7, 8, 9], [other, 9, Eos]], runs);

        runs.Clear();
        NllEvaluator.Evaluate([seq], model, () => null);
        Assert.Equal([[Bos, key, 3, 4], [3, 4, 5, other], [5, other, 6, 7], [6, 7, 8, 9], [8, 9, Eos]], runs);
    }

    private sealed class Recorder(int vocabulary, int context, List<int[]> runs) : ISequenceLogits
    {
        public int VocabularySize => vocabulary;

        public int ContextLength => context;

        public void Run(ReadOnlySpan<int> tokens, Span<float> logits)
        {
            runs.Add(tokens.ToArray());
            logits.Clear();
        }
    }

    [Fact]
    public void Misuse_is_reported()
    {
        var acc = new NllAccumulator(4);
        Assert.Throws<InvalidOperationException>(() => acc.Score(new float[4], 1));
        acc.BeginSequence(0, null);
        Assert.Throws<ArgumentException>(() => acc.Score(new float[3], 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => acc.Score(new float[4], 4));
        Assert.Throws<InvalidOperationException>(() => acc.BeginSequence(0, null));
    }
}
