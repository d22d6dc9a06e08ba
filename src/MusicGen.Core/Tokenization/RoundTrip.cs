using MusicGen.Core.Music;

namespace MusicGen.Core.Tokenization;

/// <summary>How one score survives <c>decode(encode(score))</c>.</summary>
/// <param name="Notes">Notes of the original that the tokenizer represents (in its pitch range; drums excluded for
/// performance and chorale).</param>
/// <param name="DecodedNotes">Notes of the decoded score.</param>
/// <param name="ExactNotes">Original notes found identically in the decoded score.</param>
/// <param name="MaxOnsetError">Largest onset difference of paired notes (paired when within half a step), in <paramref name="Unit"/>.</param>
/// <param name="MaxOffsetError">Largest release difference of paired notes, in <paramref name="Unit"/>.</param>
/// <param name="OnsetsBeyondGrid">Original notes with no decoded note of the same instrument and pitch within half a
/// grid step of their onset (lost, merged with a simultaneous duplicate, or moved further).</param>
/// <param name="MaxVelocityError">Largest velocity difference of paired notes.</param>
/// <param name="TemposEqual">Normalised tempo maps equal (always true for kinds without tempo).</param>
/// <param name="MaxTempoErrorBpm">Largest tempo difference where both maps have the same number of changes.</param>
/// <param name="TimeSignaturesEqual">Normalised time-signature maps equal (always true for kinds without them).</param>
/// <param name="Unit">Unit of the time errors: <c>steps</c> (grid steps), <c>ms</c> or <c>frames</c>.</param>
/// <param name="Tokens">Length of the encoding.</param>
/// <param name="Seconds">Length of the original in seconds (last note end through its tempo map).</param>
public sealed record RoundTripResult(
    int Notes,
    int DecodedNotes,
    int ExactNotes,
    double MaxOnsetError,
    double MaxOffsetError,
    int OnsetsBeyondGrid,
    int MaxVelocityError,
    bool TemposEqual,
    double MaxTempoErrorBpm,
    bool TimeSignaturesEqual,
    string Unit,
    int Tokens,
    double Seconds)
{
    /// <summary>
    /// Paired notes whose release moved by more than half a grid step (notes shorter than a step are written one
    /// step long; a release cut by a restrike of the same pitch in performance encoding).
    /// </summary>
    public int ReleasesBeyondGrid { get; init; }

    /// <summary>
    /// The keys came back: the decoded key signatures name the keys of the original's key map in order (REMI with
    /// key tokens; a change moves to its bar line, so ticks are not compared). True for tokenizers without keys.
    /// </summary>
    public bool KeysEqual { get; init; } = true;

    /// <summary>Everything the tokenizer represents came back identical.</summary>
    public bool Exact => Notes == DecodedNotes && ExactNotes == Notes && TemposEqual && TimeSignaturesEqual && KeysEqual;

    /// <summary>Every note came back (same count) with its onset within half a grid step.</summary>
    public bool WithinGrid => Notes == DecodedNotes && OnsetsBeyondGrid == 0;
}

