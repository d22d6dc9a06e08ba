using MusicGen.Core.Corpus;

namespace MusicGen.Evaluation;

/// <summary>
/// The legal-next-token rule of a tokenizer, as the NLL scorer needs it (the members of
/// <c>MusicGen.Core.Tokenization.ITokenGrammar</c> it uses).
/// </summary>
public interface ITokenConstraint
{
    /// <summary>Back to the empty prefix (before BOS).</summary>
    void Reset();

    /// <summary>Advances by one token.</summary>
    void Accept(int token);

    /// <summary>Sets every logit whose token is illegal next to negative infinity.</summary>
    void MaskLogits(Span<float> logits);
}

/// <summary>A model that gives next-token logits for every position of a token sequence in one pass.</summary>
public interface ISequenceLogits
{
    /// <summary>Logits per position (the model's output width).</summary>
    int VocabularySize { get; }

    /// <summary>Most tokens one call may take (<see cref="int.MaxValue"/> for a recurrent model).</summary>
    int ContextLength { get; }

    /// <summary>
    /// Writes <c>[tokens.Length, VocabularySize]</c> logits into <paramref name="logits"/>: row t is the
    /// distribution of token t + 1 given tokens 0..t. Positions are 0-based from the start of <paramref name="tokens"/>.
    /// </summary>
    void Run(ReadOnlySpan<int> tokens, Span<float> logits);
}

/// <summary>Options of the NLL scorer.</summary>
public sealed record NllOptions
{
    /// <summary>End-of-frame token of a frame tokenization (chorale); null: no per-frame figures.</summary>
    public int? FrameEndToken { get; init; }

    /// <summary>End-of-sequence token; with <see cref="FrameEndToken"/> it is left out of the frame figures (see <see cref="ConditionFramesOnLength"/>).</summary>
    public int? EosToken { get; init; }

    /// <summary>
    /// Score each frame given that the piece goes on (EOS removed from the distribution of a frame's first
    /// token and the rest renormalised), as the frame models of the literature, which know the length, do.
    /// Default true. The per-token figures always keep EOS.
    /// </summary>
    public bool ConditionFramesOnLength { get; init; } = true;

    /// <summary>Include the first frame of each sequence (predicted from BOS alone) in the frame figures. Default true.</summary>
    public bool ScoreFirstFrame { get; init; } = true;

    /// <summary>
    /// Tokens a window after a sequence's first restates in its first position (the key in force, as training windows
    /// and the engine's full context do; <see cref="WindowLead.ForKeys"/>), or null: windows start as cut.
    /// </summary>
    public WindowLead? Lead { get; init; }
}

/// <summary>Likelihood figures of a data split under a model.</summary>
/// <param name="Sequences">Sequences scored.</param>
/// <param name="Tokens">Tokens scored (every token after BOS).</param>
/// <param name="NllPerToken">Mean negative log-likelihood per token, nats.</param>
/// <param name="Perplexity"><c>exp(NllPerToken)</c>.</param>
/// <param name="Accuracy">Share of tokens that are the arg-max of the (masked) distribution.</param>
/// <param name="Frames">Frames scored (0 without a frame token).</param>
/// <param name="NllPerFrame">Sum of frame NLLs / frames, nats (NaN without frames).</param>
/// <param name="MaskViolations">Tokens the grammar called illegal; they were scored under the unmasked distribution.</param>
/// <param name="FirstFrameScored">Whether the first frame of each sequence counts in the frame figures.</param>
public sealed record NllResult(
    int Sequences,
    long Tokens,
    double NllPerToken,
    double Perplexity,
    double Accuracy,
    long Frames,
    double NllPerFrame,
    long MaskViolations,
    bool FirstFrameScored);

