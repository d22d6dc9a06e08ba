using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Net.Http.Headers;
using MusicGen.Inference;
using MusicGen.Server.Models;
using MusicGen.Server.Scheduling;

namespace MusicGen.Server.Api;

/// <summary>A submitted generation request.</summary>
internal sealed record Prepared(ServiceJob Job);

/// <summary>From an HTTP request to a submitted job: read the body strictly, validate, pick the model version, submit.</summary>
internal static class RequestPreparation
{
    private static readonly JsonSerializerOptions Json = GenerateEndpoints.Json;

    /// <summary>
    /// Reads, validates and submits a generation request: the job (holding its model version), or the problem to
    /// answer instead.
    /// </summary>
    public static async Task<(Prepared?, IResult?)> PrepareAsync(HttpContext ctx, ModelRegistry registry, GenerationScheduler scheduler, ServerOptions options)
    {
        var (request, primerFile, problem) = await ReadRequestAsync(ctx, options);
        if (problem is not null) return (null, problem);
        var errors = RequestValidation.Validate(request!, options, out var sampling, out var seed, out var primer);
        primer ??= primerFile;

        var name = request!.Model ?? registry.DefaultModel;
        if (name is null)
            return (null, Problems.Result(ctx, Problems.Unavailable("No model is loaded yet", "the models folder has no loaded package yet", options), options));
        var known = registry.List();
        if (!known.Any(m => m.Name == name))
            errors["model"] = [$"unknown model '{name}'; known: {(known.Count == 0 ? "(none)" : string.Join(", ", known.Select(m => m.Name)))}"];
        if (errors.Count > 0) return (null, TypedResults.Problem(Problems.Validation(errors)));

        ModelVersion? version;
        if (request.Version is { } pinned)
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
            if (request.Tokens is { } t && t >= d.ContextLength)
                return (null, TypedResults.Problem(Problems.Field("tokens", $"tokens = {t} does not fit: model '{name}' has a context of {d.ContextLength} tokens (prompt included)")));
            var maxTokens = request.Tokens ?? (request.Bars is null && request.Seconds is null ? Math.Min(RequestValidation.DefaultTokens, limit) : limit);

            Dictionary<int, float>? bias = null;
            if (request.TokenBias is { Count: > 0 })
            {
                bias = [];
                foreach (var (key, value) in request.TokenBias)
                {
                    int? id = int.TryParse(key, NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : TokenId(version.Model, key);
                    if (id is null || id < 0 || id >= d.VocabularySize || !float.IsFinite(value))
                        return (null, TypedResults.Problem(Problems.Field("tokenBias", $"tokenBias: '{key}' = {value} is not a token of model '{name}' with a finite bias")));
                    bias[id.Value] = value <= -1000 ? float.NegativeInfinity : value;
                }
            }

            sampling!.TokenBias = bias;
            GenerationSequence sequence;
            try
            {
                sequence = version.Model.CreateSequence(new GenerationRequest
                {
                    MaxTokens = maxTokens, Bars = request.Bars, Seconds = request.Seconds, Seed = seed, PrimerMidi = primer, Sampling = sampling,
                });
            }
            catch (Exception ex)
            {
                // Typed: a bad primer or input limit is a 400 naming the field, out of memory a 503, ...
                return (null, Problems.Result(ctx, Problems.From(ex, options, input: true), options));
            }

            try
            {
                var job = scheduler.Submit(version, sequence, ctx.RequestAborted);
                owned = false; // the job holds the reference now
                return (new Prepared(job), null);
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

    private static int? TokenId(MusicModel model, string name)
    {
        try { return model.Tokenizer.TokenId(name); }
        catch (KeyNotFoundException) { return null; }
    }

    private static async Task<(GenerateRequest?, byte[]?, IResult?)> ReadRequestAsync(HttpContext ctx, ServerOptions options)
    {
        var req = ctx.Request;
        if (req.ContentLength is { } len && len > options.MaxRequestBodyBytes)
            return (null, null, TooLarge(options));
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        try
        {
            if (req.HasFormContentType)
            {
                var form = await req.ReadFormAsync(ctx.RequestAborted);
                var r = RequestValidation.FromForm(form, errors, out var file);
                return errors.Count > 0 ? (null, null, TypedResults.Problem(Problems.Validation(errors))) : (r, file, null);
            }
            if (req.ContentLength == 0 || (req.ContentLength is null && !req.Headers.ContainsKey(HeaderNames.TransferEncoding)))
                return (new GenerateRequest(), null, null);
            if (!req.HasJsonContentType())
                return (null, null, TypedResults.Problem(statusCode: 415, title: "Unsupported media type", detail: "send application/json or multipart/form-data"));
            using var doc = await JsonDocument.ParseAsync(req.Body, new JsonDocumentOptions { MaxDepth = 16 }, ctx.RequestAborted);
            var body = StrictJson.Bind<GenerateRequest>(doc.RootElement, Json, errors);
            return body is null ? (null, null, TypedResults.Problem(Problems.Validation(errors))) : (body, null, null);
        }
        catch (JsonException ex)
        {
            var where = ex.LineNumber is { } line ? $" (line {line + 1}, byte {ex.BytePositionInLine + 1})" : "";
            return (null, null, TypedResults.Problem(Problems.Field("body", $"the body is not valid JSON{where}")));
        }
        catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return (null, null, TooLarge(options));
        }
        catch (Exception ex) when (ctx.RequestAborted.IsCancellationRequested || ex is BadHttpRequestException or IOException)
        {
            // The client went away or stopped sending mid-body: nothing to log as a server error.
            return (null, null, TypedResults.Problem(Problems.Field("body", "the request body ended before it was complete")));
        }
        catch (InvalidDataException ex)
        {
            return (null, null, TypedResults.Problem(Problems.Field("body", ex.Message)));
        }
    }

    private static ProblemHttpResult TooLarge(ServerOptions options) =>
        TypedResults.Problem(statusCode: 413, title: "Request body too large", detail: $"the body limit is {options.MaxRequestBodyBytes} bytes");


}
