namespace MusicGen.Audio;

/// <summary>
/// Audio cannot be rendered on this machine: FluidSynth's library is not installed, or the SoundFont is missing or not
/// one FluidSynth can load. The message says which and what to install or configure; a service maps it to 501/503.
/// </summary>
public sealed class AudioRenderingUnavailableException : Exception
{
    /// <summary>Creates the exception with the reason in words.</summary>
    public AudioRenderingUnavailableException(string message, Exception? inner = null) : base(message, inner)
    {
    }
}
