namespace MusicGen.Core.Midi;

/// <summary>
/// The one exception raised for a Standard MIDI File that cannot be read (or, under strict settings, that breaks a
/// rule). It names the byte offset, what was expected there and what was found, and the file path when known.
/// </summary>
public sealed class MidiFormatException : Exception
{
    /// <summary>Creates an exception for a problem at <paramref name="offset"/>.</summary>
    public MidiFormatException(long offset, string expected, string found, string? filePath = null, MidiViolationKind? kind = null)
        : base(Format(offset, expected, found, filePath))
    {
        Offset = offset;
        Expected = expected;
        Found = found;
        FilePath = filePath;
        Kind = kind;
    }

    /// <summary>Byte offset from the start of the file where the problem was found.</summary>
    public long Offset { get; }

    /// <summary>What the reader expected at <see cref="Offset"/>.</summary>
    public string Expected { get; }

    /// <summary>What the reader found instead.</summary>
    public string Found { get; }

    /// <summary>Path of the file being read, or null when reading bytes.</summary>
    public string? FilePath { get; }

    /// <summary>The reading-policy violation that raised this exception, or null for a hard error.</summary>
    public MidiViolationKind? Kind { get; }

    internal MidiFormatException WithPath(string path) => new(Offset, Expected, Found, path, Kind);

    private static string Format(long offset, string expected, string found, string? path) =>
        $"{(path is null ? "" : path + ": ")}invalid MIDI at byte {offset} (0x{offset:X}): expected {expected}, found {found}";
}
