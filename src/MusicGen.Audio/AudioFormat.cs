namespace MusicGen.Audio;

/// <summary>A file format the renderer writes.</summary>
public enum AudioFormat
{
    /// <summary>RIFF WAVE, 16-bit PCM, stereo (<c>audio/wav</c>, <c>.wav</c>).</summary>
    Wav,

    /// <summary>FLAC, 16-bit, stereo, lossless and about half the size (<c>audio/flac</c>, <c>.flac</c>), written by libsndfile.</summary>
    Flac,
}

/// <summary>Names, file extensions and content types of <see cref="AudioFormat"/>: the one table of them.</summary>
public static class AudioFormats
{
    /// <summary>Every format, in the order front ends list them.</summary>
    public static IReadOnlyList<AudioFormat> All { get; } = [AudioFormat.Wav, AudioFormat.Flac];

    /// <summary>The lower-case name (<c>wav</c>, <c>flac</c>), as requests and file extensions spell it.</summary>
    public static string Name(this AudioFormat format) => format switch
    {
        AudioFormat.Wav => "wav",
        AudioFormat.Flac => "flac",
        _ => throw new ArgumentOutOfRangeException(nameof(format), format, null),
    };

    /// <summary>The HTTP content type.</summary>
    public static string ContentType(this AudioFormat format) => format switch
    {
        AudioFormat.Wav => "audio/wav",
        AudioFormat.Flac => "audio/flac",
        _ => throw new ArgumentOutOfRangeException(nameof(format), format, null),
    };

    /// <summary>The format named <paramref name="name"/> (case-insensitive, a leading dot allowed), or null.</summary>
    public static AudioFormat? Parse(string? name)
    {
        var n = name?.Trim().TrimStart('.');
        foreach (var f in All)
            if (string.Equals(f.Name(), n, StringComparison.OrdinalIgnoreCase)) return f;
        return null;
    }

    /// <summary>The format of a file name by its extension, or null for another extension.</summary>
    public static AudioFormat? FromPath(string path) => Parse(Path.GetExtension(path));
}
