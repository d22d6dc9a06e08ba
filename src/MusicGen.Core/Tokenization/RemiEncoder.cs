using MusicGen.Core.Limits;
using MusicGen.Core.Music;

namespace MusicGen.Core.Tokenization;

/// <summary>Score to REMI ids (<see cref="RemiTokenizer.Encode(Score, InputLimits)"/>): the canonical shape the grammar accepts.</summary>
internal static class RemiEncoder
{
    public static int[] Encode(RemiTokenizer t, Score score, InputLimits limits)
    {
        ArgumentNullException.ThrowIfNull(score);
        ArgumentNullException.ThrowIfNull(limits);
        long lengthTicks = limits.CheckScore(score);
        if (score.TicksPerQuarter <= 0)
        {
            throw new ArgumentException($"Score ticks per quarter must be positive (is {score.TicksPerQuarter}).", nameof(score));
        }

        var config = t.Config;
        var tpq = score.TicksPerQuarter;
        var res = config.PositionsPerQuarter;
        var maxDur = (long)config.MaxNoteQuarters * res;
        limits.CheckFrames(ToStep(lengthTicks, tpq, res) + 1, $"REMI positions ({res} per quarter, {tpq} ticks per quarter)");

        var notes = new List<(long Step, int Key, int Pitch, int Vel, long Dur)>();
        foreach (var track in score.Tracks)
        {
            var instrument = track.IsDrum ? RemiTokenizer.DrumKey : Math.Clamp(track.Program, 0, 127);
            foreach (var n in track.Notes)
            {
                if (n.Pitch < config.MinPitch || n.Pitch > config.MaxPitch)
                {
                    continue;
                }

                var s = ToStep(n.Start, tpq, res);
                var e = ToStep(n.End, tpq, res);
                notes.Add((s, instrument, n.Pitch, t.Velocity.Bin(n.Velocity), Math.Clamp(e - s, 1, maxDur)));
            }
        }

        if (config.DescendingPitches)
        {
            notes.Sort(static (a, b) => a.Step != b.Step ? a.Step.CompareTo(b.Step)
                : a.Key != b.Key ? a.Key.CompareTo(b.Key)
                : a.Pitch != b.Pitch ? b.Pitch.CompareTo(a.Pitch)
                : (a.Vel, a.Dur).CompareTo((b.Vel, b.Dur)));
        }
        else
        {
            notes.Sort();
        }

        var tempos = NormalizeMap(score.Tempos.Select(x => (ToStep(x.Tick, tpq, res), t.TempoIndex(x.MicrosecondsPerQuarter))));
        var sigs = NormalizeMap(score.TimeSignatures.Select(x => (ToStep(x.Tick, tpq, res), t.TimeSigOrDefault(x.Numerator, x.Denominator))));
        var keys = config.KeyTokens
            ? KeyFinder.KeyMap(score).Select(k => (ToStep(k.Tick, tpq, res), k.Key.Index)).ToList()
            : [];

        long last = -1;
        if (notes.Count > 0)
        {
            last = notes[^1].Step;
        }

        if (tempos.Count > 0)
        {
            last = Math.Max(last, tempos[^1].Step);
        }

        if (sigs.Count > 0)
        {
            last = Math.Max(last, sigs[^1].Step);
        }

        var chords = t.ChordCount > 0 ? new RemiChords(notes) : null;
        var barChords = new List<(long Step, int Value)>();
        var ids = new List<int>(16 + (notes.Count * 4)) { t.Bos };
        long barStart = 0;
        var ts = t.DefaultTimeSig;
        int ni = 0, ti = 0, si = 0, ki = 0;
        var program = -1;
        var key = -1;
        for (long bar = 0; barStart <= last; bar++)
        {
            int barFirstToken = ids.Count;
            ids.Add(t.BarId);
            if (si < sigs.Count && sigs[si].Step == barStart)
            {
                ts = sigs[si].Value;
                ids.Add(t.TimeSigFirst + ts);
                si++;
            }

            var barEnd = barStart + t.BarSteps(ts);
            var cut = false;
            if (si < sigs.Count && sigs[si].Step < barEnd)
            {
                barEnd = sigs[si].Step;
                cut = true;
            }

            // A key change inside a bar takes effect at its bar line (the last one in the bar wins).
            var barKey = key;
            for (; ki < keys.Count && keys[ki].Item1 < barEnd; ki++)
            {
                barKey = keys[ki].Item2;
            }

            if (barKey != key)
            {
                key = barKey;
                ids.Add(t.KeyFirst + key);
            }

            chords?.AddChanges(t, ts, barStart, barEnd, barChords);
            var ci = 0;
            while ((ni < notes.Count && notes[ni].Step < barEnd) || (ti < tempos.Count && tempos[ti].Step < barEnd) || ci < barChords.Count)
            {
                var p = Math.Min(ni < notes.Count ? notes[ni].Step : long.MaxValue, ti < tempos.Count ? tempos[ti].Step : long.MaxValue);
                p = Math.Min(p, ci < barChords.Count ? barChords[ci].Step : long.MaxValue);
                ids.Add(t.PositionFirst + (int)(p - barStart));
                if (ci < barChords.Count && barChords[ci].Step == p)
                {
                    ids.Add(t.ChordFirst + barChords[ci].Value);
                    ci++;
                }

                if (ti < tempos.Count && tempos[ti].Step == p)
                {
                    ids.Add(t.TempoFirst + tempos[ti].Value);
                    ti++;
                }

                for (; ni < notes.Count && notes[ni].Step == p; ni++)
                {
                    var n = notes[ni];
                    if (n.Key != program)
                    {
                        program = n.Key;
                        ids.Add(t.ProgramFirst + program);
                    }

                    ids.Add(t.PitchFirst + n.Pitch - config.MinPitch);
                    ids.Add(t.VelocityFirst + n.Vel);
                    AddDurations(t, ids, n.Dur);
                    limits.CheckTokensPerBar(ids.Count - barFirstToken, bar);
                }
            }

            if (cut)
            {
                ids.Add(t.PositionFirst + (int)(barEnd - barStart));
            }

            barStart = barEnd;
        }

        ids.Add(t.Eos);
        return ids.ToArray();
    }

