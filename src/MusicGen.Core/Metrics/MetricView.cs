using MusicGen.Core.Music;

namespace MusicGen.Core.Metrics;

/// <summary>A note on the metric time grid: start and end in time steps (end may equal start after quantisation).</summary>
public readonly record struct GridNote(long Start, long End, int Pitch, bool IsDrum);

/// <summary>
/// A <see cref="Score"/> put on the time grid of <see cref="MetricOptions"/>, with the choices the metrics need
/// (measure length, scale, drum meter) resolved once. Build with <see cref="Create"/>.
/// </summary>
public sealed class MetricView
{
    private MetricView(Score score, int resolution, GridNote[] notes, long length, int measureResolution,
        int scaleRoot, ScaleMode scaleMode, DrumMeter drumMeter, int polyphonyThreshold)
    {
        Score = score;
        Resolution = resolution;
        Notes = notes;
        Length = length;
        MeasureResolution = measureResolution;
        ScaleRoot = scaleRoot;
        ScaleMode = scaleMode;
        DrumMeter = drumMeter;
        PolyphonyThreshold = polyphonyThreshold;
    }

    /// <summary>Longest score in time steps (115 hours at 24 steps per quarter and 120 BPM, 81 minutes at 2048); longer is refused rather than allocated.</summary>
    public const long MaxSteps = 20_000_000;

    /// <summary>The score the view was made from (note density uses its exact ticks and tempo map).</summary>
    public Score Score { get; }

    /// <summary>Time steps per quarter note.</summary>
    public int Resolution { get; }

    /// <summary>Every note of every track, drums included (<see cref="GridNote.IsDrum"/>), in track order.</summary>
    public IReadOnlyList<GridNote> Notes { get; }

    /// <summary>Length in steps: the latest note end over all tracks (MusPy's <c>max(track.get_end_time())</c>); 0 when there is no note.</summary>
    public long Length { get; }

    /// <summary>Time steps per measure.</summary>
    public int MeasureResolution { get; }

    /// <summary>Scale root (pitch class) for the pitch-in-scale rate.</summary>
    public int ScaleRoot { get; }

    /// <summary>Scale mode for the pitch-in-scale rate.</summary>
    public ScaleMode ScaleMode { get; }

    /// <summary>Meter for the drum-in-pattern rate.</summary>
    public DrumMeter DrumMeter { get; }

    /// <summary>Polyphony-rate threshold.</summary>
    public int PolyphonyThreshold { get; }

    /// <summary>Puts <paramref name="score"/> on the grid of <paramref name="options"/> (defaults when null).</summary>
    /// <exception cref="ArgumentException">The score's ticks per quarter is not positive.</exception>
    public static MetricView Create(Score score, MetricOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(score);
        options ??= MetricOptions.Default;
        options.Validate();
        if (score.TicksPerQuarter < 1)
        {
            throw new ArgumentException($"Score ticks per quarter must be positive, got {score.TicksPerQuarter}.", nameof(score));
        }

        int resolution = options.Resolution ?? score.TicksPerQuarter;
        double factor = (double)resolution / score.TicksPerQuarter;
        bool rescale = resolution != score.TicksPerQuarter;

        int count = 0;
        foreach (var track in score.Tracks)
        {
            count += track.Notes.Count;
        }

        var notes = new GridNote[count];
        long length = 0;
        int i = 0;
        foreach (var track in score.Tracks)
        {
            foreach (var n in track.Notes)
            {
                if (n.Pitch is < 0 or > 127)
                {
                    throw new ArgumentException($"Track {track.Index}: note at tick {n.Start} has pitch {n.Pitch}, outside 0-127.", nameof(score));
                }

                long start = rescale ? Quantize(n.Start, factor) : n.Start;
                long end = rescale ? Quantize(n.End, factor) : n.End;
                if (start < 0 || end < start)
                {
                    throw new ArgumentException($"Track {track.Index}: note at tick {n.Start} has start {n.Start} and end {n.End}.", nameof(score));
                }

                notes[i++] = new GridNote(start, end, n.Pitch, track.IsDrum);
                length = Math.Max(length, end);
            }
        }

        if (length > MaxSteps)
        {
            throw new ArgumentException($"The score lasts {length} time steps at {resolution} per quarter note; the step-based metrics take at most {MaxSteps}.", nameof(score));
        }

        var ts = score.TimeSignatures.Count > 0 ? score.TimeSignatures[0] : new TimeSignature(0, 4, 4);
        if (ts.Numerator < 1 || ts.Denominator < 1)
        {
            throw new ArgumentException($"Time signature at tick {ts.Tick} is {ts.Numerator}/{ts.Denominator}.", nameof(score));
        }

        int measureResolution = options.MeasureResolution
            ?? Math.Max(1, (int)Math.Round(resolution * 4.0 * ts.Numerator / ts.Denominator, MidpointRounding.ToEven));

        int keyRoot = 0;
        var keyMode = Metrics.ScaleMode.Major;
        if (score.KeySignatures.Count > 0)
        {
            var key = score.KeySignatures[0];
            int majorRoot = (((7 * key.SharpsFlats) % 12) + 12) % 12;
            keyRoot = key.IsMinor ? (majorRoot + 9) % 12 : majorRoot;
            keyMode = key.IsMinor ? Metrics.ScaleMode.Minor : Metrics.ScaleMode.Major;
        }

        var meter = options.DrumMeter ?? (ts.Numerator % 3 == 0 ? Metrics.DrumMeter.Triple : Metrics.DrumMeter.Duple);
        return new MetricView(score, resolution, notes, length, measureResolution,
            options.ScaleRoot ?? keyRoot, options.ScaleMode ?? keyMode, meter, options.PolyphonyThreshold);
    }

    /// <summary>Python's <c>round(t * factor)</c>: nearest integer, ties to even.</summary>
    private static long Quantize(long tick, double factor) => (long)Math.Round(tick * factor, MidpointRounding.ToEven);
}
