using System.Runtime.InteropServices;
using MusicGen.Audio.Native;
using MusicGen.Core.Limits;
using MusicGen.Core.Midi;

namespace MusicGen.Audio;

/// <summary>
/// Renders MIDI to audio with FluidSynth and a General MIDI SoundFont. Each render drives its own synth from our
/// MIDI codec's events (no FluidSynth player, no shared native state), so renders may run in parallel and the same
/// MIDI with the same options always gives the same bytes. Every native object is released when the render ends.
/// </summary>
public sealed class MidiAudioRenderer
{
    private const int BlockFrames = 4096;
    private const int Channels = 2;

    private readonly InputLimits _limits;

    /// <summary>
    /// A renderer for <paramref name="options"/>; checks them, that FluidSynth's library loads and that the SoundFont
    /// exists (that FluidSynth can read it is known at the first render).
    /// </summary>
    /// <param name="options">Rendering options (default <see cref="AudioRenderOptions.Default"/>).</param>
    /// <param name="limits">Input limits; <see cref="InputLimits.MaxRenderSeconds"/> bounds each render (default <see cref="InputLimits.Default"/>).</param>
    /// <exception cref="ArgumentException">An option or limit is out of range (all problems listed).</exception>
    /// <exception cref="AudioRenderingUnavailableException">FluidSynth or the SoundFont is missing.</exception>
    public MidiAudioRenderer(AudioRenderOptions? options = null, InputLimits? limits = null)
    {
        Options = options ?? AudioRenderOptions.Default;
        _limits = limits ?? InputLimits.Default;
        var errors = Options.Validate().Concat(_limits.Validate()).ToList();
        if (errors.Count > 0) throw new ArgumentException("invalid audio rendering options: " + string.Join(" ", errors), nameof(options));
        if (!NativeLibrary.TryLoad(FluidSynth.Library, typeof(MidiAudioRenderer).Assembly, null, out var library))
            throw new AudioRenderingUnavailableException(MissingLibrary);
        NativeLibrary.Free(library);
        if (!File.Exists(Options.SoundFontPath))
            throw new AudioRenderingUnavailableException($"SoundFont not found at {Options.SoundFontPath}: install fluid-soundfont-gm (Debian) or give the path of a General MIDI .sf2 file");
    }

    /// <summary>The options in force.</summary>
    public AudioRenderOptions Options { get; }

    /// <summary>Reads a Standard MIDI File (leniently: what can be repaired is) and renders it.</summary>
    /// <exception cref="MidiFormatException">The bytes are not a readable MIDI file.</exception>
    /// <exception cref="InputLimitExceededException">The audio would be longer than <see cref="InputLimits.MaxRenderSeconds"/>.</exception>
    /// <exception cref="AudioRenderingUnavailableException">FluidSynth cannot load the SoundFont or make a synth.</exception>
    public RenderedAudio Render(ReadOnlySpan<byte> midi, AudioFormat format = AudioFormat.Wav, CancellationToken cancel = default) =>
        Render(MidiFile.Read(midi), format, cancel);

    /// <summary>Renders <paramref name="midi"/> in <paramref name="format"/>: its whole length plus <see cref="AudioRenderOptions.TailSeconds"/>.</summary>
    /// <exception cref="InputLimitExceededException">The audio would be longer than <see cref="InputLimits.MaxRenderSeconds"/>.</exception>
    /// <exception cref="AudioRenderingUnavailableException">FluidSynth cannot load the SoundFont or make a synth.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancel"/> was cancelled (checked between blocks).</exception>
    public RenderedAudio Render(MidiFile midi, AudioFormat format = AudioFormat.Wav, CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(midi);
        if (!AudioFormats.All.Contains(format)) throw new ArgumentOutOfRangeException(nameof(format), format, "unknown audio format");
        var plan = RenderPlan.For(midi, Options, _limits);
        cancel.ThrowIfCancellationRequested();
        var samples = Synthesize(plan, cancel);
        var bytes = format == AudioFormat.Wav
            ? WavWriter.Write(samples, Channels, Options.SampleRate)
            : FlacWriter.Write(samples, Channels, Options.SampleRate);
        return new RenderedAudio(bytes, format, Options.SampleRate, Channels, plan.Frames, plan.Seconds);
    }

    private static string MissingLibrary => $"FluidSynth not found: install libfluidsynth3 (Debian; the library {FluidSynth.Library})";

