namespace MusicGen.Core.Music;

/// <summary>Chord qualities <see cref="ChordRecognizer"/> knows, in the order ties are broken (triads first).</summary>
public enum ChordQuality
{
    /// <summary>Major triad (0, 4, 7).</summary>
    Major,

    /// <summary>Minor triad (0, 3, 7).</summary>
    Minor,

    /// <summary>Diminished triad (0, 3, 6).</summary>
    Diminished,

    /// <summary>Augmented triad (0, 4, 8).</summary>
    Augmented,

    /// <summary>Dominant seventh (0, 4, 7, 10).</summary>
    Dominant7,

    /// <summary>Major seventh (0, 4, 7, 11).</summary>
    Major7,

    /// <summary>Minor seventh (0, 3, 7, 10).</summary>
    Minor7,
}

/// <summary>A chord: root pitch class 0-11 and quality.</summary>
public readonly record struct Chord(int Root, ChordQuality Quality)
{
    private static readonly string[] RootNames = ["C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B"];

    /// <summary>Number of chords (12 roots x 7 qualities).</summary>
    public const int Count = 84;

    /// <summary>0..83: quality x 12 + root.</summary>
    public int Index => ((int)Quality * 12) + Root;

    /// <summary>The chord of an <see cref="Index"/>.</summary>
    public static Chord FromIndex(int index) => new(index % 12, (ChordQuality)(index / 12));

    /// <summary>Semitones above the root.</summary>
    public ReadOnlySpan<int> Intervals => Quality switch
    {
        ChordQuality.Major => [0, 4, 7],
        ChordQuality.Minor => [0, 3, 7],
        ChordQuality.Diminished => [0, 3, 6],
        ChordQuality.Augmented => [0, 4, 8],
        ChordQuality.Dominant7 => [0, 4, 7, 10],
        ChordQuality.Major7 => [0, 4, 7, 11],
        _ => [0, 3, 7, 10],
    };

    /// <summary>The chord's pitch classes as a 12-bit mask, bit 0 = C.</summary>
    public int Mask
    {
        get
        {
            var mask = 0;
            foreach (var i in Intervals) mask |= 1 << ((Root + i) % 12);
            return mask;
        }
    }

    /// <summary>Lead-sheet name: <c>C</c>, <c>Am</c>, <c>Bdim</c>, <c>Caug</c>, <c>G7</c>, <c>Fmaj7</c>, <c>Dm7</c>.</summary>
    public string Name => RootNames[Root] + Quality switch
    {
        ChordQuality.Major => "",
        ChordQuality.Minor => "m",
        ChordQuality.Diminished => "dim",
        ChordQuality.Augmented => "aug",
        ChordQuality.Dominant7 => "7",
        ChordQuality.Major7 => "maj7",
        _ => "m7",
    };

    /// <inheritdoc />
    public override string ToString() => Name;

    /// <summary>
    /// Parses a lead-sheet name as <see cref="Name"/> writes it: a root A-G with an optional <c>#</c> or <c>b</c> (any
    /// spelling: <c>A#</c> = <c>Bb</c>), then nothing (major), <c>m</c>, <c>dim</c>, <c>aug</c>, <c>7</c>, <c>maj7</c> or
    /// <c>m7</c>. False when the text is not one of the 84 chords.
    /// </summary>
    public static bool TryParse(string? text, out Chord chord)
    {
        chord = default;
        var s = text?.Trim() ?? "";
        if (s.Length == 0 || s[0] == ' ') return false;
        var root = "C D EF G A B".IndexOf(char.ToUpperInvariant(s[0]), StringComparison.Ordinal);
        if (root < 0) return false;
        var i = 1;
        if (i < s.Length && s[i] == '#') { root++; i++; }
        else if (i < s.Length && s[i] == 'b') { root--; i++; }
        ChordQuality? quality = s[i..] switch
        {
            "" => ChordQuality.Major,
            "m" => ChordQuality.Minor,
            "dim" => ChordQuality.Diminished,
            "aug" => ChordQuality.Augmented,
            "7" => ChordQuality.Dominant7,
            "maj7" => ChordQuality.Major7,
            "m7" => ChordQuality.Minor7,
            _ => null,
        };
        if (quality is null) return false;
        chord = new Chord((root + 12) % 12, quality.Value);
        return true;
    }
}

/// <summary>
/// Template-matching chord recognition (after Pardo and Birmingham 2002): over a time segment, each note adds the
/// time it sounds inside the segment to its pitch class; the chord whose pitch classes hold the most weight minus
/// the weight outside them wins, ties going to the earlier <see cref="ChordQuality"/> (triads before sevenths), then
/// the lower root. A segment where nothing sounds has no chord. Stateless and deterministic.
/// </summary>
public static class ChordRecognizer
{
    /// <summary>
    /// The harmony segment of a measure (the one rule for chord tokens, chord metrics and chord agreement): half the
    /// measure when the time signature's numerator is even (2 quarters in 4/4, a dotted quarter in 6/8) and the
    /// measure halves evenly, else the whole measure (3/4), in the measure's own unit (ticks or grid steps).
    /// </summary>
    public static long HarmonySegment(int numerator, long measure) =>
        numerator % 2 == 0 && measure % 2 == 0 ? measure / 2 : measure;

    /// <summary>The best chord for 12 pitch-class weights; null when they are all zero.</summary>
    public static Chord? Recognize(ReadOnlySpan<double> weights)
    {
        if (weights.Length != 12) throw new ArgumentException("pitch-class weights must have 12 entries", nameof(weights));
        double total = 0;
        foreach (var w in weights) total += w;
        if (total <= 0) return null;
        Chord? best = null;
        var bestScore = double.NegativeInfinity;
        for (var i = 0; i < Chord.Count; i++)
        {
            var chord = Chord.FromIndex(i);
            var mask = chord.Mask;
            double inside = 0;
            for (var pc = 0; pc < 12; pc++)
            {
                if ((mask >> pc & 1) != 0) inside += weights[pc];
            }

            var score = (2 * inside) - total; // inside - outside
            if (score > bestScore + (1e-9 * total))
            {
                bestScore = score;
                best = chord;
            }
        }

        return best;
    }

    /// <summary>
    /// One chord (or null) per segment <c>[k * segment, (k + 1) * segment)</c> covering <c>[0, length)</c>, from
    /// the notes (start, end, pitch) in any time unit; each note weighs the time it sounds inside the segment.
    /// </summary>
    public static Chord?[] Segments(IEnumerable<(long Start, long End, int Pitch)> notes, long segment, long length)
    {
        ArgumentNullException.ThrowIfNull(notes);
        ArgumentOutOfRangeException.ThrowIfLessThan(segment, 1);
        var count = (int)Math.Min(int.MaxValue / 16, Math.Max(0, (length + segment - 1) / segment));
        var weights = new double[count * 12];
        foreach (var (start, end, pitch) in notes)
        {
            for (var k = Math.Max(0, start / segment); k < count && k * segment < end; k++)
            {
                var overlap = Math.Min(end, (k + 1) * segment) - Math.Max(start, k * segment);
                if (overlap > 0) weights[(k * 12) + (pitch % 12)] += overlap;
            }
        }

        var chords = new Chord?[count];
        for (var k = 0; k < count; k++) chords[k] = Recognize(weights.AsSpan(k * 12, 12));
        return chords;
    }
}
