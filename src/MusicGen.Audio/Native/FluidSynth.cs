using System.Runtime.InteropServices;

namespace MusicGen.Audio.Native;

/// <summary>
/// The part of FluidSynth's C API (2.x, <c>libfluidsynth.so.3</c>) the renderer uses. Functions return
/// <see cref="Ok"/> (0) or <see cref="Failed"/> (-1) unless documented otherwise.
/// </summary>
internal static partial class FluidSynth
{
    /// <summary>The shared library's file name (Debian 12: package libfluidsynth3).</summary>
    public const string Library = "libfluidsynth.so.3";

    public const int Ok = 0;
    public const int Failed = -1;

    [LibraryImport(Library, EntryPoint = "new_fluid_settings")]
    public static partial FluidSettingsHandle NewSettings();

    [LibraryImport(Library, EntryPoint = "delete_fluid_settings")]
    public static partial void DeleteSettings(IntPtr settings);

    [LibraryImport(Library, EntryPoint = "fluid_settings_setnum", StringMarshalling = StringMarshalling.Utf8)]
    public static partial int SetNum(FluidSettingsHandle settings, string name, double value);

    [LibraryImport(Library, EntryPoint = "fluid_settings_setint", StringMarshalling = StringMarshalling.Utf8)]
    public static partial int SetInt(FluidSettingsHandle settings, string name, int value);

    [LibraryImport(Library, EntryPoint = "fluid_settings_setstr", StringMarshalling = StringMarshalling.Utf8)]
    public static partial int SetStr(FluidSettingsHandle settings, string name, string value);

    [LibraryImport(Library, EntryPoint = "new_fluid_synth")]
    public static partial IntPtr NewSynth(FluidSettingsHandle settings);

    [LibraryImport(Library, EntryPoint = "delete_fluid_synth")]
    public static partial void DeleteSynth(IntPtr synth);

    /// <summary>Loads a SoundFont; returns its id (&gt;= 0) or <see cref="Failed"/>.</summary>
    [LibraryImport(Library, EntryPoint = "fluid_synth_sfload", StringMarshalling = StringMarshalling.Utf8)]
    public static partial int SoundFontLoad(FluidSynthHandle synth, string path, int resetPresets);

    [LibraryImport(Library, EntryPoint = "fluid_synth_noteon")]
    public static partial int NoteOn(FluidSynthHandle synth, int channel, int key, int velocity);

    [LibraryImport(Library, EntryPoint = "fluid_synth_noteoff")]
    public static partial int NoteOff(FluidSynthHandle synth, int channel, int key);

    [LibraryImport(Library, EntryPoint = "fluid_synth_cc")]
    public static partial int ControlChange(FluidSynthHandle synth, int channel, int controller, int value);

    [LibraryImport(Library, EntryPoint = "fluid_synth_program_change")]
    public static partial int ProgramChange(FluidSynthHandle synth, int channel, int program);

    /// <summary>Pitch bend, 0..16383 (8192 = centre).</summary>
    [LibraryImport(Library, EntryPoint = "fluid_synth_pitch_bend")]
    public static partial int PitchBend(FluidSynthHandle synth, int channel, int value);

    [LibraryImport(Library, EntryPoint = "fluid_synth_channel_pressure")]
    public static partial int ChannelPressure(FluidSynthHandle synth, int channel, int value);

    [LibraryImport(Library, EntryPoint = "fluid_synth_key_pressure")]
    public static partial int KeyPressure(FluidSynthHandle synth, int channel, int key, int value);

    /// <summary>
    /// Renders <paramref name="frames"/> frames as floats: left samples at <c>left[leftOffset + i * leftStride]</c>,
    /// right at <c>right[rightOffset + i * rightStride]</c> (one buffer with strides of 2 gives interleaved stereo).
    /// </summary>
    [LibraryImport(Library, EntryPoint = "fluid_synth_write_float")]
    public static unsafe partial int WriteFloat(FluidSynthHandle synth, int frames, float* left, int leftOffset, int leftStride, float* right, int rightOffset, int rightStride);
}
