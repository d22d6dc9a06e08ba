namespace MusicGen.Core.Music;

/// <summary>
/// Converts between ticks and real time across tempo changes: the one ticks-to-seconds conversion of the code base.
/// Before the first tempo change the MIDI default of <see cref="DefaultMicrosecondsPerQuarter"/> (120 BPM) applies; of
/// several changes at one tick the last one wins; a tempo below 1 µs per quarter counts as 1, a tick below 0 as 0.
/// </summary>
public sealed class TempoMap
{
    /// <summary>The MIDI default tempo in microseconds per quarter note (120 BPM).</summary>
    public const int DefaultMicrosecondsPerQuarter = 500_000;

    private readonly long[] _ticks;
    private readonly double[] _microseconds;
    private readonly int[] _tempo;
    private readonly int _ticksPerQuarter;

    /// <summary>A map for a tick grid and tempo changes (sorted by tick or not; ties keep their order).</summary>
    public TempoMap(int ticksPerQuarter, IEnumerable<TempoChange> tempos)
    {
        if (ticksPerQuarter < 1) throw new ArgumentOutOfRangeException(nameof(ticksPerQuarter), ticksPerQuarter, "ticks per quarter must be positive");
        ArgumentNullException.ThrowIfNull(tempos);
        _ticksPerQuarter = ticksPerQuarter;
        var ticks = new List<long> { 0 };
        var tempo = new List<int> { DefaultMicrosecondsPerQuarter };
        foreach (var t in tempos.OrderBy(t => Math.Max(0, t.Tick))) // OrderBy is stable
        {
            long tick = Math.Max(0, t.Tick);
            int us = Math.Max(1, t.MicrosecondsPerQuarter);
            if (tick == ticks[^1]) tempo[^1] = us;
            else { ticks.Add(tick); tempo.Add(us); }
        }
        _ticks = [.. ticks];
        _tempo = [.. tempo];
        _microseconds = new double[_ticks.Length];
        for (int i = 1; i < _ticks.Length; i++)
            _microseconds[i] = _microseconds[i - 1] + Span(_ticks[i] - _ticks[i - 1], _tempo[i - 1]);
    }

    /// <summary>The tempo map of a score.</summary>
    public static TempoMap For(Score score)
    {
        ArgumentNullException.ThrowIfNull(score);
        return new TempoMap(score.TicksPerQuarter, score.Tempos);
    }

    /// <summary>Microseconds from tick 0 to <paramref name="tick"/>.</summary>
    public double ToMicroseconds(long tick)
    {
        int i = Segment(tick);
        return _microseconds[i] + Span(tick - _ticks[i], _tempo[i]);
    }

    /// <summary>Seconds from tick 0 to <paramref name="tick"/>.</summary>
    public double ToSeconds(long tick) => ToMicroseconds(tick) / 1e6;

    /// <summary>The tick at <paramref name="seconds"/> (rounded to the nearest tick).</summary>
    public long ToTick(double seconds)
    {
        if (seconds <= 0) return 0;
        var us = seconds * 1e6;
        int lo = 0, hi = _microseconds.Length - 1;
        while (lo < hi)
        {
            int mid = (lo + hi + 1) >> 1;
            if (_microseconds[mid] <= us) lo = mid; else hi = mid - 1;
        }
        return _ticks[lo] + (long)Math.Round((us - _microseconds[lo]) * _ticksPerQuarter / _tempo[lo]);
    }

    /// <summary>Tempo in microseconds per quarter at <paramref name="tick"/>.</summary>
    public int MicrosecondsPerQuarterAt(long tick) => _tempo[Segment(tick)];

    private double Span(long ticks, int tempo) => ticks * (double)tempo / _ticksPerQuarter;

    private int Segment(long tick)
    {
        int i = Array.BinarySearch(_ticks, tick);
        return i >= 0 ? i : Math.Max(0, ~i - 1);
    }
}

/// <summary>
/// Bars and beats across time-signature changes. Before the first time signature 4/4 applies; a time signature
/// starts a new bar at its tick (a change in mid-bar cuts that bar short).
/// </summary>
public sealed class MeterMap
{
    private readonly long[] _ticks;
    private readonly double[] _bars;
    private readonly long[] _barTicks;

    /// <summary>A meter map for a tick grid and time signatures.</summary>
    public MeterMap(int ticksPerQuarter, IEnumerable<TimeSignature> signatures)
    {
        if (ticksPerQuarter < 1) throw new ArgumentOutOfRangeException(nameof(ticksPerQuarter), ticksPerQuarter, "ticks per quarter must be positive");
        ArgumentNullException.ThrowIfNull(signatures);
        var ticks = new List<long> { 0 };
        var barTicks = new List<long> { 4L * ticksPerQuarter };
        foreach (var s in signatures.Where(s => s.Tick >= 0).OrderBy(s => s.Tick))
        {
            long length = s.Numerator <= 0 || s.Denominator <= 0 ? 4L * ticksPerQuarter : Math.Max(1, 4L * ticksPerQuarter * s.Numerator / s.Denominator);
            if (s.Tick == ticks[^1]) barTicks[^1] = length;
            else { ticks.Add(s.Tick); barTicks.Add(length); }
        }
        _ticks = [.. ticks];
        _barTicks = [.. barTicks];
        _bars = new double[_ticks.Length];
        for (int i = 1; i < _ticks.Length; i++)
            _bars[i] = Math.Ceiling(_bars[i - 1] + (double)(_ticks[i] - _ticks[i - 1]) / _barTicks[i - 1] - 1e-9);
    }

    /// <summary>The meter map of a score.</summary>
    public static MeterMap For(Score score)
    {
        ArgumentNullException.ThrowIfNull(score);
        return new MeterMap(score.TicksPerQuarter, score.TimeSignatures);
    }

    /// <summary>Bars (fractional) from tick 0 to <paramref name="tick"/>.</summary>
    public double BarsAt(long tick)
    {
        int i = Array.BinarySearch(_ticks, tick);
        i = i >= 0 ? i : Math.Max(0, ~i - 1);
        return _bars[i] + (double)(tick - _ticks[i]) / _barTicks[i];
    }

    /// <summary>Length of a bar in ticks at <paramref name="tick"/>.</summary>
    public long BarLengthAt(long tick)
    {
        int i = Array.BinarySearch(_ticks, tick);
        return _barTicks[i >= 0 ? i : Math.Max(0, ~i - 1)];
    }
}
