namespace MusicGen.Core.Music;

/// <summary>
/// How well <see cref="ChordRecognizer"/> recovers chords that one track states outright (Nottingham's second track
/// is the tune's chord symbols played as block chords): the chords recognised on that track alone are the reference,
/// compared per harmony segment with the chords recognised on all tracks together and on the other tracks alone.
/// </summary>
public sealed record ChordAgreement
{
    /// <summary>Scores with the reference track and notes on it.</summary>
    public int Scores { get; init; }

    /// <summary>Segments where the reference track sounds (the ones compared).</summary>
    public int Segments { get; init; }

    /// <summary>Of <see cref="Segments"/>: the reference track's pitch classes all lie in its recognised chord (a clean reference).</summary>
    public int ReferenceClean { get; init; }

    /// <summary>Of <see cref="Segments"/>: the chord recognised on all tracks equals the reference.</summary>
    public int AllTracksAgree { get; init; }

    /// <summary>Of <see cref="Segments"/>: the chord recognised on the other tracks (the melody) equals the reference.</summary>
    public int OtherTracksAgree { get; init; }

    /// <summary>Of <see cref="Segments"/>: the chord on all tracks has the reference's root (quality may differ).</summary>
    public int AllTracksSameRoot { get; init; }

    /// <summary>
    /// Ticks per harmony segment of a score: <see cref="ChordRecognizer.HarmonySegment"/> of a measure of its first
    /// time signature (4/4 without one).
    /// </summary>
    public static long SegmentTicks(Score score)
    {
        ArgumentNullException.ThrowIfNull(score);
        var (num, den) = score.TimeSignatures.Count > 0 ? (score.TimeSignatures[0].Numerator, score.TimeSignatures[0].Denominator) : (4, 4);
        var measure = Math.Max(1L, (long)score.TicksPerQuarter * 4 * num / Math.Max(1, den));
        return ChordRecognizer.HarmonySegment(num, measure);
    }

    /// <summary>Measures over scores, with track <paramref name="referenceTrack"/> (0-based) as the reference.</summary>
    public static ChordAgreement Measure(IEnumerable<Score> scores, int referenceTrack)
    {
        ArgumentNullException.ThrowIfNull(scores);
        int n = 0, segments = 0, clean = 0, all = 0, other = 0, root = 0;
        foreach (var score in scores)
        {
            if (referenceTrack >= score.Tracks.Count || score.Tracks[referenceTrack].Notes.Count == 0) continue;
            n++;
            var seg = SegmentTicks(score);
            var length = score.EndTick;
            static IEnumerable<(long, long, int)> Of(IEnumerable<ScoreTrack> tracks) =>
                tracks.Where(t => !t.IsDrum).SelectMany(t => t.Notes).Select(x => (x.Start, x.End, x.Pitch));
            var reference = score.Tracks[referenceTrack];
            var truth = ChordRecognizer.Segments(Of([reference]), seg, length);
            var full = ChordRecognizer.Segments(Of(score.Tracks), seg, length);
            var rest = ChordRecognizer.Segments(Of(score.Tracks.Where(t => t != reference)), seg, length);
            var masks = new int[truth.Length];
            foreach (var x in reference.Notes)
            {
                for (var k = x.Start / seg; k < masks.Length && k * seg < x.End; k++) masks[k] |= 1 << (x.Pitch % 12);
            }

            for (var k = 0; k < truth.Length; k++)
            {
                if (truth[k] is not { } t) continue;
                segments++;
                if ((masks[k] & ~t.Mask) == 0) clean++;
                if (full[k] == t) all++;
                if (rest[k] == t) other++;
                if (full[k]?.Root == t.Root) root++;
            }
        }

        return new ChordAgreement { Scores = n, Segments = segments, ReferenceClean = clean, AllTracksAgree = all, OtherTracksAgree = other, AllTracksSameRoot = root };
    }
}