/// <summary>
/// Accumulates negative log-likelihood, perplexity and accuracy over sequences from their logits (pure: no model
/// inside). Token t of a sequence (t &gt;= 1) is scored under the log-softmax of the logits row that predicts it,
/// after the grammar masked the tokens that are illegal after tokens 0..t-1, so the scored distribution is the one
/// a constrained sampler draws from. For frame tokenizations the NLL of a frame is the sum of its tokens' NLLs,
/// its FrameEnd included. One scratch row, no allocation per token.
/// </summary>
public sealed class NllAccumulator
{
    private readonly int _vocab;
    private readonly NllOptions _options;
    private readonly float[] _row;
    private ITokenConstraint? _grammar;
    private bool _inSequence;
    private bool _atFrameStart;
    private int _frameIndex;
    private double _frameNll;
    private double _tokenNll;
    private double _framesNll;
    private long _tokens;
    private long _correct;
    private long _frames;
    private long _violations;
    private int _sequences;

    /// <summary>Creates an accumulator for logits rows of <paramref name="vocabularySize"/> entries.</summary>
    public NllAccumulator(int vocabularySize, NllOptions? options = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(vocabularySize, 2);
        _vocab = vocabularySize;
        _options = options ?? new NllOptions();
        _row = new float[vocabularySize];
    }

    /// <summary>Starts a sequence whose first token (BOS) is <paramref name="firstToken"/>; it is not scored.</summary>
    public void BeginSequence(int firstToken, ITokenConstraint? grammar)
    {
        if (_inSequence)
        {
            throw new InvalidOperationException("EndSequence was not called for the previous sequence.");
        }

        _grammar = grammar;
        _grammar?.Reset();
        _grammar?.Accept(firstToken);
        _inSequence = true;
        _atFrameStart = true;
        _frameIndex = 0;
        _frameNll = 0;
    }

    /// <summary>Scores <paramref name="target"/> under <paramref name="logits"/> (the row that predicts it), then advances the grammar.</summary>
    public void Score(ReadOnlySpan<float> logits, int target)
    {
        if (!_inSequence)
        {
            throw new InvalidOperationException("Call BeginSequence first.");
        }

        if (logits.Length != _vocab)
        {
            throw new ArgumentException($"A logits row must have {_vocab} entries, got {logits.Length}.", nameof(logits));
        }

        if ((uint)target >= (uint)_vocab)
        {
            throw new ArgumentOutOfRangeException(nameof(target), target, $"Token id outside the model's {_vocab} outputs.");
        }

        logits.CopyTo(_row);
        _grammar?.MaskLogits(_row);
        if (float.IsNegativeInfinity(_row[target]))
        {
            _violations++;
            logits.CopyTo(_row);
        }

        double lse = LogSumExp(_row, exclude: -1);
        double nll = lse - _row[target];
        _tokenNll += nll;
        _tokens++;
        if (ArgMax(_row) == target)
        {
            _correct++;
        }

        if (_options.FrameEndToken is int frameEnd && target != _options.EosToken)
        {
            double frameTokenNll = nll;
            if (_atFrameStart && _options.ConditionFramesOnLength && _options.EosToken is int eos && (uint)eos < (uint)_vocab)
            {
                frameTokenNll = LogSumExp(_row, exclude: eos) - _row[target];
            }

            _frameNll += frameTokenNll;
            _atFrameStart = false;
            if (target == frameEnd)
            {
                if (_frameIndex > 0 || _options.ScoreFirstFrame)
                {
                    _framesNll += _frameNll;
                    _frames++;
                }

                _frameIndex++;
                _frameNll = 0;
                _atFrameStart = true;
            }
        }

        _grammar?.Accept(target);
    }

    /// <summary>Ends the current sequence (an unfinished frame is dropped).</summary>
    public void EndSequence()
    {
        if (!_inSequence)
        {
            throw new InvalidOperationException("No sequence is open.");
        }

        _inSequence = false;
        _sequences++;
        _grammar = null;
    }

