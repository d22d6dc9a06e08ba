using MusicGen.Core.Music;

namespace MusicGen.Core.Tokenization;

/// <summary>
/// The chords of REMI chord tokens (<see cref="RemiConfig.ChordTokens"/>): one per harmony segment of each bar (half
/// a bar when its time signature's numerator is even, else the whole bar: <see cref="ChordRecognizer.HarmonySegment"/>),
/// recognised by <see cref="ChordRecognizer"/> on the non-drum notes
/// sounding in it. A sweep over the encoder's notes (sorted by onset) in segment order.
/// </summary>
internal sealed class RemiChords
{
    private readonly List<(long Step, int Key, int Pitch, int Vel, long Dur)> _notes;
    private readonly List<int> _sounding = [];
    private readonly double[] _weights = new double[12];
    private int _next;
    private int _current = -1;

    /// <param name="notes">The encoder's notes, sorted by onset step.</param>
    public RemiChords(List<(long Step, int Key, int Pitch, int Vel, long Dur)> notes) => _notes = notes;

    /// <summary>
    /// The chord changes of the bar <c>[barStart, barEnd)</c> in time signature <paramref name="timeSig"/> (a cut bar
    /// ends sooner than its signature says): (step, chord index) where a segment's chord differs from the one before;
    /// a silent segment keeps the chord before it.
    /// </summary>
    public void AddChanges(RemiTokenizer t, int timeSig, long barStart, long barEnd, List<(long Step, int Value)> changes)
    {
        changes.Clear();
        var half = t.HalfBarSteps(timeSig);
        for (var s = barStart; s < barEnd; s = half > 0 ? s + half : barEnd)
        {
            var e = half > 0 ? Math.Min(s + half, barEnd) : barEnd;
            var chord = Recognize(s, e);
            if (chord >= 0 && chord != _current)
            {
                _current = chord;
                changes.Add((s, chord));
            }
        }
    }

    private int Recognize(long from, long to)
    {
        for (; _next < _notes.Count && _notes[_next].Step < to; _next++)
        {
            if (_notes[_next].Key != RemiTokenizer.DrumKey)
            {
                _sounding.Add(_next);
            }
        }

        _sounding.RemoveAll(i => _notes[i].Step + _notes[i].Dur <= from);
        Array.Clear(_weights);
        foreach (var i in _sounding)
        {
            var n = _notes[i];
            var overlap = Math.Min(n.Step + n.Dur, to) - Math.Max(n.Step, from);
            if (overlap > 0)
            {
                _weights[n.Pitch % 12] += overlap;
            }
        }

        return ChordRecognizer.Recognize(_weights) is { } chord ? chord.Index : -1;
    }
}
