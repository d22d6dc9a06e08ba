using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using MusicGen.Audio;

namespace MusicGen.Server.Tests;

/// <summary>
/// format=wav|flac over real HTTP (Kestrel on 127.0.0.1) with the real FluidSynth and SoundFont, and the service where
/// they are missing (a SoundFont path that does not exist): a clear 501 and one log line, MIDI still served.
/// </summary>
public sealed class AudioApiTests
{
    internal static async Task<(ServerFactory Factory, HttpClient Client, TempDir Dir)> StartAsync(Dictionary<string, string?>? settings = null, Action<IServiceCollection>? services = null)
    {
        var dir = new TempDir();
        TestPackages.Write(Path.Combine(dir.Path, "tiny"), "tiny", "1", seed: 1);
        var factory = new ServerFactory(dir.Path, settings, services);
        factory.UseKestrelOnLoopback();
        factory.StartServer();
        var client = await factory.ReadyClientAsync();
        Assert.StartsWith("http://127.0.0.1:", client.BaseAddress!.ToString());
        return (factory, client, dir);
    }

    [Fact]
    public async Task Format_wav_answers_the_rendering_of_the_same_requests_midi()
    {
        var (factory, client, dir) = await StartAsync();
        await using var _ = factory;
        using var __ = dir;
        var midiAnswer = await client.PostAsJsonAsync("/v1/generate", new { tokens = 64, seed = 5 });
        Assert.Equal("audio/midi", midiAnswer.Content.Headers.ContentType?.MediaType);
        var midi = await midiAnswer.Content.ReadAsByteArrayAsync();

        var wavAnswer = await client.PostAsJsonAsync("/v1/generate", new { tokens = 64, seed = 5, format = "wav" });
        Assert.Equal(HttpStatusCode.OK, wavAnswer.StatusCode);
        Assert.Equal("audio/wav", wavAnswer.Content.Headers.ContentType?.MediaType);
        Assert.Equal("musicgen-tiny-5.wav", wavAnswer.Content.Headers.ContentDisposition?.FileName);
        Assert.Equal("5", wavAnswer.Headers.GetValues("X-MusicGen-Seed").Single());
        var wav = await wavAnswer.Content.ReadAsByteArrayAsync();
        Assert.Equal("RIFF", System.Text.Encoding.ASCII.GetString(wav, 0, 4));
        // The same seed gives the same MIDI, and the same MIDI the same audio: the library's render of the MIDI answer.
        var expected = new MidiAudioRenderer().Render(midi);
        Assert.Equal(expected.Bytes, wav);
        Assert.True(expected.MidiSeconds > 0, "the piece has a length");
    }

