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
/// Cuts real and generated pieces the same way, so that only the music tells them apart: from the bar line at or
/// before the first note (leading empty bars dropped), <c>bars</c> bars; notes that start inside are kept and
/// clipped at the end; names, programs, key signatures and the tick grid are not carried into the clip.
/// </summary>
public static class Excerpt
{
    /// <summary>The excerpt of <paramref name="score"/>: <paramref name="bars"/> bars from its first sounding bar, rebased to tick 0.</summary>
    public static Score Cut(Score score, int bars)
    {
        ArgumentNullException.ThrowIfNull(score);
        ArgumentOutOfRangeException.ThrowIfLessThan(bars, 1);
        var result = new Score { TicksPerQuarter = score.TicksPerQuarter, Format = 1 };
        long first = long.MaxValue;
        foreach (var n in score.AllNotes)
            if (n.End > n.Start && n.Start < first) first = n.Start;
        if (first == long.MaxValue) return result;

        var meter = MeterMap.For(score);
        var startBar = Math.Floor(meter.BarsAt(first) + 1e-9);
        long from = TickOfBar(meter, startBar, first), to = TickOfBar(meter, startBar + bars, first);

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
        var tempo = new TempoMap(score.TicksPerQuarter, score.Tempos);
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

    /// <summary>The first tick at which <paramref name="bar"/> bars have passed (searching from <paramref name="near"/>).</summary>
    private static long TickOfBar(MeterMap meter, double bar, long near)
    {
        long lo = 0, hi = Math.Max(1, near);
        while (meter.BarsAt(hi) < bar - 1e-9)
        {
            lo = hi;
            hi = checked(hi * 2);
        }
        while (lo < hi)
        {
            long mid = lo + (hi - lo) / 2;
            if (meter.BarsAt(mid) < bar - 1e-9) lo = mid + 1; else hi = mid;
        }
        return lo;
    }
}
