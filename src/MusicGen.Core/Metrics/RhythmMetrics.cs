using MusicGen.Core.Music;

namespace MusicGen.Core.Metrics;

/// <summary>Rhythm, drum and density metrics (MusPy's definitions, plus note density).</summary>
public static partial class MusicMetrics
{
    /// <summary>
    /// Share of empty beats (quarter notes) among <c>Length / R + 1</c> beats, where every note, drums included,
    /// fills the beats <c>start / R</c> through <c>end / R</c> inclusive (MusPy counts the beat a note ends on,
    /// even when it ends exactly on its first step); NaN when the length is 0.
    /// </summary>
    public static double EmptyBeatRate(MetricView view) => EmptyRate(view, view.Resolution);

    /// <summary>As <see cref="EmptyBeatRate"/> with measures of <paramref name="measureResolution"/> steps instead of beats.</summary>
    public static double EmptyMeasureRate(MetricView view, int measureResolution) => EmptyRate(view, measureResolution);

    /// <summary>
    /// <c>1 - H / (M (T - 1))</c>: H the total Hamming distance between the binary onset patterns (one slot per
    /// step, notes of all tracks, drums included) of neighbouring measures, M the steps per measure and
    /// <c>T = Length / M + 1</c> the number of measures; NaN when T &lt; 2.
    /// </summary>
    public static double GrooveConsistency(MetricView view, int measureResolution)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(measureResolution, 1);
        long measures = view.Length / measureResolution + 1;
        if (measures < 2)
        {
            return double.NaN;
        }

        var onsets = new bool[checked(measures * measureResolution)];
        foreach (var n in view.Notes)
        {
            onsets[n.Start] = true;
        }

        long hamming = 0;
        for (long i = measureResolution; i < onsets.LongLength; i++)
        {
            if (onsets[i] != onsets[i - measureResolution])
            {
                hamming++;
            }
        }

        return 1.0 - (double)hamming / (measureResolution * (double)(measures - 1));
    }

    /// <summary>
    /// Share of drum notes whose onset falls on the meter's grid within a beat of R steps: position 0, plus every
    /// R/4 and R/2 for duple (when R divides), every R/3 for triple (when R divides); NaN when there is no drum note.
    /// </summary>
    public static double DrumInPatternRate(MetricView view, DrumMeter meter)
    {
        var pattern = DrumPattern(view.Resolution, meter);
        long count = 0, inPattern = 0;
        foreach (var n in view.Notes)
        {
            if (!n.IsDrum)
            {
                continue;
            }

            count++;
            if (pattern[(int)(n.Start % view.Resolution)])
            {
                inPattern++;
            }
        }

        return count < 1 ? double.NaN : (double)inPattern / count;
    }

    /// <summary>Largest <see cref="DrumInPatternRate"/> over duple and triple; NaN when there is no drum note.</summary>
    public static double DrumPatternConsistency(MetricView view)
    {
        double duple = DrumInPatternRate(view, DrumMeter.Duple);
        return double.IsNaN(duple) ? double.NaN : Math.Max(duple, DrumInPatternRate(view, DrumMeter.Triple));
    }

    /// <summary>Non-drum notes per quarter-note beat of the score (its exact ticks, to the last note end); NaN for an empty score.</summary>
    public static double NoteDensityPerBeat(MetricView view)
    {
        long end = EndTick(view.Score);
        return end < 1 ? double.NaN : PitchedCount(view.Score) / ((double)end / view.Score.TicksPerQuarter);
    }

    /// <summary>Non-drum notes per second of the score (tempo map; 120 BPM before the first tempo change); NaN for an empty score.</summary>
    public static double NoteDensityPerSecond(MetricView view)
    {
        long end = EndTick(view.Score);
        return end < 1 ? double.NaN : PitchedCount(view.Score) / TempoMap.For(view.Score).ToSeconds(end);
    }

    private static double EmptyRate(MetricView view, int unit)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(unit, 1);
        if (view.Length < 1)
        {
            return double.NaN;
        }

        long units = view.Length / unit + 1;
        var filled = new bool[units];
        long count = 0;
        foreach (var n in view.Notes)
        {
            for (long u = n.Start / unit; u <= n.End / unit; u++)
            {
                if (!filled[u])
                {
                    filled[u] = true;
                    count++;
                }
            }
        }

        return 1.0 - (double)count / units;
    }

    private static bool[] DrumPattern(int resolution, DrumMeter meter)
    {
        var pattern = new bool[resolution];
        pattern[0] = true;
        if (meter == DrumMeter.Duple)
        {
            if (resolution % 4 == 0)
            {
                for (int i = 0; i < resolution; i += resolution / 4)
                {
                    pattern[i] = true;
                }
            }

            if (resolution % 2 == 0)
            {
                for (int i = 0; i < resolution; i += resolution / 2)
                {
                    pattern[i] = true;
                }
            }
        }
        else if (resolution % 3 == 0)
        {
            for (int i = 0; i < resolution; i += resolution / 3)
            {
                pattern[i] = true;
            }
        }

        return pattern;
    }

    private static long EndTick(Score score)
    {
        long end = 0;
        foreach (var track in score.Tracks)
        {
            foreach (var n in track.Notes)
            {
                end = Math.Max(end, n.End);
            }
        }

        return end;
    }

    private static long PitchedCount(Score score)
    {
        long count = 0;
        foreach (var track in score.Tracks)
        {
            if (!track.IsDrum)
            {
                count += track.Notes.Count;
            }
        }

        return count;
    }
}