    [Fact]
    public async Task Format_flac_from_a_form_answers_flac_and_bad_formats_are_400s()
    {
        var (factory, client, dir) = await StartAsync();
        await using var _ = factory;
        using var __ = dir;
        using var form = new MultipartFormDataContent { { new StringContent("32"), "tokens" }, { new StringContent("3"), "seed" }, { new StringContent("flac"), "format" } };
        var flac = await client.PostAsync("/v1/generate", form);
        Assert.Equal(HttpStatusCode.OK, flac.StatusCode);
        Assert.Equal("audio/flac", flac.Content.Headers.ContentType?.MediaType);
        Assert.Equal("fLaC", System.Text.Encoding.ASCII.GetString(await flac.Content.ReadAsByteArrayAsync(), 0, 4));

        var mp3 = await client.PostAsJsonAsync("/v1/generate", new { tokens = 8, format = "mp3" });
        Assert.Equal(HttpStatusCode.BadRequest, mp3.StatusCode);
        var problem = await mp3.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("format must be one of midi, wav, flac (got 'mp3')", problem.GetProperty("errors").GetProperty("format")[0].GetString());

        var stream = await client.PostAsJsonAsync("/v1/generate/stream", new { tokens = 8, format = "wav" });
        Assert.Equal(HttpStatusCode.BadRequest, stream.StatusCode);
        Assert.Contains("applies to POST /v1/generate", (await stream.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors").GetProperty("format")[0].GetString());

        var status = await client.GetFromJsonAsync<JsonElement>("/v1/audio");
        Assert.True(status.GetProperty("available").GetBoolean());
        Assert.Equal(["wav", "flac"], status.GetProperty("formats").EnumerateArray().Select(f => f.GetString()!).ToArray());
        Assert.Equal("FluidR3_GM.sf2", status.GetProperty("soundFont").GetString());
    }

    [Fact]
    public async Task A_render_longer_than_the_limit_is_a_400_naming_it()
    {
        var (factory, client, dir) = await StartAsync(new() { ["MusicGen:Inference:InputLimits:MaxRenderSeconds"] = "1" });
        await using var _ = factory;
        using var __ = dir;
        var answer = await client.PostAsJsonAsync("/v1/generate", new { tokens = 64, seed = 5, format = "wav" });
        Assert.Equal(HttpStatusCode.BadRequest, answer.StatusCode);
        var problem = await answer.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("MaxRenderSeconds", problem.GetProperty("limit").GetString());
        Assert.Equal(1, problem.GetProperty("maximum").GetInt32());
        Assert.Contains("seconds of audio to render", problem.GetProperty("errors").GetProperty("format")[0].GetString());
    }

    [Fact]
    public async Task Without_the_soundfont_format_wav_is_a_clear_501_logged_once_and_midi_still_works()
    {
        var log = new CapturingLoggerProvider();
        var (factory, client, dir) = await StartAsync(
            new() { ["MusicGen:Audio:SoundFontPath"] = "/nonexistent/GM.sf2" },
            services => services.AddSingleton<ILoggerProvider>(log));
        await using var _ = factory;
        using var __ = dir;
        const string reason = "SoundFont not found at /nonexistent/GM.sf2: install fluid-soundfont-gm (Debian) or give the path of a General MIDI .sf2 file";

        var status = await client.GetFromJsonAsync<JsonElement>("/v1/audio");
        Assert.False(status.GetProperty("available").GetBoolean());
        Assert.Equal(reason, status.GetProperty("reason").GetString());
        Assert.Empty(status.GetProperty("formats").EnumerateArray());

        var wav = await client.PostAsJsonAsync("/v1/generate", new { tokens = 16, seed = 1, format = "wav" });
        Assert.Equal(HttpStatusCode.NotImplemented, wav.StatusCode);
        Assert.Equal("application/problem+json", wav.Content.Headers.ContentType?.MediaType);
        var problem = await wav.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("Audio rendering unavailable", problem.GetProperty("title").GetString());
        Assert.Equal($"format=wav cannot be rendered on this server: {reason}", problem.GetProperty("detail").GetString());

        var midi = await client.PostAsJsonAsync("/v1/generate", new { tokens = 16, seed = 1 });
        Assert.Equal(HttpStatusCode.OK, midi.StatusCode);
        Assert.Equal("audio/midi", midi.Content.Headers.ContentType?.MediaType);

        var lines = log.Messages.Where(m => m.Contains("Audio rendering", StringComparison.Ordinal)).ToList();
        Assert.Equal([$"Audio rendering unavailable: {reason}. format=wav|flac and POST /v1/render answer 501 and the page plays its own synth"], lines);
    }

    /// <summary>Keeps every log message (warnings and above reach it: the tests' level).</summary>
    internal sealed class CapturingLoggerProvider : ILoggerProvider
    {
        private readonly List<string> _messages = [];

        public IReadOnlyList<string> Messages
        {
            get { lock (_messages) return [.. _messages]; }
        }

        public ILogger CreateLogger(string categoryName) => new Logger(this);

        public void Dispose()
        {
        }

        private sealed class Logger(CapturingLoggerProvider owner) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            {
                lock (owner._messages) owner._messages.Add(formatter(state, exception));
            }
        }
    }
}
