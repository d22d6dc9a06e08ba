using MusicGen.Core.Music;

namespace MusicGen.Listening;

/// <summary>A note of a clip as the page's synth plays it: seconds from the clip's start (to the millisecond).</summary>
/// <param name="Pitch">MIDI pitch 0-127.</param>
/// <param name="Velocity">MIDI velocity 1-127.</param>
/// <param name="Start">Onset in seconds.</param>
/// <param name="End">Release in seconds.</param>
/// <param name="Drum">True for a percussion note.</param>
public readonly record struct ClipNote(int Pitch, int Velocity, double Start, double End, bool Drum);

/// <summary>
/// Cuts real and generated pieces the same way, so that only the music tells them apart: from the first note's
/// onset, <c>seconds</c> seconds of music (through each piece's tempo map); notes that start inside are kept and
/// clipped at the end. Time is the measure, not bars, because bar lines are only as good as a file's time
/// signatures (POP909's say 1/4) and a clip's length must not give it away. Names, programs, key signatures and the
/// tick grid are not carried into the clip.
/// </summary>
public static class Excerpt
{
    /// <summary>The excerpt of <paramref name="score"/>: <paramref name="seconds"/> seconds from its first note, rebased to tick 0.</summary>
    public static Score Cut(Score score, double seconds)
    {
        ArgumentNullException.ThrowIfNull(score);
        if (!double.IsFinite(seconds) || seconds <= 0) throw new ArgumentOutOfRangeException(nameof(seconds), seconds, "an excerpt lasts a positive number of seconds");
        var result = new Score { TicksPerQuarter = score.TicksPerQuarter, Format = 1 };
        long from = long.MaxValue;
        foreach (var n in score.AllNotes)
            if (n.End > n.Start && n.Start < from) from = n.Start;
        if (from == long.MaxValue) return result;

        var tempo = new TempoMap(score.TicksPerQuarter, score.Tempos);
        long to = Math.Max(from + 1, tempo.ToTick(tempo.ToSeconds(from) + seconds));
        foreach (var track in score.Tracks)
        {
            var copy = new ScoreTrack { Index = result.Tracks.Count, IsDrum = track.IsDrum };
            foreach (var n in track.Notes)
            {
                if (n.Start < from || n.Start >= to || n.End <= n.Start) continue;
                copy.Notes.Add(n with { Start = n.Start - from, End = Math.Min(n.End, to) - from });
            }
            if (copy.Notes.Count > 0) result.Tracks.Add(copy);
        }
        result.Tempos.Add(new TempoChange(0, tempo.MicrosecondsPerQuarterAt(from)));
        foreach (var t in score.Tempos)
            if (t.Tick > from && t.Tick < to) result.Tempos.Add(t with { Tick = t.Tick - from });
        TimeSignature? current = null;
        foreach (var s in score.TimeSignatures)
        {
            if (s.Tick <= from) current = s with { Tick = 0 };
            else if (s.Tick < to) result.TimeSignatures.Add(s with { Tick = s.Tick - from });
        }
        if (current is { } c) result.TimeSignatures.Insert(0, c);
        return result;
    }

    /// <summary>Every note of a clip in seconds (to the millisecond), sorted by onset then pitch: what the page plays.</summary>
    public static IReadOnlyList<ClipNote> Notes(Score clip)
    {
        ArgumentNullException.ThrowIfNull(clip);
        var tempo = TempoMap.For(clip);
        var list = new List<ClipNote>();
        foreach (var track in clip.Tracks)
            foreach (var n in track.Notes)
                list.Add(new ClipNote(n.Pitch, n.Velocity, Math.Round(tempo.ToSeconds(n.Start), 3), Math.Round(tempo.ToSeconds(n.End), 3), track.IsDrum || n.Channel == 9));
        list.Sort(static (a, b) => a.Start != b.Start ? a.Start.CompareTo(b.Start) : a.Pitch != b.Pitch ? a.Pitch.CompareTo(b.Pitch) : a.End.CompareTo(b.End));
        return list;
    }
}
