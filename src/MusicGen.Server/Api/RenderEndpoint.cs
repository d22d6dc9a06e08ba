using Microsoft.Extensions.Options;
using MusicGen.Audio;
using MusicGen.Core.Limits;
using MusicGen.Inference;
using MusicGen.Inference.Errors;
using MusicGen.Server.Audio;

namespace MusicGen.Server.Api;

/// <summary>
/// <c>POST /v1/render</c>: a Standard MIDI File in (the body, <c>audio/midi</c>), its audio out (FluidSynth). The page
/// plays the piece it has already generated with it, instead of generating it again with <c>format=wav</c>. The file is
/// read as a primer is, by <see cref="MidiInput"/> (strictly, within the engine's <see cref="InputLimits"/>, a damaged
/// file refused at its byte offset), then rendered in a render slot (<see cref="AudioRendering"/>:
/// <see cref="ServerOptions.MaxConcurrentRenders"/>, <see cref="InputLimits.MaxRenderSeconds"/>). It never touches the
/// scheduler, so it cannot hold a batch slot or the decode loop.
/// </summary>
internal static class RenderEndpoint
{
    /// <summary>The body's content type.</summary>
    public const string Midi = "audio/midi";

    /// <summary>The field a problem with the body is keyed by.</summary>
    public const string Field = "midi";

    /// <summary>Maps <c>POST /v1/render</c> (rate limit and deadline as generation).</summary>
    public static void MapRender(this RouteGroupBuilder v1) =>
        v1.MapPost("/render", RenderAsync)
            .Produces(StatusCodes.Status200OK, contentType: "audio/wav", additionalContentTypes: ["audio/flac"])
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType)
            .ProducesProblem(StatusCodes.Status429TooManyRequests)
            .ProducesProblem(StatusCodes.Status501NotImplemented)
            .ProducesProblem(StatusCodes.Status504GatewayTimeout)
            .WithName("Render")
            .WithSummary("Renders a MIDI file (the body, audio/midi) to audio with FluidSynth and the General MIDI SoundFont: wav (default) or flac.")
            .RequireRateLimiting(GenerateEndpoints.RateLimitPolicy).WithRequestTimeout(GenerateEndpoints.TimeoutPolicy);

    private static async Task<IResult> RenderAsync(HttpContext ctx, AudioRendering audio, IOptions<InferenceOptions> engine, IOptions<ServerOptions> server, string? format = null)
    {
        var chosen = format is null ? AudioFormat.Wav : AudioFormats.Parse(format);
        if (chosen is not { } audioFormat)
            return TypedResults.Problem(Problems.Field("format", $"format must be one of {string.Join(", ", AudioFormats.All.Select(f => f.Name()))} (got '{format}')", "Invalid render request"));
        if (await audio.StatusAsync() is { Available: false } status)
            return TypedResults.Problem(Problems.AudioUnavailable(audioFormat, status.Reason!));
        if (!IsMidi(ctx.Request.ContentType))
            return TypedResults.Problem(statusCode: StatusCodes.Status415UnsupportedMediaType, title: "Unsupported media type",
                detail: $"send the MIDI file as the body with Content-Type: {Midi} (got {(ctx.Request.ContentType is { Length: > 0 } t ? t : "none")})");

        var limits = engine.Value.InputLimits;
        byte[] bytes;
        try
        {
            bytes = await ReadBodyAsync(ctx, limits, ctx.RequestAborted);
        }
        catch (InputLimitExceededException l)
        {
            return TypedResults.Problem(Problems.Limit(Field, l));
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return RequestPreparation.TooLarge(server.Value);
        }
        catch (Exception e) when (ctx.RequestAborted.IsCancellationRequested || e is BadHttpRequestException or IOException)
        {
            return TypedResults.Problem(Problems.Field("body", "the request body ended before it was complete"));
        }
        MidiInput input;
        try
        {
            input = MidiInput.Read(bytes, limits, "body");
        }
        catch (PrimerException e)
        {
            return TypedResults.Problem(Damaged(e.Message, e.Offset ?? 0));
        }
        catch (InputLimitExceededException l)
        {
            return TypedResults.Problem(Problems.Limit(Field, l));
        }
        return await AudioAnswers.RenderAsync(ctx, audio, input.File, audioFormat, "musicgen-render", Field);
    }

    /// <summary>The body, refused past <see cref="InputLimits.MaxPrimerBytes"/> before it is all read.</summary>
    private static async Task<byte[]> ReadBodyAsync(HttpContext ctx, InputLimits limits, CancellationToken cancel)
    {
        if (ctx.Request.ContentLength is { } declared) limits.CheckPrimerBytes(declared);
        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int n;
        while ((n = await ctx.Request.Body.ReadAsync(chunk, cancel)) > 0)
        {
            buffer.Write(chunk, 0, n);
            limits.CheckPrimerBytes(buffer.Length);
        }
        return buffer.ToArray();
    }

    /// <summary>A 400 on <see cref="Field"/> with the byte offset where the file went wrong.</summary>
    private static HttpValidationProblemDetails Damaged(string message, long offset)
    {
        var problem = Problems.Field(Field, message, "Invalid MIDI file");
        problem.Extensions["offset"] = offset;
        return problem;
    }

    private static bool IsMidi(string? contentType) =>
        contentType is not null && Microsoft.Net.Http.Headers.MediaTypeHeaderValue.TryParse(contentType, out var type)
        && type.MediaType.Equals(Midi, StringComparison.OrdinalIgnoreCase);
}