    /// <summary>Scores a whole sequence: <paramref name="logits"/> holds at least <c>tokens.Length - 1</c> rows, row t predicting token t + 1.</summary>
    public void AddSequence(ReadOnlySpan<int> tokens, ReadOnlySpan<float> logits, ITokenConstraint? grammar = null)
    {
        if (tokens.Length < 2)
        {
            throw new ArgumentException("A sequence needs BOS and at least one more token.", nameof(tokens));
        }

        if (logits.Length < (tokens.Length - 1) * _vocab)
        {
            throw new ArgumentException($"{tokens.Length} tokens need {tokens.Length - 1} logits rows of {_vocab}, got {logits.Length} values.", nameof(logits));
        }

        BeginSequence(tokens[0], grammar);
        for (int t = 1; t < tokens.Length; t++)
        {
            Score(logits.Slice((t - 1) * _vocab, _vocab), tokens[t]);
        }

        EndSequence();
    }

    /// <summary>The figures so far.</summary>
    public NllResult Result()
    {
        double perToken = _tokens == 0 ? double.NaN : _tokenNll / _tokens;
        return new NllResult(_sequences, _tokens, perToken, Math.Exp(perToken), _tokens == 0 ? double.NaN : (double)_correct / _tokens,
            _frames, _frames == 0 ? double.NaN : _framesNll / _frames, _violations, _options.ScoreFirstFrame);
    }

    private static double LogSumExp(ReadOnlySpan<float> row, int exclude)
    {
        float max = float.NegativeInfinity;
        for (int i = 0; i < row.Length; i++)
        {
            if (i != exclude && row[i] > max)
            {
                max = row[i];
            }
        }

        double sum = 0;
        for (int i = 0; i < row.Length; i++)
        {
            if (i != exclude && !float.IsNegativeInfinity(row[i]))
            {
                sum += Math.Exp(row[i] - max);
            }
        }

        return max + Math.Log(sum);
    }

    private static int ArgMax(ReadOnlySpan<float> row)
    {
        int best = 0;
        for (int i = 1; i < row.Length; i++)
        {
            if (row[i] > row[best])
            {
                best = i;
            }
        }

        return best;
    }
}

/// <summary>Runs a model over sequences and scores them with an <see cref="NllAccumulator"/>.</summary>
public static class NllEvaluator
{
    /// <summary>
    /// Scores every sequence (each <c>BOS ... EOS</c>). A sequence longer than the model's context is scored in
    /// windows of the context length advanced by half of it: each window scores only the tokens not scored before,
    /// so every token is scored once and (after the first window) with at least half a context of history.
    /// </summary>
    public static NllResult Evaluate(IEnumerable<int[]> sequences, ISequenceLogits model, Func<ITokenConstraint?> grammar, NllOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(sequences);
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(grammar);
        int v = model.VocabularySize;
        int context = model.ContextLength;
        if (context < 2)
        {
            throw new ArgumentException($"Model context length must be at least 2, got {context}.", nameof(model));
        }

        var acc = new NllAccumulator(v, options);
        float[] logits = [];
        int[] restated = [];
        foreach (var seq in sequences)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (seq.Length < 2)
            {
                continue;
            }

            acc.BeginSequence(seq[0], grammar());
            int window = Math.Min(context, seq.Length);
            if (logits.Length < window * v)
            {
                logits = new float[window * v];
            }

            int scored = 0; // tokens 1..scored are done
            int start = 0;
            while (scored < seq.Length - 1)
            {
                int length = Math.Min(window, seq.Length - start);
                ReadOnlySpan<int> input = seq.AsSpan(start, length);
                if (start > 0 && options?.Lead?.Latest(seq.AsSpan(0, start + 1)) is int lead)
                {
                    // The window's first token gives way to the key in force at it; row 0 scores nothing here.
                    restated = restated.Length >= length ? restated : new int[window];
                    input.CopyTo(restated);
                    restated[0] = lead;
                    input = restated.AsSpan(0, length);
                }

                model.Run(input, logits.AsSpan(0, length * v));
                // Row r of this window predicts token start + r + 1.
                for (int target = scored + 1; target <= start + length - 1; target++)
                {
                    int r = target - 1 - start;
                    acc.Score(logits.AsSpan(r * v, v), seq[target]);
                }

                scored = start + length - 1;
                start += Math.Max(1, context / 2);
            }

            acc.EndSequence();
        }

        return acc.Result();
    }
}
