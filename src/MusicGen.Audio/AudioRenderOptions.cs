using System.Globalization;

namespace MusicGen.Audio;

/// <summary>
/// How <see cref="MidiAudioRenderer"/> renders: the SoundFont, sample rate, gain and the silence kept after the last
/// event. The one place for these defaults; the renderer validates them when it is made. The limit on the length of
/// a render is <see cref="MusicGen.Core.Limits.InputLimits.MaxRenderSeconds"/>, with the other input limits.
/// </summary>
public sealed record AudioRenderOptions
{
    /// <summary>Debian's General MIDI SoundFont (package fluid-soundfont-gm).</summary>
    public const string DefaultSoundFontPath = "/usr/share/sounds/sf2/FluidR3_GM.sf2";

    /// <summary>The defaults.</summary>
    public static AudioRenderOptions Default { get; } = new();

    /// <summary>The SoundFont (.sf2) to play the MIDI with. Default <see cref="DefaultSoundFontPath"/>.</summary>
    public string SoundFontPath { get; init; } = DefaultSoundFontPath;

    /// <summary>Frames per second of the audio, 8,000 to 96,000 (FluidSynth's range). Default 44,100.</summary>
    public int SampleRate { get; init; } = 44_100;

    /// <summary>
    /// X
    /// FluidR3_GM (FluidSynth's own default, 0.2, is quiet).
    /// </summary>
    public double Gain { get; init; } = 0.8;

    /// <summary>Seconds rendered after the end of the MIDI so that the last notes and the reverb die away, 0 to 10. Default 1.</summary>
    public double TailSeconds { get; init; } = 1.0;

    /// <summary>Every problem with these values (empty when valid).</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (string.IsNullOrWhiteSpace(SoundFontPath)) errors.Add($"{nameof(SoundFontPath)} must name a SoundFont (.sf2) file.");
        if (SampleRate is < 8_000 or > 96_000) errors.Add($"{nameof(SampleRate)} must be in [8000, 96000] (got {SampleRate}).");
        if (!(Gain > 0 && Gain <= 10)) errors.Add($"{nameof(Gain)} must be in (0, 10] (got {Gain.ToString(CultureInfo.InvariantCulture)}).");
        if (!(TailSeconds >= 0 && TailSeconds <= 10)) errors.Add($"{nameof(TailSeconds)} must be in [0, 10] (got {TailSeconds.ToString(CultureInfo.InvariantCulture)}).");
        return errors;
    }
}
