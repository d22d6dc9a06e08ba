namespace MusicGen.Core.Tokenization;

/// <summary>
/// Builds the set of legal next tokens as a few id ranges and masks everything else with vectorised fills.
/// A grammar keeps one instance and reuses it: no allocation per token.
/// </summary>
internal sealed class LogitMask
{
    private readonly int[] _from = new int[32];
    private readonly int[] _to = new int[32];
    private int _count;

    /// <summary>Forgets all ranges.</summary>
    public void Clear() => _count = 0;

    /// <summary>Allows ids in [from, to). Empty ranges are ignored.</summary>
    public void Allow(int from, int to)
    {
        if (to <= from)
        {
            return;
        }

        if (_count == _from.Length)
        {
            throw new InvalidOperationException("Too many allowed ranges in one mask.");
        }

        // Insertion sort by start: grammars add at most a handful of ranges.
        var i = _count++;
        while (i > 0 && _from[i - 1] > from)
        {
            _from[i] = _from[i - 1];
            _to[i] = _to[i - 1];
            i--;
        }

        _from[i] = from;
        _to[i] = to;
    }

    /// <summary>Allows one id.</summary>
    public void Allow(int id) => Allow(id, id + 1);

    /// <summary>Sets every logit outside the allowed ranges to negative infinity.</summary>
    public void Apply(Span<float> logits)
    {
        var pos = 0;
        for (var i = 0; i < _count; i++)
        {
            var from = Math.Min(_from[i], logits.Length);
            if (from > pos)
            {
                logits[pos..from].Fill(float.NegativeInfinity);
            }

            pos = Math.Max(pos, Math.Min(_to[i], logits.Length));
        }

        if (pos < logits.Length)
        {
            logits[pos..].Fill(float.NegativeInfinity);
        }
    }
}
