using MusicGen.Core.Music;

namespace MusicGen.Core.Metrics;

/// <summary>A named per-piece metric: <see cref="Compute"/> maps a <see cref="MetricView"/> to a number (NaN when undefined).</summary>
/// <param name="Name">MusPy's function name (snake case), e.g. <c>pitch_class_entropy</c>.</param>
/// <param name="Description">One line for tables and reports.</param>
/// <param name="Compute">The metric.</param>
public sealed record MetricDefinition(string Name, string Description, Func<MetricView, double> Compute);

/// <summary>
/// Objective musical metrics with the definitions of MusPy (Dong et al., ISMIR 2020, <c>muspy/metrics/metrics.py</c>),
/// computed on the time grid of a <see cref="MetricView"/>. Drum tracks are ignored by the pitch metrics and are the
/// only input of the drum metrics, as in MusPy. Rates are NaN where MusPy returns NaN (no note, zero length, fewer
/// than two measures). See docs/evaluation.md for every formula.
/// </summary>
public static partial class MusicMetrics
{
    // Pitch-class masks of C major and C natural minor; rolled by the root (MusPy's _get_scale).
    private static readonly bool[] CMajor = [true, false, true, false, true, true, false, true, false, true, false, true];
    private static readonly bool[] CMinor = [true, false, true, true, false, true, false, true, true, false, true, false];

    /// <summary>Every metric, in the order of <see cref="Compute(Score, MetricOptions?)"/>'s result.</summary>
    public static IReadOnlyList<MetricDefinition> All { get; } =
    [
        new("pitch_range", "highest minus lowest pitch (semitones)", v => PitchRange(v)),
        new("n_pitches_used", "distinct pitches", v => NPitchesUsed(v)),
        new("n_pitch_classes_used", "distinct pitch classes", v => NPitchClassesUsed(v)),
        new("polyphony", "mean pitches sounding when any sounds", Polyphony),
        new("polyphony_rate", "share of steps with more than 2 pitches", v => PolyphonyRate(v, v.PolyphonyThreshold)),
        new("pitch_in_scale_rate", "share of notes in the key's scale", v => PitchInScaleRate(v, v.ScaleRoot, v.ScaleMode)),
        new("scale_consistency", "largest in-scale rate over 24 keys", ScaleConsistency),
        new("pitch_entropy", "entropy of the pitch histogram (bits)", PitchEntropy),
        new("pitch_class_entropy", "entropy of the pitch-class histogram (bits)", PitchClassEntropy),
        new("empty_beat_rate", "share of beats with no note", EmptyBeatRate),
        new("empty_measure_rate", "share of measures with no note", v => EmptyMeasureRate(v, v.MeasureResolution)),
        new("groove_consistency", "1 - mean Hamming distance of onset patterns of neighbouring measures", v => GrooveConsistency(v, v.MeasureResolution)),
        new("drum_in_pattern_rate", "share of drum notes on the meter's grid", v => DrumInPatternRate(v, v.DrumMeter)),
        new("drum_pattern_consistency", "largest drum-in-pattern rate over duple and triple", DrumPatternConsistency),
        new("note_density", "notes per quarter-note beat", NoteDensityPerBeat),
        new("note_density_per_second", "notes per second (tempo map; 120 BPM before the first tempo)", NoteDensityPerSecond),
        new("key_consistency", "share of 4-measure windows whose estimated key has the piece key's scale", KeyConsistency),
        new("chord_tone_rate", "share of notes in the chord recognized for their half measure", ChordToneRate),
        new("chord_change_rate", "share of neighbouring half measures whose chords differ", ChordChangeRate),
    ];

    /// <summary>The names of <see cref="All"/>, in order.</summary>
    public static IReadOnlyList<string> Names { get; } = All.Select(m => m.Name).ToArray();

    /// <summary>Computes every metric of <see cref="All"/> on <paramref name="score"/>.</summary>
    public static double[] Compute(Score score, MetricOptions? options = null) => Compute(MetricView.Create(score, options));

    /// <summary>Computes every metric of <see cref="All"/> on <paramref name="view"/>.</summary>
    public static double[] Compute(MetricView view)
    {
        ArgumentNullException.ThrowIfNull(view);
        var values = new double[All.Count];
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = All[i].Compute(view);
        }

