using System.Runtime.InteropServices;

namespace MusicGen.Audio.Native;

/// <summary>A <c>fluid_settings_t*</c>, deleted with <c>delete_fluid_settings</c>.</summary>
internal sealed class FluidSettingsHandle : SafeHandle
{
    public FluidSettingsHandle() : base(IntPtr.Zero, ownsHandle: true)
    {
    }

    public override bool IsInvalid => handle == IntPtr.Zero;

    protected override bool ReleaseHandle()
    {
        FluidSynth.DeleteSettings(handle);
        return true;
    }
}

/// <summary>
/// A <c>fluid_synth_t*</c>, deleted with <c>delete_fluid_synth</c>. It keeps its settings alive (a reference on their
/// handle) until the synth is deleted, because FluidSynth reads them until then.
/// </summary>
internal sealed class FluidSynthHandle : SafeHandle
{
    private readonly FluidSettingsHandle? _settings;

    public FluidSynthHandle() : base(IntPtr.Zero, ownsHandle: true)
    {
    }

    private FluidSynthHandle(IntPtr synth, FluidSettingsHandle settings) : base(IntPtr.Zero, ownsHandle: true)
    {
        _settings = settings;
        SetHandle(synth);
    }

    public override bool IsInvalid => handle == IntPtr.Zero;

    /// <summary>A new synth on <paramref name="settings"/>, or null when FluidSynth could not make one.</summary>
    public static FluidSynthHandle? Create(FluidSettingsHandle settings)
    {
        var added = false;
        settings.DangerousAddRef(ref added);
        var synth = FluidSynth.NewSynth(settings);
        if (synth != IntPtr.Zero) return new FluidSynthHandle(synth, settings);
        if (added) settings.DangerousRelease();
        return null;
    }

    protected override bool ReleaseHandle()
    {
        FluidSynth.DeleteSynth(handle);
        _settings?.DangerousRelease();
        return true;
    }
}
