using MusicGen.Core.Music;

namespace MusicGen.Core.Metrics;

/// <summary>
/// Fixed-length descriptors of a piece beyond the scalar metrics: the pitch-class histogram and the melodic
/// interval histogram (used as classifier features and in reports).
/// </summary>
public static class PieceFeatures
{
    /// <summary>Largest interval (semitones) with its own bin; larger leaps are counted in the outermost bins.</summary>
    public const int MaxInterval = 12;

    /// <summary>Bins of <see cref="IntervalHistogram"/>: -12 .. +12 semitones.</summary>
    public const int IntervalBins = (2 * MaxInterval) + 1;

    /// <summary>Share of non-drum notes in each pitch class (C = 0); all zeros when there is none.</summary>
    public static double[] PitchClassHistogram(Score score)
    {
        ArgumentNullException.ThrowIfNull(score);
        var histogram = new double[12];
        long total = 0;
        foreach (var track in score.Tracks)
        {
            if (track.IsDrum)
            {
                continue;
            }

            foreach (var n in track.Notes)
            {
                histogram[((n.Pitch % 12) + 12) % 12]++;
                total++;
            }
        }

        Normalize(histogram, total);
        return histogram;
    }

    /// <summary>
    /// Normalised histogram of melodic intervals, bin <c>k</c> for <c>k - 12</c> semitones (leaps beyond an octave
    /// clamped to ±12). The melody of each non-drum track is its skyline: at each distinct onset the highest pitch
    /// starting there; an interval is the step between consecutive skyline pitches of one track. All zeros when
    /// no track has two onsets.
    /// </summary>
    public static double[] IntervalHistogram(Score score)
    {
        ArgumentNullException.ThrowIfNull(score);
        var histogram = new double[IntervalBins];
        long total = 0;
        var skyline = new SortedDictionary<long, int>();
        foreach (var track in score.Tracks)
        {
            if (track.IsDrum || track.Notes.Count < 2)
            {
                continue;
            }

            skyline.Clear();
            foreach (var n in track.Notes)
            {
                skyline[n.Start] = skyline.TryGetValue(n.Start, out int top) ? Math.Max(top, n.Pitch) : n.Pitch;
            }

            int? previous = null;
            foreach (int pitch in skyline.Values)
            {
                if (previous is int p)
                {
                    histogram[Math.Clamp(pitch - p, -MaxInterval, MaxInterval) + MaxInterval]++;
                    total++;
                }

                previous = pitch;
            }
        }

        Normalize(histogram, total);
        return histogram;
    }

    private static void Normalize(double[] histogram, long total)
    {
        if (total > 0)
        {
            for (int i = 0; i < histogram.Length; i++)
            {
                histogram[i] /= total;
            }
        }
    }
}