/// <summary>
/// Measures round trips. What "equal" compares, per kind:
/// <list type="bullet">
/// <item><b>remi</b>: the multiset of notes (instrument, onset, release, pitch, velocity), where the instrument is
/// the program or drums (track layout, names and channels are not compared: tracks sharing an instrument merge);
/// decoded ticks are mapped back to the original resolution with rounding (so triplets on a 1024-tick grid compare
/// exactly); the tempo and time-signature maps after normalisation (sorted, last change per tick, changes equal to
/// the previous value dropped). Notes outside the pitch range are not counted.</item>
/// <item><b>performance</b>: the multiset of non-drum notes (onset, release, pitch, velocity) in milliseconds;
/// exact means equal to the original rounded to the time-shift step.</item>
/// <item><b>chorale</b>: the frames (pitches sounding at each frame's middle).</item>
/// </list>
/// </summary>
public static class RoundTrip
{
    /// <summary>Encodes, decodes and compares one score.</summary>
    public static RoundTripResult Measure(IMusicTokenizer tokenizer, Score original)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        ArgumentNullException.ThrowIfNull(original);
        var ids = tokenizer.Encode(original);
        var decoded = tokenizer.Decode(ids);
        var seconds = TempoMap.For(original).ToSeconds(original.EndTick);
        return tokenizer switch
        {
            RemiTokenizer remi => CompareRemi(remi, original, decoded, ids.Length, seconds),
            PerformanceTokenizer perf => ComparePerformance(perf, original, decoded, ids.Length, seconds),
            ChoraleTokenizer chorale => CompareChorale(chorale, original, decoded, ids.Length, seconds),
            _ => throw new ArgumentException($"No round-trip comparison for tokenizer kind '{tokenizer.Kind}'.", nameof(tokenizer)),
        };
    }

    private static RoundTripResult CompareRemi(RemiTokenizer t, Score original, Score decoded, int tokens, double seconds)
    {
        var tpq = original.TicksPerQuarter;
        var res = t.Config.PositionsPerQuarter;
        long Back(long tick) => Rescale(tick, decoded.TicksPerQuarter, tpq);
        static int Key(ScoreTrack track) => track.IsDrum ? RemiTokenizer.DrumKey : Math.Clamp(track.Program, 0, 127);

        var a = original.Tracks.SelectMany(tr => tr.Notes
                .Where(n => n.Pitch >= t.Config.MinPitch && n.Pitch <= t.Config.MaxPitch)
                .Select(n => new N(Key(tr), n.Pitch, n.Start, n.End, n.Velocity)))
            .ToList();
        var b = decoded.Tracks.SelectMany(tr => tr.Notes.Select(n => new N(Key(tr), n.Pitch, Back(n.Start), Back(n.Start) + Back(n.End - n.Start), n.Velocity)))
            .ToList();
        var stepTicks = (double)tpq / res;
        CompareNotes(a, b, stepTicks, out var exact, out var on, out var off, out var beyond, out var vel, out var releases);

        var ta = NormalizeMap(original.Tempos.Select(x => (x.Tick, x.MicrosecondsPerQuarter)));
        var tb = NormalizeMap(decoded.Tempos.Select(x => (Back(x.Tick), x.MicrosecondsPerQuarter)));
        var tempoError = ta.Count == tb.Count && ta.Count > 0
            ? ta.Zip(tb).Max(p => Math.Abs((60e6 / p.First.Value) - (60e6 / p.Second.Value)))
            : 0;
        var sa = NormalizeMap(original.TimeSignatures.Select(x => (x.Tick, (x.Numerator * 1000) + x.Denominator)));
        var sb = NormalizeMap(decoded.TimeSignatures.Select(x => (Back(x.Tick), (x.Numerator * 1000) + x.Denominator)));
        return new RoundTripResult(a.Count, b.Count, exact, on / stepTicks, off / stepTicks, beyond, vel,
            ta.SequenceEqual(tb), tempoError, sa.SequenceEqual(sb), "steps", tokens, seconds)
        {
            ReleasesBeyondGrid = releases,
            KeysEqual = t.KeyCount == 0 || ExpectedKeys(t, original).SequenceEqual(KeyFinder.NormalizedSignatures(decoded).Select(k => k.Key)),
        };
    }

    /// <summary>The keys REMI writes: the key map's, up to the last event (none for a score without bars).</summary>
    private static List<MusicalKey> ExpectedKeys(RemiTokenizer t, Score original)
    {
        var inRange = original.Tracks.SelectMany(tr => tr.Notes).Where(n => n.Pitch >= t.Config.MinPitch && n.Pitch <= t.Config.MaxPitch).Select(n => n.Start);
        var last = inRange.Concat(original.Tempos.Select(x => x.Tick)).Concat(original.TimeSignatures.Select(x => x.Tick)).DefaultIfEmpty(-1).Max();
        var keys = new List<MusicalKey>();
        if (last < 0) return keys;
        foreach (var k in KeyFinder.KeyMap(original).Where(k => k.Tick <= last))
        {
            if (keys.Count == 0 || keys[^1] != k.Key) keys.Add(k.Key);
        }

        return keys;
    }

    private static RoundTripResult ComparePerformance(PerformanceTokenizer t, Score original, Score decoded, int tokens, double seconds)
    {
        var clock = TempoMap.For(original);
        var dclock = TempoMap.For(decoded);
        var step = t.Config.TimeShiftMs;
        var bins = new VelocityBins(t.Config.VelocityBins);

        // Originals in real milliseconds (rounded to whole ms for the multiset), decoded likewise.
        var a = original.Tracks.Where(tr => !tr.IsDrum).SelectMany(tr => tr.Notes)
            .Where(n => n.Pitch >= t.Config.MinPitch && n.Pitch <= t.Config.MaxPitch)
            .Select(n => new N(0, n.Pitch, (long)Math.Round(clock.ToMicroseconds(n.Start) / 1000), (long)Math.Round(clock.ToMicroseconds(n.End) / 1000), n.Velocity))
            .ToList();
        var b = decoded.Tracks.SelectMany(tr => tr.Notes)
            .Select(n => new N(0, n.Pitch, (long)Math.Round(dclock.ToMicroseconds(n.Start) / 1000), (long)Math.Round(dclock.ToMicroseconds(n.End) / 1000), n.Velocity))
            .ToList();

        // Exact = equal to the original on the time-shift grid with its velocity bin.
        var grid = a.Select(n =>
        {
            var s = (long)Math.Round((double)n.Start / step, MidpointRounding.AwayFromZero) * step;
            var e = Math.Max(s + step, (long)Math.Round((double)n.End / step, MidpointRounding.AwayFromZero) * step);
            return n with { Start = s, End = e, Velocity = bins.Value(bins.Bin(n.Velocity)) };
        }).ToList();
        CompareNotes(grid, b, step, out var exact, out _, out _, out _, out _);
        CompareNotes(a, b, step, out _, out var on, out var off, out var beyond, out var vel, out var releases);
        return new RoundTripResult(a.Count, b.Count, exact, on, off, beyond, vel, true, 0, true, "ms", tokens, seconds) { ReleasesBeyondGrid = releases };
    }

    private static RoundTripResult CompareChorale(ChoraleTokenizer t, Score original, Score decoded, int tokens, double seconds)
    {
        var fa = t.ScoreToFrames(original);
        var fb = t.ScoreToFrames(decoded);
        var n = fa.Sum(f => f.Length);
        var same = 0;
        for (var i = 0; i < Math.Min(fa.Count, fb.Count); i++)
        {
            if (fa[i].AsSpan().SequenceEqual(fb[i]))
            {
                same += fa[i].Length;
            }
        }

        var equal = fa.Count == fb.Count && same == n;
        return new RoundTripResult(n, fb.Sum(f => f.Length), same, equal ? 0 : 1, equal ? 0 : 1, equal ? 0 : 1, 0, true, 0, true, "frames", tokens, seconds);
    }

    private readonly record struct N(int Key, int Pitch, long Start, long End, int Velocity);

    private static int CompareNotes(List<N> a, List<N> b, double stepTicks, out int exact, out double maxOn, out double maxOff, out int beyond, out int maxVel) =>
        CompareNotes(a, b, stepTicks, out exact, out maxOn, out maxOff, out beyond, out maxVel, out _);

    private static int CompareNotes(List<N> a, List<N> b, double stepTicks, out int exact, out double maxOn, out double maxOff, out int beyond, out int maxVel, out int releasesBeyond)
    {
        releasesBeyond = 0;
        exact = 0;
        maxOn = 0;
        maxOff = 0;
        beyond = 0;
        maxVel = 0;
        // Pair in order of grid onset, grid release, then velocity: quantisation keeps that order, so each original
        // note meets its own decoded note.
        long Cell(long tick) => (long)Math.Round(tick / stepTicks, MidpointRounding.AwayFromZero);
        var ga = a.GroupBy(n => (n.Key, n.Pitch)).ToDictionary(g => g.Key, g => g.OrderBy(n => Cell(n.Start)).ThenBy(n => Cell(n.End)).ThenBy(n => n.Velocity).ThenBy(n => n.End).ToList());
        var gb = b.GroupBy(n => (n.Key, n.Pitch)).ToDictionary(g => g.Key, g => g.OrderBy(n => Cell(n.Start)).ThenBy(n => Cell(n.End)).ThenBy(n => n.Velocity).ThenBy(n => n.End).ToList());
        foreach (var (key, la) in ga)
        {
            if (!gb.TryGetValue(key, out var lb))
            {
                continue;
            }

            // Exact matches as multisets.
            var counts = lb.GroupBy(n => n).ToDictionary(g => g.Key, g => g.Count());
            foreach (var n in la)
            {
                if (counts.TryGetValue(n, out var c) && c > 0)
                {
                    counts[n] = c - 1;
                    exact++;
                }
            }

            // Errors: walk both lists in time order and pair notes whose onsets lie within half a step; the rest
            // (lost, merged or moved further) count as beyond the grid.
            var tol = (stepTicks / 2) + 0.5;
            int i = 0, j = 0, paired = 0;
            while (i < la.Count && j < lb.Count)
            {
                var d = lb[j].Start - la[i].Start;
                if (Math.Abs(d) <= tol)
                {
                    maxOn = Math.Max(maxOn, Math.Abs(d));
                    var off = Math.Abs(la[i].End - lb[j].End);
                    maxOff = Math.Max(maxOff, off);
                    maxVel = Math.Max(maxVel, Math.Abs(la[i].Velocity - lb[j].Velocity));
                    if (off > (stepTicks / 2) + 1)
                    {
                        releasesBeyond++;
                    }

                    i++;
                    j++;
                    paired++;
                }
                else if (d < 0)
                {
                    j++;
                }
                else
                {
                    i++;
                }
            }

            beyond += la.Count - paired;
        }

        return exact;
    }

    /// <summary>Sorted by tick (stable), the last value at a tick wins, values equal to the previous one dropped.</summary>
    internal static List<(long Tick, int Value)> NormalizeMap(IEnumerable<(long Tick, int Value)> events)
    {
        var sorted = events.Select((e, i) => (e, i)).OrderBy(x => x.e.Tick).ThenBy(x => x.i).Select(x => x.e);
        var lastPerTick = new List<(long Tick, int Value)>();
        foreach (var e in sorted)
        {
            if (lastPerTick.Count > 0 && lastPerTick[^1].Tick == e.Tick)
            {
                lastPerTick[^1] = e;
            }
            else
            {
                lastPerTick.Add(e);
            }
        }

        var result = new List<(long Tick, int Value)>();
        foreach (var e in lastPerTick)
        {
            if (result.Count == 0 || result[^1].Value != e.Value)
            {
                result.Add(e);
            }
        }

        return result;
    }

    /// <summary>A tick at resolution <paramref name="from"/> mapped to <paramref name="to"/>, rounding halves up.</summary>
    internal static long Rescale(long tick, int from, int to) =>
        from == to ? tick : (long)((((Int128)tick * to * 2) + from) / ((Int128)from * 2));
}
