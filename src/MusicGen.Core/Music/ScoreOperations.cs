namespace MusicGen.Core.Music;

/// <summary>Score transformations. Each returns a new score and leaves its input unchanged.</summary>
public static class ScoreOperations
{
    /// <summary>A deep copy.</summary>
    public static Score Clone(this Score score) => Map(score, score.TicksPerQuarter, t => t, n => n);

    /// <summary>
    /// The score on another tick grid: every tick is scaled by <paramref name="ticksPerQuarter"/> / old and rounded
    /// to the nearest tick (halves away from zero). A note that had a length keeps at least one tick.
    /// </summary>
    public static Score WithResolution(this Score score, int ticksPerQuarter)
    {
        ArgumentNullException.ThrowIfNull(score);
        if (ticksPerQuarter is < 1 or > 0x7FFF) throw new ArgumentOutOfRangeException(nameof(ticksPerQuarter), ticksPerQuarter, "ticks per quarter must be 1..32767");
        int from = score.TicksPerQuarter;
        long Scale(long t) => (long)Math.Round((double)t * ticksPerQuarter / from, MidpointRounding.AwayFromZero);
        return Map(score, ticksPerQuarter, Scale, n =>
        {
            long s = Scale(n.Start), e = Scale(n.End);
            if (n.End > n.Start && e <= s) e = s + 1;
            return n with { Start = s, End = e };
        });
    }

    /// <summary>
    /// Transposes pitched notes by <paramref name="semitones"/>; drum tracks are left alone. Notes that would leave
    /// 0..127 are dropped. Key signatures move with the notes (spelled as <see cref="MusicalKey.SharpsFlats"/>).
    /// </summary>
    public static Score Transpose(this Score score, int semitones)
    {
        ArgumentNullException.ThrowIfNull(score);
        var result = Map(score, score.TicksPerQuarter, t => t, n => n);
        foreach (var track in result.Tracks)
        {
            if (track.IsDrum) continue;
            var moved = new List<Note>(track.Notes.Count);
            foreach (var n in track.Notes)
            {
                if (n.Channel == 9) { moved.Add(n); continue; }
                int p = n.Pitch + semitones;
                if (p is >= 0 and <= 127) moved.Add(n with { Pitch = p });
            }
            track.Notes.Clear();
            track.Notes.AddRange(moved);
        }
        for (int i = 0; i < result.KeySignatures.Count; i++)
        {
            var ks = result.KeySignatures[i];
            var key = MusicalKey.FromSignature(ks.SharpsFlats, ks.IsMinor);
            var moved = key.Transpose(semitones);
            result.KeySignatures[i] = ks with { SharpsFlats = moved.SharpsFlats };
        }
        return result;
    }

    /// <summary>
    /// Snaps note starts and ends to the nearest multiple of <paramref name="gridTicks"/> (halves go later). A note
    /// that would become shorter than one grid step lasts one grid step. Tempo and signature ticks are kept.
    /// </summary>
    public static Score Quantize(this Score score, int gridTicks)
    {
        ArgumentNullException.ThrowIfNull(score);
        if (gridTicks < 1) throw new ArgumentOutOfRangeException(nameof(gridTicks), gridTicks, "grid must be at least one tick");
        long Snap(long t) => (t + gridTicks / 2) / gridTicks * gridTicks;
        return Map(score, score.TicksPerQuarter, t => t, n =>
        {
            long s = Snap(n.Start), e = Snap(n.End);
            if (e <= s) e = s + gridTicks;
            return n with { Start = s, End = e };
        });
    }

    private static Score Map(Score score, int ticksPerQuarter, Func<long, long> tick, Func<Note, Note> note)
    {
        ArgumentNullException.ThrowIfNull(score);
        var result = new Score { TicksPerQuarter = ticksPerQuarter, Format = score.Format };
        foreach (var t in score.Tracks)
        {
            var copy = new ScoreTrack { Index = t.Index, Name = t.Name, Program = t.Program, IsDrum = t.IsDrum };
            foreach (var n in t.Notes) copy.Notes.Add(note(n));
            copy.Notes.Sort(static (a, b) =>
            {
                int c = a.Start.CompareTo(b.Start);
                if (c == 0) c = a.Pitch.CompareTo(b.Pitch);
                if (c == 0) c = a.Channel.CompareTo(b.Channel);
                if (c == 0) c = a.End.CompareTo(b.End);
                return c == 0 ? a.Velocity.CompareTo(b.Velocity) : c;
            });
            result.Tracks.Add(copy);
        }
        foreach (var x in score.Tempos) result.Tempos.Add(x with { Tick = tick(x.Tick) });
        foreach (var x in score.TimeSignatures) result.TimeSignatures.Add(x with { Tick = tick(x.Tick) });
        foreach (var x in score.KeySignatures) result.KeySignatures.Add(x with { Tick = tick(x.Tick) });
        return result;
    }
}
