using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Net.Http.Headers;
using MusicGen.Audio;
using MusicGen.Inference;
using MusicGen.Server.Audio;
using MusicGen.Server.Models;
using MusicGen.Server.Scheduling;

namespace MusicGen.Server.Api;

/// <summary>A submitted generation request and the format of its answer (null: MIDI).</summary>
internal sealed record Prepared(ServiceJob Job, AudioFormat? Format);

/// <summary>From an HTTP request to a submitted job: read the body strictly, validate, pick the model version, submit.</summary>
internal static class RequestPreparation
{
    /// <summary>
    /// Reads, validates and submits a generation request: the job (holding its model version), or the problem to
    /// answer instead. <paramref name="audio"/> is null where the answer cannot be audio (the stream): an audio
    /// <c>format</c> is then a 400; where it can, an audio format the server cannot render is a 501 before any work.
    /// </summary>
    public static async Task<(Prepared?, IResult?)> PrepareAsync(HttpContext ctx, ModelRegistry registry, GenerationScheduler scheduler, ServerOptions options, AudioRendering? audio = null)
    {
        var (body, problem) = await ReadRequestAsync(ctx, options);
        if (problem is not null) return (null, problem);
        if (body!.Format is { } format)
        {
            if (audio is null)
                return (null, TypedResults.Problem(Problems.Field("format", $"format={format.Name()} applies to POST /v1/generate; the stream's 'done' event carries the MIDI")));
            if (await audio.StatusAsync() is { Available: false } status)
                return (null, TypedResults.Problem(Problems.AudioUnavailable(format, status.Reason!)));
        }
        var request = body.Request;
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        foreach (var (field, message) in request.Check(options.MaxTokens)) errors[field] = [message];

        var name = body.Model ?? registry.DefaultModel;
        if (name is null)
            return (null, Problems.Result(ctx, Problems.Unavailable("No model is loaded yet", "the models folder has no loaded package yet", options), options));
        var known = registry.List();
        if (!known.Any(m => m.Name == name))
            errors["model"] = [$"unknown model '{name}'; known: {(known.Count == 0 ? "(none)" : string.Join(", ", known.Select(m => m.Name)))}"];
        if (errors.Count > 0) return (null, TypedResults.Problem(Problems.Validation(errors)));

        ModelVersion? version;
        if (body.Version is { } pinned)
        {
            version = registry.FindLoaded(name, pinned);
            if (version is null || !version.TryAcquire())
                return (null, TypedResults.Problem(Problems.Field("version", $"version '{pinned}' of '{name}' is not loaded (activate it first)")));
        }
        else
        {
            version = registry.AcquireActive(name);
            if (version is null) return (null, Problems.Result(ctx, Problems.Unavailable("Model not loaded", $"model '{name}' has no active version yet", options), options));
        }

        var owned = true;
        try
        {
            var d = version.Description;
            var limit = Math.Min(options.MaxTokens, d.ContextLength);
            if (request.MaxTokens is { } t && t >= d.ContextLength)
                return (null, TypedResults.Problem(Problems.Field("tokens", $"tokens = {t} does not fit: model '{name}' has a context of {d.ContextLength} tokens (prompt included)")));
            // The same default as the library and the CLI; with bars or seconds, the context bounds the length.
            request.MaxTokens ??= request.Bars is null && request.Seconds is null ? Math.Min(GenerationOptions.DefaultTokens, limit) : limit;

            GenerationSequence sequence;
            try
            {
                sequence = version.Model.CreateSequence(request);
            }
            catch (Exception ex)
            {
                // Typed: invalid options are a 400 keyed by field, a bad primer or input limit a 400 on primer, out of memory a 503, ...
                return (null, Problems.Result(ctx, Problems.From(ex, options, input: true), options));
            }

            try
            {
                var job = scheduler.Submit(version, sequence, ctx.RequestAborted);
                owned = false; // the job holds the reference now
                ctx.Features.Set(job); // for the request's log line (RequestLogMiddleware)
                return (new Prepared(job, body.Format), null);
            }
            catch (Exception ex) when (ex is QueueFullException or ServiceStoppingException)
            {
                return (null, Problems.Result(ctx, Problems.From(ex, options), options));
            }
        }
        finally
        {
            if (owned) version.Release();
        }
    }

    private static async Task<(GenerateBody?, IResult?)> ReadRequestAsync(HttpContext ctx, ServerOptions options)
    {
        var req = ctx.Request;
        if (req.ContentLength is { } len && len > options.MaxRequestBodyBytes)
            return (null, TooLarge(options));
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        try
        {
            if (req.HasFormContentType)
            {
                var form = await req.ReadFormAsync(ctx.RequestAborted);
                var fromForm = GenerateBody.FromForm(form, errors);
                return errors.Count > 0 ? (null, TypedResults.Problem(Problems.Validation(errors))) : (fromForm, null);
            }
            if (req.ContentLength == 0 || (req.ContentLength is null && !req.Headers.ContainsKey(HeaderNames.TransferEncoding)))
                return (new GenerateBody(), null);
            if (!req.HasJsonContentType())
                return (null, TypedResults.Problem(statusCode: 415, title: "Unsupported media type", detail: "send application/json or multipart/form-data"));
            using var doc = await JsonDocument.ParseAsync(req.Body, new JsonDocumentOptions { MaxDepth = 16 }, ctx.RequestAborted);
            var body = GenerateBody.FromJson(doc.RootElement, errors);
            return errors.Count > 0 ? (null, TypedResults.Problem(Problems.Validation(errors))) : (body, null);
        }
        catch (JsonException ex)
        {
            var where = ex.LineNumber is { } line ? $" (line {line + 1}, byte {ex.BytePositionInLine + 1})" : "";
            return (null, TypedResults.Problem(Problems.Field("body", $"the body is not valid JSON{where}")));
        }
        catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return (null, TooLarge(options));
        }
        catch (Exception ex) when (ctx.RequestAborted.IsCancellationRequested || ex is BadHttpRequestException or IOException)
        {
            // The client went away or stopped sending mid-body: nothing to log as a server error.
            return (null, TypedResults.Problem(Problems.Field("body", "the request body ended before it was complete")));
        }
        catch (InvalidDataException ex)
        {
            return (null, TypedResults.Problem(Problems.Field("body", ex.Message)));
        }
    }

    /// <summary>The 413 for a body over <see cref="ServerOptions.MaxRequestBodyBytes"/>.</summary>
    internal static ProblemHttpResult TooLarge(ServerOptions options) =>
        TypedResults.Problem(statusCode: 413, title: "Request body too large", detail: $"the body limit is {options.MaxRequestBodyBytes} bytes");


}
