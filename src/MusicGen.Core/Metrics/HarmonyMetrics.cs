using MusicGen.Core.Music;

namespace MusicGen.Core.Metrics;

/// <summary>Key and chord metrics (not in MusPy): key consistency, chord-tone rate, chord-change rate.</summary>
public static partial class MusicMetrics
{
    /// <summary>Measures per key-consistency window.</summary>
    public const int KeyWindowMeasures = 4;

    /// <summary>Notes a key-consistency window needs to count.</summary>
    public const int KeyWindowMinNotes = 8;

    /// <summary>
    /// Share of the windows of <see cref="KeyWindowMeasures"/> measures (by note onset, at least
    /// <see cref="KeyWindowMinNotes"/> non-drum notes) whose estimated key (<see cref="KeyFinder.Estimate"/>) has the
    /// scale of the piece's key at the window's start (<see cref="KeyFinder.KeyMap"/>: the key signature when
    /// plausible, else the estimate over the whole piece); the key or its relative major/minor counts. NaN without
    /// such a window.
    /// </summary>
    public static double KeyConsistency(MetricView view)
    {
        ArgumentNullException.ThrowIfNull(view);
        var window = (long)KeyWindowMeasures * view.MeasureResolution;
        if (window < 1 || view.Length < 1) return double.NaN;
        var map = KeyFinder.KeyMap(view.Score);
        var windows = (int)Math.Min(1_000_000, (view.Length + window - 1) / window);
        var weights = new double[windows * 12];
        var counts = new int[windows];
        foreach (var n in Pitched(view))
        {
            var w = n.Start / window;
            if (w >= windows) continue;
            weights[(w * 12) + (n.Pitch % 12)] += Math.Max(1, n.End - n.Start);
            counts[w]++;
        }

        int judged = 0, agree = 0;
        var tpq = Math.Max(1, view.Score.TicksPerQuarter);
        for (var w = 0; w < windows; w++)
        {
            if (counts[w] < KeyWindowMinNotes || KeyFinder.Estimate(weights.AsSpan(w * 12, 12)) is not { } local) continue;
            var tick = w * window * tpq / view.Resolution;
            var key = map.Last(k => k.Tick <= tick).Key;
            judged++;
            if (local.SharpsFlats == key.SharpsFlats) agree++;
        }

        return judged == 0 ? double.NaN : (double)agree / judged;
    }

    /// <summary>
    /// Share of the non-drum notes whose pitch class belongs to the chord <see cref="ChordRecognizer"/> finds for
    /// their harmony segment (<see cref="HarmonySegment"/>, by onset); NaN without notes.
    /// </summary>
    public static double ChordToneRate(MetricView view)
    {
        ArgumentNullException.ThrowIfNull(view);
        var segment = HarmonySegment(view);
        var chords = Chords(view, segment);
        long notes = 0, tones = 0;
        foreach (var n in Pitched(view))
        {
            notes++;
            var k = n.Start / segment;
            if (k < chords.Length && chords[k] is { } chord && (chord.Mask >> (n.Pitch % 12) & 1) != 0) tones++;
        }

        return notes == 0 ? double.NaN : (double)tones / notes;
    }

    /// <summary>
    /// Share of neighbouring harmony segments (both with a chord) whose chords differ; NaN with fewer than two
    /// segments with a chord.
    /// </summary>
    public static double ChordChangeRate(MetricView view)
    {
        ArgumentNullException.ThrowIfNull(view);
        var chords = Chords(view, HarmonySegment(view));
        int pairs = 0, changes = 0;
        for (var k = 1; k < chords.Length; k++)
        {
            if (chords[k - 1] is not { } a || chords[k] is not { } b) continue;
            pairs++;
            if (a != b) changes++;
        }

        return pairs == 0 ? double.NaN : (double)changes / pairs;
    }

    /// <summary>
    /// Steps per harmony segment: <see cref="ChordRecognizer.HarmonySegment"/> of a measure of the first time
    /// signature; 4/4 without a signature.
    /// </summary>
    public static long HarmonySegment(MetricView view)
    {
        ArgumentNullException.ThrowIfNull(view);
        var numerator = view.Score.TimeSignatures.Count > 0 ? view.Score.TimeSignatures[0].Numerator : 4;
        return ChordRecognizer.HarmonySegment(numerator, Math.Max(1, view.MeasureResolution));
    }

    private static Chord?[] Chords(MetricView view, long segment) =>
        ChordRecognizer.Segments(Pitched(view).Select(n => (n.Start, n.End, n.Pitch)), segment, view.Length);
}
