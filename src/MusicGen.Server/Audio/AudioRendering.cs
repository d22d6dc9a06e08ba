using Microsoft.Extensions.Options;
using MusicGen.Audio;
using MusicGen.Core.Midi;
using MusicGen.Inference;

namespace MusicGen.Server.Audio;

/// <summary>Whether the service can render audio, and if not, why (the message of the failure).</summary>
internal sealed record AudioStatus(bool Available, string? Reason);

/// <summary>
/// The service's audio answers (<c>format=wav</c> and <c>format=flac</c>): one <see cref="MidiAudioRenderer"/> with the
/// <c>MusicGen:Audio</c> options and the engine's input limits (<c>MaxRenderSeconds</c>). Made at start, it renders a
/// silent probe in the background (FluidSynth's entry points and the SoundFont) and logs one line saying whether
/// rendering is available and, if not, why; the service runs either way. Renders run after a generation has ended,
/// never on the scheduler's decode thread, on <see cref="ServerOptions.MaxConcurrentRenders"/> dedicated threads
/// (<see cref="RenderThreads"/>: that is what keeps the renders' native memory from growing the service's RSS).
/// </summary>
internal sealed class AudioRendering : IDisposable
{
    private readonly RenderThreads _threads;
    private readonly Task<(MidiAudioRenderer? Renderer, AudioStatus Status)> _start;

    public AudioRendering(IOptions<AudioRenderOptions> audio, IOptions<InferenceOptions> engine, IOptions<ServerOptions> server, ILogger<AudioRendering> log)
    {
        Options = audio.Value;
        MaxRenderSeconds = engine.Value.InputLimits.MaxRenderSeconds;
        var renders = server.Value.MaxConcurrentRenders;
        _threads = new RenderThreads(renders);
        _start = _threads.RunAsync(() =>
        {
            try
            {
                var renderer = new MidiAudioRenderer(Options, engine.Value.InputLimits);
                renderer.Render(Probe());
                log.LogInformation("Audio rendering available: FluidSynth with the SoundFont {SoundFont} at {SampleRate} Hz (format=wav|flac and POST /v1/render, at most {Renders} at a time, up to {MaxRenderSeconds} s each)",
                    Options.SoundFontPath, Options.SampleRate, renders, MaxRenderSeconds);
                return ((MidiAudioRenderer?)renderer, new AudioStatus(true, null));
            }
            catch (AudioRenderingUnavailableException e)
            {
                log.LogWarning("Audio rendering unavailable: {Reason}. format=wav|flac and POST /v1/render answer 501 and the page plays its own synth", e.Message);
                return (null, new AudioStatus(false, e.Message));
            }
        }, CancellationToken.None);
    }

    /// <summary>The rendering options in force.</summary>
    public AudioRenderOptions Options { get; }

    /// <summary>The engine's <c>InputLimits.MaxRenderSeconds</c>.</summary>
    public int MaxRenderSeconds { get; }

    /// <summary>Whether rendering is available (known once the start probe has run).</summary>
    public async Task<AudioStatus> StatusAsync() => (await _start).Status;

    /// <summary>Renders a MIDI file once a render slot is free (a generated one, or one <c>POST /v1/render</c> has read strictly).</summary>
    /// <exception cref="AudioRenderingUnavailableException">Rendering is unavailable (or the SoundFont went away).</exception>
    /// <exception cref="MusicGen.Core.Limits.InputLimitExceededException">Longer than <c>MaxRenderSeconds</c>.</exception>
    public async Task<RenderedAudio> RenderAsync(MidiFile midi, AudioFormat format, CancellationToken cancel)
    {
        var (renderer, status) = await _start;
        if (renderer is null) throw new AudioRenderingUnavailableException(status.Reason!);
        return await _threads.RunAsync(() => renderer.Render(midi, format, cancel), cancel);
    }

    /// <summary>The threads renders run on (internal: tests check that renders stay on them).</summary>
    internal RenderThreads Threads => _threads;

    public void Dispose() => _threads.Dispose();

    /// <summary>An empty piece: only the tail is rendered.</summary>
    private static MidiFile Probe()
    {
        var midi = new MidiFile(0, 480);
        var track = new MidiTrack();
        track.Events.Add(MidiEvent.EndOfTrack(0));
        midi.Tracks.Add(track);
        return midi;
    }
}
