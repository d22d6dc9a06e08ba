namespace MusicGen.Core.Metrics;

/// <summary>Scale mode for <see cref="MusicMetrics.PitchInScaleRate"/>.</summary>
public enum ScaleMode
{
    /// <summary>Major (Ionian) scale: steps 0, 2, 4, 5, 7, 9, 11 from the root.</summary>
    Major,

    /// <summary>Natural minor (Aeolian) scale: steps 0, 2, 3, 5, 7, 8, 10 from the root.</summary>
    Minor,
}

/// <summary>Meter of the drum pattern for <see cref="MusicMetrics.DrumInPatternRate"/>.</summary>
public enum DrumMeter
{
    /// <summary>Onsets on every quarter of a beat (positions 0, 1/4, 1/2, 3/4 of a quarter note).</summary>
    Duple,

    /// <summary>Onsets on every third of a beat (positions 0, 1/3, 2/3 of a quarter note).</summary>
    Triple,
}

/// <summary>
/// How a <see cref="Music.Score"/> is put on the time grid the metrics count on. MusPy computes its metrics in
/// integer time steps of <c>resolution</c> steps per quarter note; these options choose that grid.
/// </summary>
public sealed record MetricOptions
{
    /// <summary>
    /// Time steps per quarter note the score is re-quantised to before the step-based metrics are computed
    /// (MusPy's <c>Music.adjust_resolution</c>: every start and end is <c>round(t * R / ticksPerQuarter)</c>, ties
    /// to even). Null keeps the score's own ticks per quarter, which is what MusPy does on a file it reads itself.
    /// Default 24, MusPy's <c>DEFAULT_RESOLUTION</c>.
    /// </summary>
    public int? Resolution { get; init; } = 24;

    /// <summary>
    /// Time steps per measure for the groove consistency and the empty-measure rate. Null takes the first time
    /// signature of the score (4/4 when it has none): <c>round(R * 4 * numerator / denominator)</c>.
    /// </summary>
    public int? MeasureResolution { get; init; }

    /// <summary>Root (pitch class 0-11, 0 = C) for the pitch-in-scale rate; null takes the score's first key signature, else C.</summary>
    public int? ScaleRoot { get; init; }

    /// <summary>Mode for the pitch-in-scale rate; null takes the score's first key signature, else major.</summary>
    public ScaleMode? ScaleMode { get; init; }

    /// <summary>Meter for the drum-in-pattern rate; null: triple when the first time signature's numerator is a multiple of 3, else duple.</summary>
    public DrumMeter? DrumMeter { get; init; }

    /// <summary>A time step counts toward the polyphony rate when more than this many pitches sound (MusPy's default 2).</summary>
    public int PolyphonyThreshold { get; init; } = 2;

    /// <summary>The defaults.</summary>
    public static MetricOptions Default { get; } = new();

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> for an option outside its range.</summary>
    public void Validate()
    {
        if (Resolution is < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(Resolution), Resolution, "Resolution must be at least 1 step per quarter note.");
        }

        if (MeasureResolution is < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(MeasureResolution), MeasureResolution, "Measure resolution must be at least 1 step.");
        }

        if (ScaleRoot is < 0 or > 11)
        {
            throw new ArgumentOutOfRangeException(nameof(ScaleRoot), ScaleRoot, "Scale root must be a pitch class 0-11.");
        }

        if (PolyphonyThreshold < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(PolyphonyThreshold), PolyphonyThreshold, "Polyphony threshold must be non-negative.");
        }
    }
}
