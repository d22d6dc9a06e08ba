using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using MusicGen.Audio;
using MusicGen.Core.Midi;

namespace MusicGen.Server.Tests;

/// <summary>
/// <c>POST /v1/render</c> over real HTTP with the real FluidSynth: a MIDI file in, the library's render of it out (the
/// same bytes as <c>format=wav</c> of the request that made it), the file read as a primer is (empty and damaged files
/// are 400s with the byte offset, the byte, note and render-length limits 400s naming them), 415 for another body,
/// and 501 where FluidSynth cannot render.
/// </summary>
public sealed class RenderApiTests
{
    private static async Task<HttpResponseMessage> RenderAsync(HttpClient client, byte[] midi, string? format = null, string contentType = "audio/midi")
    {
        using var content = new ByteArrayContent(midi);
        content.Headers.ContentType = new MediaTypeHeaderValue(contentType);
        return await client.PostAsync(format is null ? "/v1/render" : $"/v1/render?format={format}", content);
    }

    private static async Task<byte[]> GenerateAsync(HttpClient client, int tokens, int seed)
    {
        var answer = await client.PostAsJsonAsync("/v1/generate", new { tokens, seed });
        Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
        return await answer.Content.ReadAsByteArrayAsync();
    }

    private static async Task<JsonElement> ProblemAsync(HttpResponseMessage answer, HttpStatusCode status)
    {
        Assert.Equal(status, answer.StatusCode);
        Assert.Equal("application/problem+json", answer.Content.Headers.ContentType?.MediaType);
        return await answer.Content.ReadFromJsonAsync<JsonElement>();
    }

    [Fact]
    public async Task A_midi_file_renders_to_the_same_audio_as_format_wav_of_the_request_that_made_it()
    {
        var (factory, client, dir) = await AudioApiTests.StartAsync();
        await using var _ = factory;
        using var __ = dir;
        var midi = await GenerateAsync(client, 64, 5);

        var wav = await RenderAsync(client, midi);
        Assert.Equal(HttpStatusCode.OK, wav.StatusCode);
        Assert.Equal("audio/wav", wav.Content.Headers.ContentType?.MediaType);
        var bytes = await wav.Content.ReadAsByteArrayAsync();
        Assert.Equal(new MidiAudioRenderer().Render(midi).Bytes, bytes);
        var generated = await client.PostAsJsonAsync("/v1/generate", new { tokens = 64, seed = 5, format = "wav" });
        Assert.Equal(await generated.Content.ReadAsByteArrayAsync(), bytes);

        var flac = await RenderAsync(client, midi, "flac");
        Assert.Equal(HttpStatusCode.OK, flac.StatusCode);
        Assert.Equal("audio/flac", flac.Content.Headers.ContentType?.MediaType);
        Assert.Equal(new MidiAudioRenderer().Render(midi, AudioFormat.Flac).Bytes, await flac.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task Empty_damaged_and_foreign_bodies_are_refused_saying_what_and_where()
    {
        var (factory, client, dir) = await AudioApiTests.StartAsync();
        await using var _ = factory;
        using var __ = dir;
        var midi = await GenerateAsync(client, 64, 5);

        var empty = await ProblemAsync(await RenderAsync(client, []), HttpStatusCode.BadRequest);
        Assert.Equal(0, empty.GetProperty("offset").GetInt64());
        Assert.Contains("empty (0 bytes)", empty.GetProperty("errors").GetProperty("midi")[0].GetString(), StringComparison.Ordinal);

        // Cut mid-track: refused at the byte where the file ends (read strictly, as primers are).
        var cut = midi[..(midi.Length - 6)];
        var damaged = await ProblemAsync(await RenderAsync(client, cut), HttpStatusCode.BadRequest);
        Assert.Equal("Invalid MIDI file", damaged.GetProperty("title").GetString());
        var offset = damaged.GetProperty("offset").GetInt64();
        Assert.InRange(offset, 14, cut.Length);
        Assert.Contains($"at byte {offset}", damaged.GetProperty("errors").GetProperty("midi")[0].GetString(), StringComparison.Ordinal);

        var notMidi = await ProblemAsync(await RenderAsync(client, "RIFF...."u8.ToArray()), HttpStatusCode.BadRequest);
        Assert.Equal(0, notMidi.GetProperty("offset").GetInt64());

        var json = await ProblemAsync(await RenderAsync(client, midi, contentType: "application/json"), HttpStatusCode.UnsupportedMediaType);
        Assert.Contains("Content-Type: audio/midi", json.GetProperty("detail").GetString(), StringComparison.Ordinal);

        var mp3 = await ProblemAsync(await RenderAsync(client, midi, "mp3"), HttpStatusCode.BadRequest);
        Assert.Equal("format must be one of wav, flac (got 'mp3')", mp3.GetProperty("errors").GetProperty("format")[0].GetString());
    }

    /// <summary>A melody of <paramref name="notes"/> quarter notes at 120 BPM (half a second each), written by the codec.</summary>
    private static byte[] Piece(int notes)
    {
        var file = new MidiFile(0, 480);
        var track = new MidiTrack();
        for (var i = 0; i < notes; i++)
        {
            track.Events.Add(MidiEvent.NoteOn(i * 480L, 0, 60 + (i % 12), 90));
            track.Events.Add(MidiEvent.NoteOff(i * 480L + 480, 0, 60 + (i % 12)));
        }
        track.Events.Add(MidiEvent.EndOfTrack(notes * 480L));
        file.Tracks.Add(track);
        return file.ToBytes();
    }

    [Theory]
    [InlineData("MaxRenderSeconds", "1", "seconds of audio to render")]
    [InlineData("MaxPrimerBytes", "100", "bytes in the primer file")]
    [InlineData("MaxNotes", "2", "notes in the score")]
    public async Task Input_limits_are_400s_naming_the_limit(string limit, string maximum, string what)
    {
        var (factory, client, dir) = await AudioApiTests.StartAsync(new() { [$"MusicGen:Inference:InputLimits:{limit}"] = maximum });
        await using var _ = factory;
        using var __ = dir;
        var midi = Piece(40);
        Assert.True(midi.Length > 100, "the piece is longer than the byte limit under test");

        var problem = await ProblemAsync(await RenderAsync(client, midi), HttpStatusCode.BadRequest);
        Assert.Equal(limit, problem.GetProperty("limit").GetString());
        Assert.Equal(long.Parse(maximum, System.Globalization.CultureInfo.InvariantCulture), problem.GetProperty("maximum").GetInt64());
        Assert.True(problem.GetProperty("actual").GetInt64() > problem.GetProperty("maximum").GetInt64());
        Assert.Contains(what, problem.GetProperty("errors").GetProperty("midi")[0].GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Without_fluidsynth_rendering_a_file_is_a_501_with_the_reason()
    {
        var (factory, client, dir) = await AudioApiTests.StartAsync(
            new() { ["MusicGen:Audio:SoundFontPath"] = "/nonexistent/GM.sf2" },
            services => services.AddSingleton<ILoggerProvider>(new AudioApiTests.CapturingLoggerProvider()));
        await using var _ = factory;
        using var __ = dir;
        var midi = await GenerateAsync(client, 16, 1);

        var problem = await ProblemAsync(await RenderAsync(client, midi), HttpStatusCode.NotImplemented);
        Assert.Equal("Audio rendering unavailable", problem.GetProperty("title").GetString());
        Assert.Equal("format=wav cannot be rendered on this server: SoundFont not found at /nonexistent/GM.sf2: install fluid-soundfont-gm (Debian) or give the path of a General MIDI .sf2 file",
            problem.GetProperty("detail").GetString());
    }
}
