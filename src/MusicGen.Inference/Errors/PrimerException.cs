using MusicGen.Core.Midi;

namespace MusicGen.Inference.Errors;

/// <summary>
/// A primer that cannot be used: not a readable MIDI file (strict reading names the byte offset and what was wrong
/// there), empty, or too long for the model's context. Front ends map it to a client error (HTTP 400).
/// </summary>
public sealed class PrimerException : Exception
{
    /// <summary>Creates an exception; <paramref name="offset"/> is the byte offset in the primer file when known.</summary>
    public PrimerException(string message, long? offset = null, Exception? inner = null) : base(message, inner) => Offset = offset;

    /// <summary>A primer MIDI file the reader refused.</summary>
    public PrimerException(MidiFormatException inner) : this($"The primer is not a valid MIDI file: {inner.Message}", inner.Offset, inner)
    {
    }

    /// <summary>Byte offset in the primer file where the reader failed, when known.</summary>
    public long? Offset { get; }
}
