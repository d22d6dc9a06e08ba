namespace MusicGen.Core.Tokenization;

/// <summary>
/// Chord tokens in <see cref="RemiGrammar"/> (<see cref="RemiConfig.ChordTokens"/>): a Chord only right after the
/// Position that starts a harmony segment (the bar's start, or its middle when the numerator is even), and only one
/// that changes the chord last written. With a progression (<see cref="RemiTokenizer.CreateGrammar(IReadOnlyList{Music.Chord})"/>)
/// segment k must sound chord k (the list repeated): where that is a change, the segment's Position and the Chord
/// are required before any later Position or the next Bar; elsewhere no chord is allowed.
/// </summary>
internal sealed partial class RemiGrammar
{
    private readonly int[]? _progression;
    private int _chord;
    private int _segmentBase; // harmony segments in the bars before the current one

    /// <summary>Whether a Chord may follow the current Position.</summary>
    private bool AtChordSlot => _t.ChordCount > 0 && _phase == Phase.AfterPosition && (_pos == 0 || _pos == _t.HalfBarSteps(_ts));

    private void AcceptChord(int token)
    {
        if (AtChordSlot)
        {
            _chord = token - _t.ChordFirst;
            _phase = Phase.AfterChord;
        }
    }

    private void AllowChordChanges()
    {
        if (!AtChordSlot)
        {
            return;
        }

        if (_progression is not null)
        {
            var wanted = _progression[(_segmentBase + (_pos == 0 ? 0 : 1)) % _progression.Length];
            if (wanted != _chord)
            {
                _mask.Allow(_t.ChordFirst + wanted);
            }

            return;
        }

        _mask.Allow(_t.ChordFirst, _t.ChordFirst + Math.Max(_chord, 0));
        _mask.Allow(_t.ChordFirst + _chord + 1, _t.ChordFirst + _t.ChordCount);
    }

    /// <summary>On a Bar token: adds the segments of the bar it closes (a cut bar loses the segments past its cut).</summary>
    private void CountSegments()
    {
        if (_progression is null || _barTokens == 0)
        {
            return;
        }

        var half = _t.HalfBarSteps(_ts);
        var end = _phase == Phase.AfterPosition && _pos > 0 ? _pos : _t.BarSteps(_ts);
        _segmentBase += half > 0 && half < end ? 2 : 1;
    }

    /// <summary>The next segment start of this bar whose chord must still be written: (position, chord), or null.</summary>
    private (int Pos, int Chord)? PendingChord()
    {
        if (_progression is null || _barTokens == 0 || _phase == Phase.Finished)
        {
            return null;
        }

        var half = _t.HalfBarSteps(_ts);
        for (var j = 0; j < (half > 0 ? 2 : 1); j++)
        {
            var p = j == 0 ? 0 : half;
            if (p < _pos || (p == _pos && _phase != Phase.AfterPosition))
            {
                continue; // passed
            }

            var wanted = _progression[(_segmentBase + j) % _progression.Length];
            if (wanted != _chord)
            {
                return (p, wanted);
            }
        }

        return null;
    }

    /// <summary>With a progression: at a pending segment's Position only its Chord; before it, no later Position and no Bar.</summary>
    private void ApplyProgression(Span<float> logits)
    {
        if (PendingChord() is not { } pending)
        {
            return;
        }

        var t = _t;
        if (_phase == Phase.AfterPosition && _pos == pending.Pos)
        {
            var keep = logits[t.ChordFirst + pending.Chord];
            logits.Fill(float.NegativeInfinity);
            logits[t.ChordFirst + pending.Chord] = keep;
            return;
        }

        logits[t.BarId] = float.NegativeInfinity;
        logits[(t.PositionFirst + pending.Pos + 1)..(t.PositionFirst + t.MaxBarSteps)].Fill(float.NegativeInfinity);
    }
}
