using MusicGen.Audio;
using MusicGen.Core.Limits;
using MusicGen.Core.Midi;
using MusicGen.Server.Audio;

namespace MusicGen.Server.Api;

/// <summary>Audio on the HTTP surface: <c>GET /v1/audio</c> and the <c>format=wav|flac</c> answer of <c>POST /v1/generate</c>.</summary>
internal static class AudioAnswers
{
    /// <summary>Maps <c>GET /v1/audio</c>: whether the server renders audio (the page asks before it plays).</summary>
    public static void MapAudioStatus(this RouteGroupBuilder v1) =>
        v1.MapGet("/audio", async (AudioRendering audio) =>
        {
            var status = await audio.StatusAsync();
            return TypedResults.Json(new AudioStatusResponse(
                status.Available, status.Reason, status.Available ? [.. AudioFormats.All.Select(f => f.Name())] : [],
                audio.Options.SampleRate, Path.GetFileName(audio.Options.SoundFontPath), audio.MaxRenderSeconds), GenerateEndpoints.Json);
        })
        .Produces<AudioStatusResponse>()
        .WithName("AudioStatus")
        .WithSummary("Whether format=wav|flac can be rendered here (FluidSynth and a General MIDI SoundFont), and if not, why.");

    /// <summary>
    /// Renders a MIDI file as <paramref name="format"/> (off the decode loop, in a bounded render slot) and answers the
    /// file; a render limit is a 400 on <paramref name="field"/>, a missing FluidSynth or SoundFont a 501.
    /// </summary>
    public static async Task<IResult> RenderAsync(HttpContext ctx, AudioRendering audio, MidiFile midi, AudioFormat format, string fileName, string field)
    {
        try
        {
            var rendered = await audio.RenderAsync(midi, format, ctx.RequestAborted);
            return TypedResults.File(rendered.Bytes, rendered.ContentType, $"{fileName}.{format.Name()}");
        }
        catch (OperationCanceledException) when (ctx.RequestAborted.IsCancellationRequested)
        {
            return Results.Empty; // the client went away (or the request deadline passed)
        }
        catch (InputLimitExceededException l)
        {
            return TypedResults.Problem(Problems.Limit(field, l));
        }
        catch (AudioRenderingUnavailableException u)
        {
            return TypedResults.Problem(Problems.AudioUnavailable(format, u.Message));
        }
    }
}

/// <summary>Body of <c>GET /v1/audio</c>.</summary>
/// <param name="Available">Whether <c>format=wav|flac</c> works here.</param>
/// <param name="Reason">Why not (what to install or configure), or null.</param>
/// <param name="Formats">The audio formats it renders (empty when unavailable).</param>
/// <param name="SampleRate">Frames per second of the audio.</param>
/// <param name="SoundFont">The SoundFont's file name.</param>
/// <param name="MaxRenderSeconds">Longest audio one request may get (MIDI length plus the tail).</param>
internal sealed record AudioStatusResponse(bool Available, string? Reason, string[] Formats, int SampleRate, string SoundFont, int MaxRenderSeconds);