    /// <summary>Stable by step, the last event at a step wins.</summary>
    public static List<(long Step, int Value)> LastPerStep(List<(long Step, int Value)> events)
    {
        var sorted = events.Select((e, i) => (e, i)).OrderBy(x => x.e.Step).ThenBy(x => x.i).Select(x => x.e).ToList();
        var result = new List<(long Step, int Value)>(sorted.Count);
        foreach (var e in sorted)
        {
            if (result.Count > 0 && result[^1].Step == e.Step)
            {
                result[^1] = e;
            }
            else
            {
                result.Add(e);
            }
        }

        return result;
    }

    /// <summary>Sorted by step (stable), last value per step, then values equal to the previous one dropped.</summary>
    public static List<(long Step, int Value)> NormalizeMap(IEnumerable<(long Step, int Value)> events)
    {
        var result = new List<(long Step, int Value)>();
        foreach (var e in LastPerStep(events.ToList()))
        {
            if (result.Count == 0 || result[^1].Value != e.Value)
            {
                result.Add(e);
            }
        }

        return result;
    }

    /// <summary>Nearest step, halves rounded up; Int128 keeps huge ticks exact.</summary>
    public static long ToStep(long tick, int tpq, int res) =>
        tick <= 0 ? 0 : (long)((((Int128)tick * res * 2) + tpq) / ((Int128)tpq * 2));

    private static void AddDurations(RemiTokenizer t, List<int> ids, long steps)
    {
        // Largest first; the one-step duration always exists, so this terminates exactly.
        var i = t.DurationCount - 1;
        while (steps > 0)
        {
            while (t.DurationStepsOf(i) > steps)
            {
                i--;
            }

            ids.Add(t.DurationFirst + i);
            steps -= t.DurationStepsOf(i);
        }
    }
}
