using System.Numerics.Tensors;
using MusicGen.Core.Tokenization;

namespace MusicGen.Inference.Sampling;

/// <summary>
/// Chooses one sequence's next tokens. Owns its random generator and scratch buffers, so a choice depends only on
/// the logits, the sequence's own history and its seed; nothing is allocated per token.
/// </summary>
internal sealed class TokenSampler
{
    private readonly SamplingOptions _options;
    private readonly int _vocab;
    private readonly float[] _work;
    private readonly float[]? _bias;
    private readonly int[] _candidates;
    private readonly ulong[] _keys;
    private readonly int[] _seen;
    private readonly SeededRandom _random;
    private readonly int _eos;
    private int _stamp;

    public TokenSampler(SamplingOptions options, int vocabularySize, long seed, int endOfSequence)
    {
        _options = options;
        _vocab = vocabularySize;
        _work = new float[vocabularySize];
        _candidates = new int[vocabularySize];
        _keys = new ulong[vocabularySize];
        _seen = new int[vocabularySize];
        _random = new SeededRandom(seed);
        _eos = endOfSequence;
        if (options.TokenBias is { Count: > 0 } bias)
        {
            _bias = new float[vocabularySize];
            foreach (var (token, value) in bias) _bias[token] += value;
        }
    }

    /// <summary>
    /// The next token after <paramref name="history"/> given the model's <paramref name="logits"/> (length =
    /// vocabulary). <paramref name="banEndOfSequence"/> holds the end-of-sequence token back (a length target not yet
    /// reached; the grammar does the same when it is used).
    /// </summary>
    public int Next(ReadOnlySpan<float> logits, ReadOnlySpan<int> history, ITokenGrammar? grammar, bool banEndOfSequence = false)
    {
        if (logits.Length != _vocab)
            throw new ArgumentException($"Expected {_vocab} logits, got {logits.Length}.", nameof(logits));
        var work = _work.AsSpan();
        logits.CopyTo(work);
        if (_bias is not null) TensorPrimitives.Add(work, _bias, work);
        ApplyRepetitionPenalty(work, history);
        ApplyNoRepeatNgram(work, history);
        if (grammar is not null && _options.UseGrammar) grammar.MaskLogits(work);
        if (banEndOfSequence) work[_eos] = float.NegativeInfinity;

        if (float.IsNegativeInfinity(TensorPrimitives.Max(work)) || float.IsNaN(TensorPrimitives.Max(work)))
        {
            // Penalties and bans left nothing: fall back to the grammar alone, then to end-of-sequence.
            logits.CopyTo(work);
            if (grammar is not null && _options.UseGrammar) grammar.MaskLogits(work);
            if (banEndOfSequence) work[_eos] = float.NegativeInfinity;
            if (!float.IsFinite(TensorPrimitives.Max(work))) return _eos;
        }

        if (_options.Greedy || _options.Temperature == 0f) return TensorPrimitives.IndexOfMax(work); // temperature 0 = greedy
        return Draw(work);
    }

    private void ApplyRepetitionPenalty(Span<float> work, ReadOnlySpan<int> history)
    {
        var penalty = _options.RepetitionPenalty;
        if (penalty == 1f || _options.RepetitionWindow == 0 || history.IsEmpty) return;
        var window = history[Math.Max(0, history.Length - _options.RepetitionWindow)..];
        if (++_stamp == int.MaxValue)
        {
            Array.Clear(_seen);
            _stamp = 1;
        }
        foreach (var token in window)
        {
            if ((uint)token >= (uint)_vocab || _seen[token] == _stamp) continue;
            _seen[token] = _stamp;
            var w = work[token];
            work[token] = w > 0 ? w / penalty : w * penalty;
        }
    }

    private void ApplyNoRepeatNgram(Span<float> work, ReadOnlySpan<int> history)
    {
        var n = _options.NoRepeatNgramSize;
        if (n < 2 || history.Length < n) return;
        var suffix = history[^(n - 1)..];
        for (int i = 0; i + n <= history.Length; i++)
        {
            if (history.Slice(i, n - 1).SequenceEqual(suffix))
            {
                var banned = history[i + n - 1];
                if ((uint)banned < (uint)_vocab) work[banned] = float.NegativeInfinity;
            }
        }
    }

    private int Draw(Span<float> work)
    {
        // Softmax numerators exp((l - max) / T); masked tokens (-inf) become exactly 0.
        var max = TensorPrimitives.Max(work);
        TensorPrimitives.Subtract(work, max, work);
        TensorPrimitives.Multiply(work, 1f / _options.Temperature, work);
        TensorPrimitives.Exp(work, work);

        // Candidates: every token with a non-zero weight that passes min-p (relative to the best token, weight 1).
        var minWeight = _options.MinP;
        int count = 0;
        for (int i = 0; i < work.Length; i++)
        {
            var w = work[i];
            if (w > 0 && w >= minWeight) _candidates[count++] = i;
        }
        if (count == 0) return TensorPrimitives.IndexOfMax(work);

        var candidates = _candidates.AsSpan(0, count);
        var topK = _options.TopK;
        var topP = _options.TopP;
        if ((topK > 0 && topK < count) || topP < 1f)
        {
            // Most likely first; ties in token order. Positive floats order like their bit patterns, so one 64-bit
            // key (inverted weight bits, then token id) sorts deterministically without a comparer or allocation.
            var keys = _keys.AsSpan(0, count);
            for (int i = 0; i < count; i++)
            {
                var c = candidates[i];
                keys[i] = ((ulong)~BitConverter.SingleToUInt32Bits(work[c]) << 32) | (uint)c;
            }
            if (topK > 0 && topK < count)
            {
                // Only the K best matter: select them (linear on average), then sort just those.
                SelectSmallest(keys, topK);
                keys = keys[..topK];
                count = topK;
            }
            keys.Sort();
            for (int i = 0; i < count; i++) candidates[i] = (int)(uint)keys[i];
            if (topP < 1f)
            {
                double total = 0;
                for (int i = 0; i < count; i++) total += work[candidates[i]];
                double limit = topP * total, running = 0;
                for (int i = 0; i < count; i++)
                {
                    running += work[candidates[i]];
                    if (running >= limit)
                    {
                        count = i + 1;
                        break;
                    }
                }
            }
            candidates = candidates[..count];
        }

        double sum = 0;
        foreach (var c in candidates) sum += work[c];
        var u = _random.NextDouble() * sum;
        double acc = 0;
        foreach (var c in candidates)
        {
            acc += work[c];
            if (u < acc) return c;
        }
        return candidates[^1];
    }

    /// <summary>Reorders <paramref name="keys"/> (distinct values) so its first <paramref name="k"/> are the k smallest (quickselect).</summary>
    private static void SelectSmallest(Span<ulong> keys, int k)
    {
        int lo = 0, hi = keys.Length - 1;
        while (lo < hi)
        {
            // Median of three as pivot, Lomuto-free Hoare partition.
            int mid = lo + ((hi - lo) >> 1);
            ulong a = keys[lo], b = keys[mid], c = keys[hi];
            ulong pivot = a < b ? (b < c ? b : (a < c ? c : a)) : (a < c ? a : (b < c ? c : b));
            int i = lo, j = hi;
            while (i <= j)
            {
                while (keys[i] < pivot) i++;
                while (keys[j] > pivot) j--;
                if (i <= j)
                {
                    (keys[i], keys[j]) = (keys[j], keys[i]);
                    i++;
                    j--;
                }
            }
            if (k - 1 <= j) hi = j;
            else if (k - 1 >= i) lo = i;
            else return;
        }
    }
}