    private short[] Synthesize(RenderPlan plan, CancellationToken cancel)
    {
        try
        {
            using var settings = FluidSynth.NewSettings();
            if (settings.IsInvalid) throw new AudioRenderingUnavailableException("FluidSynth could not create its settings");
            SetNumber(settings, "synth.sample-rate", Options.SampleRate);
            SetNumber(settings, "synth.gain", Options.Gain);
            SetInteger(settings, "synth.cpu-cores", 1);         // one thread per render: renders run side by side instead
            SetInteger(settings, "synth.lock-memory", 0);       // no mlock of the sample data (refused in containers)
            SetInteger(settings, "synth.threadsafe-api", 0);    // one thread drives each synth
            SetInteger(settings, "synth.dynamic-sample-loading", 1); // load only the presets the piece uses: 0.2 s, not 0.7, per render
            using var synth = FluidSynthHandle.Create(settings) ?? throw new AudioRenderingUnavailableException("FluidSynth could not create a synthesizer");
            if (FluidSynth.SoundFontLoad(synth, Options.SoundFontPath, 1) < 0)
                throw new AudioRenderingUnavailableException($"FluidSynth could not load the SoundFont at {Options.SoundFontPath} (not a SoundFont 2 file?)");
            return Play(synth, plan, cancel);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            throw new AudioRenderingUnavailableException(MissingLibrary, e);
        }
    }

    private static unsafe short[] Play(FluidSynthHandle synth, RenderPlan plan, CancellationToken cancel)
    {
        var samples = new short[checked(plan.Frames * Channels)];
        var block = new float[BlockFrames * Channels];
        long done = 0;
        fixed (float* buffer = block)
        {
            foreach (var e in plan.Events)
            {
                done = RenderTo(synth, buffer, block, samples, done, e.Frame, cancel);
                Send(synth, e.Event);
            }
            RenderTo(synth, buffer, block, samples, done, plan.Frames, cancel);
        }
        return samples;
    }

    /// <summary>Renders from frame <paramref name="done"/> up to <paramref name="frame"/> into <paramref name="samples"/>; returns the new position.</summary>
    private static unsafe long RenderTo(FluidSynthHandle synth, float* buffer, float[] block, short[] samples, long done, long frame, CancellationToken cancel)
    {
        while (done < frame)
        {
            cancel.ThrowIfCancellationRequested();
            var n = (int)Math.Min(BlockFrames, frame - done);
            if (FluidSynth.WriteFloat(synth, n, buffer, 0, Channels, buffer, 1, Channels) != FluidSynth.Ok)
                throw new InvalidOperationException("FluidSynth failed to render a block");
            var target = samples.AsSpan((int)(done * Channels), n * Channels);
            for (var i = 0; i < target.Length; i++) target[i] = ToPcm16(block[i]);
            done += n;
        }
        return done;
    }

    /// <summary>Sends one channel message. FluidSynth's refusals (a note off with no note on, no preset) are ignored, as a MIDI device would.</summary>
    private static void Send(FluidSynthHandle synth, MidiEvent e)
    {
        var ch = e.Channel;
        switch (e.Status & 0xF0)
        {
            case 0x80: FluidSynth.NoteOff(synth, ch, e.Data1); break;
            case 0x90 when e.Data2 == 0: FluidSynth.NoteOff(synth, ch, e.Data1); break;
            case 0x90: FluidSynth.NoteOn(synth, ch, e.Data1, e.Data2); break;
            case 0xA0: FluidSynth.KeyPressure(synth, ch, e.Data1, e.Data2); break;
            case 0xB0: FluidSynth.ControlChange(synth, ch, e.Data1, e.Data2); break;
            case 0xC0: FluidSynth.ProgramChange(synth, ch, e.Data1); break;
            case 0xD0: FluidSynth.ChannelPressure(synth, ch, e.Data1); break;
            case 0xE0: FluidSynth.PitchBend(synth, ch, e.Data1 | (e.Data2 << 7)); break;
        }
    }

    private static short ToPcm16(float x) => (short)Math.Clamp(MathF.Round(x * 32767f), -32768f, 32767f);

    private static void SetNumber(FluidSettingsHandle settings, string name, double value)
    {
        if (FluidSynth.SetNum(settings, name, value) != FluidSynth.Ok) throw new InvalidOperationException($"FluidSynth refused the setting {name} = {value}");
    }

    private static void SetInteger(FluidSettingsHandle settings, string name, int value)
    {
        if (FluidSynth.SetInt(settings, name, value) != FluidSynth.Ok) throw new InvalidOperationException($"FluidSynth refused the setting {name} = {value}");
    }
}