        return values;
    }

    /// <summary>Highest minus lowest pitch over non-drum notes; 0 when there is none.</summary>
    /// <remarks>MusPy returns <c>0 - 127</c> when only drum tracks have notes; this returns 0 there.</remarks>
    public static int PitchRange(MetricView view)
    {
        int lowest = 128, highest = -1;
        foreach (var n in Pitched(view))
        {
            lowest = Math.Min(lowest, n.Pitch);
            highest = Math.Max(highest, n.Pitch);
        }

        return highest < 0 ? 0 : highest - lowest;
    }

    /// <summary>Number of distinct pitches over non-drum notes.</summary>
    public static int NPitchesUsed(MetricView view)
    {
        Span<bool> used = stackalloc bool[128];
        int count = 0;
        foreach (var n in Pitched(view))
        {
            if (!used[n.Pitch])
            {
                used[n.Pitch] = true;
                count++;
            }
        }

        return count;
    }

    /// <summary>Number of distinct pitch classes over non-drum notes.</summary>
    public static int NPitchClassesUsed(MetricView view)
    {
        Span<bool> used = stackalloc bool[12];
        int count = 0;
        foreach (var n in Pitched(view))
        {
            if (!used[n.Pitch % 12])
            {
                used[n.Pitch % 12] = true;
                count++;
            }
        }

        return count;
    }

    /// <summary>
    /// Mean number of distinct pitches sounding, over the time steps where at least one sounds (binary piano roll of
    /// the non-drum notes, each note on for steps <c>[start, end)</c>); NaN when no step sounds.
    /// </summary>
    public static double Polyphony(MetricView view)
    {
        var active = ActivePitchCounts(view);
        long sum = 0, nonEmpty = 0;
        foreach (int c in active)
        {
            sum += c;
            if (c > 0)
            {
                nonEmpty++;
            }
        }

        return nonEmpty < 1 ? double.NaN : (double)sum / nonEmpty;
    }

    /// <summary>
    /// Share of the time steps <c>[0, Length)</c> where more than <paramref name="threshold"/> distinct non-drum
    /// pitches sound (MusPy: <c>count(pianoroll.sum(1) &gt; threshold) / len(pianoroll)</c>); NaN when the length is 0.
    /// </summary>
    public static double PolyphonyRate(MetricView view, int threshold = 2)
    {
        var active = ActivePitchCounts(view);
        if (active.Length < 1)
        {
            return double.NaN;
        }

        long count = 0;
        foreach (int c in active)
        {
            if (c > threshold)
            {
                count++;
            }
        }

        return (double)count / active.Length;
    }

    /// <summary>Share of non-drum notes whose pitch class is in the scale of <paramref name="root"/> and <paramref name="mode"/>; NaN when there is no note.</summary>
    public static double PitchInScaleRate(MetricView view, int root, ScaleMode mode)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(root);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(root, 11);
        var scale = mode == ScaleMode.Major ? CMajor : CMinor;
        long count = 0, inScale = 0;
        foreach (var n in Pitched(view))
        {
            count++;
            if (scale[(((n.Pitch % 12) - root) % 12 + 12) % 12])
            {
                inScale++;
            }
        }

        return count < 1 ? double.NaN : (double)inScale / count;
    }

    /// <summary>Largest <see cref="PitchInScaleRate"/> over the 12 major and 12 natural-minor scales; NaN when there is no note.</summary>
    public static double ScaleConsistency(MetricView view)
    {
        Span<long> classes = stackalloc long[12];
        long count = PitchClassCounts(view, classes);
        if (count < 1)
        {
            return double.NaN;
        }

        long best = 0;
        foreach (var scale in new[] { CMajor, CMinor })
        {
            for (int root = 0; root < 12; root++)
            {
                long inScale = 0;
                for (int pc = 0; pc < 12; pc++)
                {
                    if (scale[(pc - root + 12) % 12])
                    {
                        inScale += classes[pc];
                    }
                }

                best = Math.Max(best, inScale);
            }
        }

        return (double)best / count;
    }

    /// <summary>Shannon entropy (bits) of the normalised 128-bin pitch histogram of non-drum notes; NaN when there is no note.</summary>
    public static double PitchEntropy(MetricView view)
    {
        Span<long> counts = stackalloc long[128];
        long total = 0;
        foreach (var n in Pitched(view))
        {
            counts[n.Pitch]++;
            total++;
        }

        return Entropy(counts, total);
    }

    /// <summary>Shannon entropy (bits) of the normalised 12-bin pitch-class histogram of non-drum notes; NaN when there is no note.</summary>
    public static double PitchClassEntropy(MetricView view)
    {
        Span<long> counts = stackalloc long[12];
        long total = PitchClassCounts(view, counts);
        return Entropy(counts, total);
    }

    private static IEnumerable<GridNote> Pitched(MetricView view)
    {
        ArgumentNullException.ThrowIfNull(view);
        foreach (var n in view.Notes)
        {
            if (!n.IsDrum)
            {
                yield return n;
            }
        }
    }

    private static long PitchClassCounts(MetricView view, Span<long> counts)
    {
        long total = 0;
        foreach (var n in view.Notes)
        {
            if (!n.IsDrum)
            {
                counts[n.Pitch % 12]++;
                total++;
            }
        }

        return total;
    }

    private static double Entropy(ReadOnlySpan<long> counts, long total)
    {
        if (total < 1)
        {
            return double.NaN;
        }

        double h = 0;
        foreach (long c in counts)
        {
            if (c > 0)
            {
                double p = (double)c / total;
                h -= p * Math.Log2(p);
            }
        }

        return h;
    }

    /// <summary>Distinct non-drum pitches sounding at each step of [0, Length): the binary piano roll's row sums.</summary>
    private static int[] ActivePitchCounts(MetricView view)
    {
        var delta = new int[view.Length + 1];
        var byPitch = new List<(long Start, long End)>[128];
        foreach (var n in Pitched(view))
        {
            if (n.End > n.Start)
            {
                (byPitch[n.Pitch] ??= []).Add((n.Start, n.End));
            }
        }

        foreach (var spans in byPitch)
        {
            if (spans is null)
            {
                continue;
            }

            // Union of the pitch's intervals, so overlapping notes of one pitch count once (binary piano roll).
            spans.Sort();
            long s = spans[0].Start, e = spans[0].End;
            for (int i = 1; i < spans.Count; i++)
            {
                if (spans[i].Start <= e)
                {
                    e = Math.Max(e, spans[i].End);
                }
                else
                {
                    delta[s]++;
                    delta[e]--;
                    (s, e) = spans[i];
                }
            }

            delta[s]++;
            delta[e]--;
        }

        var counts = new int[view.Length];
        int running = 0;
        for (long t = 0; t < counts.LongLength; t++)
        {
            running += delta[t];
            counts[t] = running;
        }

        return counts;
    }

}
