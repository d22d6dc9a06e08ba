using System.Globalization;

namespace MusicGen.Core.Music;

/// <summary>
/// A major or minor key: tonic pitch class 0-11 (0 = C) and mode. Spelled by its key signature: the signature of a
/// key is the one of -5..6 sharps (negative = flats) whose tonic it is, so F# major (6 sharps) and D# minor (6 sharps)
/// are spelled with sharps, Db major (5 flats) and Bb minor (5 flats) with flats.
/// </summary>
public readonly record struct MusicalKey
{
    private static readonly string[] SharpNames = ["C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B"];
    private static readonly string[] FlatNames = ["C", "Db", "D", "Eb", "E", "F", "Gb", "G", "Ab", "A", "Bb", "B"];

    /// <summary>Creates a key.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The tonic is not 0..11.</exception>
    public MusicalKey(int tonic, bool isMinor)
    {
        if (tonic is < 0 or > 11) throw new ArgumentOutOfRangeException(nameof(tonic), tonic, "tonic pitch class must be 0..11");
        Tonic = tonic;
        IsMinor = isMinor;
    }

    /// <summary>Number of keys (12 major, then 12 minor in <see cref="Index"/> order).</summary>
    public const int Count = 24;

    /// <summary>Tonic pitch class, 0 = C.</summary>
    public int Tonic { get; }

    /// <summary>True for minor (natural-minor scale), false for major.</summary>
    public bool IsMinor { get; }

    /// <summary>0..23: the tonic for major keys, 12 + tonic for minor keys.</summary>
    public int Index => (IsMinor ? 12 : 0) + Tonic;

    /// <summary>The key of an <see cref="Index"/>.</summary>
    public static MusicalKey FromIndex(int index) =>
        index is >= 0 and < Count ? new MusicalKey(index % 12, index >= 12) : throw new ArgumentOutOfRangeException(nameof(index), index, "key index must be 0..23");

    /// <summary>The same mode with the tonic moved by <paramref name="semitones"/> (any sign or size).</summary>
    public MusicalKey Transpose(int semitones) => new((((Tonic + semitones) % 12) + 12) % 12, IsMinor);

    /// <summary>The key signature of this key, -5..6 (negative = flats).</summary>
    public int SharpsFlats
    {
        get
        {
            var major = IsMinor ? (Tonic + 3) % 12 : Tonic; // relative major
            var sf = major * 7 % 12;
            return sf > 6 ? sf - 12 : sf;
        }
    }

    /// <summary>The key a MIDI key signature names (-7..7 sharps, minor flag); enharmonic signatures give the same key.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The signature is outside -7..7.</exception>
    public static MusicalKey FromSignature(int sharpsFlats, bool isMinor)
    {
        if (sharpsFlats is < -7 or > 7) throw new ArgumentOutOfRangeException(nameof(sharpsFlats), sharpsFlats, "key signature must be -7..7");
        var major = ((sharpsFlats * 7 % 12) + 12) % 12;
        return new MusicalKey(isMinor ? (major + 9) % 12 : major, isMinor);
    }

    /// <summary>The pitch classes of the key's scale (major, or natural minor) as a 12-bit mask, bit 0 = C.</summary>
    public int ScaleMask
    {
        get
        {
            var steps = IsMinor ? MinorSteps : MajorSteps;
            var mask = 0;
            foreach (var s in steps) mask |= 1 << ((Tonic + s) % 12);
            return mask;
        }
    }

    /// <summary>Scale degrees of the major scale, semitones above the tonic.</summary>
    public static ReadOnlySpan<int> MajorSteps => [0, 2, 4, 5, 7, 9, 11];

    /// <summary>Scale degrees of the natural minor scale, semitones above the tonic.</summary>
    public static ReadOnlySpan<int> MinorSteps => [0, 2, 3, 5, 7, 8, 10];

    /// <summary>The tonic as its signature spells it: <c>C</c>, <c>F#</c>, <c>Bb</c>.</summary>
    public string TonicName => (SharpsFlats < 0 ? FlatNames : SharpNames)[Tonic];

    /// <summary>Readable name, e.g. <c>A minor</c>, <c>Eb major</c>.</summary>
    public string Name => $"{TonicName} {(IsMinor ? "minor" : "major")}";

    /// <summary>Short name used in token names: <c>C</c>, <c>Eb</c>, <c>Am</c>, <c>F#m</c>.</summary>
    public string ShortName => TonicName + (IsMinor ? "m" : "");

    /// <inheritdoc />
    public override string ToString() => Name;

    /// <summary>
    /// Parses a key: a tonic letter A-G with an optional <c>#</c> or <c>b</c>, then optionally <c>major</c>/<c>maj</c>,
    /// <c>minor</c>/<c>min</c> or <c>m</c> (case of the mode word is ignored; default major). Examples: <c>A minor</c>,
    /// <c>Am</c>, <c>F# major</c>, <c>Bb</c>, <c>eb minor</c>.
    /// </summary>
    /// <exception cref="FormatException">The text is not a key (the message quotes it).</exception>
    public static MusicalKey Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return TryParse(text, out var key)
            ? key
            : throw new FormatException($"'{text}' is not a key; write a tonic A-G with optional # or b and optional major/minor, e.g. \"A minor\", \"F#m\", \"Bb major\".");
    }

    /// <summary>Parses like <see cref="Parse"/>; false when the text is not a key.</summary>
    public static bool TryParse(string? text, out MusicalKey key)
    {
        key = default;
        var s = text?.Trim() ?? "";
        if (s.Length == 0) return false;
        var letter = char.ToUpperInvariant(s[0]);
        var natural = "C D EF G A B".IndexOf(letter, StringComparison.Ordinal);
        if (letter == ' ' || natural < 0) return false;
        var i = 1;
        if (i < s.Length && s[i] == '#') { natural++; i++; }
        else if (i < s.Length && s[i] == 'b') { natural--; i++; }
        var mode = s[i..].Trim().ToLower(CultureInfo.InvariantCulture);
        bool? minor = mode switch
        {
            "" or "major" or "maj" => false,
            "m" or "minor" or "min" => true,
            _ => null,
        };
        if (minor is null) return false;
        key = new MusicalKey((natural + 12) % 12, minor.Value);
        return true;
    }
}
