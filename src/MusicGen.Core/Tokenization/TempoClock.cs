using MusicGen.Core.Music;

namespace MusicGen.Core.Tokenization;

/// <summary>Converts ticks of a score to real time through its tempo map (120 BPM before the first tempo).</summary>
public sealed class TempoClock
{
    private readonly long[] _ticks;
    private readonly double[] _us;
    private readonly int[] _tempo;
    private readonly int _tpq;

    /// <summary>Builds the clock; tempos are taken sorted by tick, the last at a tick winning.</summary>
    public TempoClock(Score score)
    {
        ArgumentNullException.ThrowIfNull(score);
        _tpq = Math.Max(1, score.TicksPerQuarter);
        var ticks = new List<long> { 0 };
        var tempo = new List<int> { 500_000 };
        foreach (var t in score.Tempos.Select((t, i) => (t, i)).OrderBy(x => x.t.Tick).ThenBy(x => x.i).Select(x => x.t))
        {
            var tick = Math.Max(0, t.Tick);
            var us = Math.Max(1, t.MicrosecondsPerQuarter);
            if (ticks[^1] == tick)
            {
                tempo[^1] = us;
            }
            else
            {
                ticks.Add(tick);
                tempo.Add(us);
            }
        }

        _ticks = ticks.ToArray();
        _tempo = tempo.ToArray();
        _us = new double[_ticks.Length];
        for (var i = 1; i < _ticks.Length; i++)
        {
            _us[i] = _us[i - 1] + ((_ticks[i] - _ticks[i - 1]) * (double)_tempo[i - 1] / _tpq);
        }
    }

    /// <summary>Microseconds from the start to a tick.</summary>
    public double Microseconds(long tick)
    {
        var i = Array.BinarySearch(_ticks, tick);
        if (i < 0)
        {
            i = ~i - 1;
        }

        i = Math.Max(0, i);
        return _us[i] + ((tick - _ticks[i]) * (double)_tempo[i] / _tpq);
    }

    /// <summary>Seconds from the start to a tick.</summary>
    public double Seconds(long tick) => Microseconds(tick) / 1e6;
}
