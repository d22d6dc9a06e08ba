namespace MusicGen.Audio;

/// <summary>A rendered piece: the file's bytes in <see cref="Format"/>, and what they hold.</summary>
/// <param name="Bytes">The whole file (a WAV or FLAC file).</param>
/// <param name="Format">Its format.</param>
/// <param name="SampleRate">Frames per second.</param>
/// <param name="Channels">Channels (2: stereo).</param>
/// <param name="Frames">Frames (samples per channel), the tail included.</param>
/// <param name="MidiSeconds">Length of the MIDI itself in seconds (its last event), without the tail.</param>
public sealed record RenderedAudio(byte[] Bytes, AudioFormat Format, int SampleRate, int Channels, long Frames, double MidiSeconds)
{
    /// <summary>Length of the audio.</summary>
    public TimeSpan Duration => TimeSpan.FromSeconds((double)Frames / SampleRate);

    /// <summary>The HTTP content type of <see cref="Bytes"/>.</summary>
    public string ContentType => Format.ContentType();
}
