namespace MusicGen.Core.Tokenization;

/// <summary>
/// Chord tokens in <see cref="RemiGrammar"/> (<see cref="RemiConfig.ChordTokens"/>): a Chord only right after the
/// Position that starts a harmony segment (the bar's start, or its middle when the numerator is even), and only one
/// that changes the chord last written.
/// </summary>
internal sealed partial class RemiGrammar
{
    private int _chord;

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

        _mask.Allow(_t.ChordFirst, _t.ChordFirst + Math.Max(_chord, 0));
        _mask.Allow(_t.ChordFirst + _chord + 1, _t.ChordFirst + _t.ChordCount);
    }
}
