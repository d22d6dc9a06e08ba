using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;
using MusicGen.Inference;
using MusicGen.Server.Engine;
using MusicGen.Server.Models;
using MusicGen.Server.Scheduling;

namespace MusicGen.Server.Api;

/// <summary>The HTTP surface: generation (whole file or streamed), model listing and activation, health.</summary>
internal static class GenerateEndpoints
{
    public const string RateLimitPolicy = "generate";
    public const string TimeoutPolicy = "generate";

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { TypeInfoResolver = new System.Text.Json.Serialization.Metadata.DefaultJsonTypeInfoResolver() };

    public static void MapMusicGenApi(this WebApplication app)
    {
        var v1 = app.MapGroup("/v1").WithTags("v1");

        v1.MapGet("/models", (ModelRegistry registry) => TypedResults.Ok(new ModelsResponse(registry.DefaultModel, registry.List(), registry.Rejected)))
            .WithName("ListModels").WithSummary("Models, their versions and states, and rejected packages.");

        v1.MapPost("/models/{name}/activate", ActivateAsync)
            .WithName("ActivateModelVersion").WithSummary("Makes a version the active one of its model (rollback); loads it if needed.");

        v1.MapPost("/generate", GenerateAsync)
            .Accepts<GenerateRequest>("application/json", "multipart/form-data")
            .Produces(StatusCodes.Status200OK, contentType: "audio/midi")
            .Produces<GenerateResponse>(StatusCodes.Status200OK, "application/json")
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status429TooManyRequests)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable)
            .ProducesProblem(StatusCodes.Status504GatewayTimeout)
            .WithName("Generate").WithSummary("Generates music; answers a MIDI file, or JSON with notes, tokens and timing for Accept: application/json.")
            .RequireRateLimiting(RateLimitPolicy).WithRequestTimeout(TimeoutPolicy);

        v1.MapPost("/generate/stream", StreamAsync)
            .Accepts<GenerateRequest>("application/json", "multipart/form-data")
            .Produces(StatusCodes.Status200OK, contentType: "text/event-stream")
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status429TooManyRequests)
            .WithName("GenerateStream").WithSummary("Server-Sent Events: 'start', then 'token' and 'note' events as they are made, then 'done' with the MIDI (base64).")
            .RequireRateLimiting(RateLimitPolicy).WithRequestTimeout(TimeoutPolicy);

        app.MapGet("/healthz", () => TypedResults.Ok(new { status = "ok" })).WithName("Health").WithTags("health");
        app.MapGet("/readyz", Results<Ok<object>, ProblemHttpResult> (ModelRegistry registry) =>
            registry.IsReady
                ? TypedResults.Ok<object>(new { status = "ready", model = registry.DefaultModel })
                : TypedResults.Problem(
                    detail: registry.DefaultModel is null ? "no model is loaded yet" : $"the default model '{registry.DefaultModel}' is not loaded and warmed up yet",
                    statusCode: StatusCodes.Status503ServiceUnavailable, title: "Not ready"))
            .WithName("Ready").WithTags("health");
    }

    private static async Task<IResult> ActivateAsync(string name, ActivateRequest? body, ModelRegistry registry, CancellationToken cancel)
    {
        if (string.IsNullOrWhiteSpace(body?.Version))
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["version"] = ["version is required, e.g. {\"version\": \"1\"}"] });
        var (outcome, error) = await registry.ActivateAsync(name, body.Version, cancel);
        return outcome switch
        {
            ActivationOutcome.Activated => TypedResults.Ok(registry.List().First(m => m.Name == name)),
            ActivationOutcome.UnknownModel => TypedResults.Problem(statusCode: 404, title: "Unknown model", detail: $"no model named '{name}'",
                extensions: new Dictionary<string, object?> { ["field"] = "name" }),
            ActivationOutcome.UnknownVersion => TypedResults.Problem(new HttpValidationProblemDetails(
                new Dictionary<string, string[]> { ["version"] = [$"model '{name}' has no version '{body.Version}' loaded or on disk"] })
            { Status = 404, Title = "Unknown version" }),
            _ => TypedResults.Problem(new HttpValidationProblemDetails(
                new Dictionary<string, string[]> { ["version"] = [$"version '{body.Version}' of '{name}' failed to load: {error}"] })
            { Status = 422, Title = "Package rejected" }),
        };
    }

    private static async Task<IResult> GenerateAsync(HttpContext ctx, ModelRegistry registry, GenerationScheduler scheduler, IOptions<ServerOptions> options)
    {
        var (prepared, problem) = await PrepareAsync(ctx, registry, scheduler, options.Value);
        if (problem is not null) return problem;
        using var job = prepared!.Job;
        JobResult result;
        GenerationResult generated;
        try
        {
            result = await job.Completion.Task;
            generated = prepared.Version.Runtime.Finish(job.Sequence); // decode + MIDI, on this request's thread
        }
        catch (OperationCanceledException) when (ctx.RequestAborted.IsCancellationRequested)
        {
            return Results.Empty; // the client went away; its slot is already free
        }
        catch (Exception ex)
        {
            return Problems.Result(ctx, Problems.From(ex, options.Value), options.Value);
        }

        var runtime = prepared.Version.Runtime;
        var score = generated.Score;
        var midi = generated.Midi;
        ctx.Response.Headers["X-MusicGen-Model"] = result.Model;
        ctx.Response.Headers["X-MusicGen-Version"] = result.Version;
        ctx.Response.Headers["X-MusicGen-Seed"] = prepared.Seed.ToString(System.Globalization.CultureInfo.InvariantCulture);

        if (WantsJson(ctx.Request))
        {
            var names = new string[result.Tokens.Length];
            for (var i = 0; i < names.Length; i++) names[i] = runtime.TokenName(result.Tokens[i]);
            return TypedResults.Json(new GenerateResponse(result.Model, result.Version, prepared.Seed, result.FinishReason,
                prepared.Prompt.Length, result.Tokens, names, score.TicksPerQuarter, NoteViews.From(score),
                Convert.ToBase64String(midi), Timing(result)), Json);
        }
        return TypedResults.File(midi, "audio/midi", $"musicgen-{result.Model}-{prepared.Seed}.mid");
    }

    private static async Task StreamAsync(HttpContext ctx, ModelRegistry registry, GenerationScheduler scheduler, IOptions<ServerOptions> options)
    {
        var (prepared, problem) = await PrepareAsync(ctx, registry, scheduler, options.Value);
        if (problem is not null)
        {
            await problem.ExecuteAsync(ctx);
            return;
        }
        using var job = prepared!.Job;
        var runtime = prepared.Version.Runtime;
        var response = ctx.Response;
        response.ContentType = "text/event-stream";
        response.Headers.CacheControl = "no-cache";
        response.Headers["X-Accel-Buffering"] = "no";
        var aborted = ctx.RequestAborted;
        try
        {
            await WriteEventAsync(response, "start", new { model = prepared.Version.Name, version = prepared.Version.Version, seed = prepared.Seed, primerTokens = prepared.Prompt.Length }, aborted);

            var tokens = new List<int>(prepared.Prompt);
            var sent = new HashSet<(int, int, int, long)>();
            var index = 0;
            var decodedAt = 0;
            await foreach (var token in job.Tokens.Reader.ReadAllAsync(aborted))
            {
                tokens.Add(token);
                await WriteEventAsync(response, "token", new { index = index++, id = token, name = runtime.TokenName(token) }, aborted, flush: false);
                // Notes as they appear: decode the prefix and send the notes not sent yet. The prefix is decoded
                // again at growing intervals (every token at first, every ~3% of the length later), so a long
                // stream costs O(n log n) decoding, not O(n^2).
                // When tokens arrive faster than they are sent, they go out together (and notes every 16 tokens).
                var idle = job.Tokens.Reader.Count == 0;
                var since = index - decodedAt;
                var decode = since >= Math.Max(1, index / 32) && (idle || since >= 16);
                if (decode)
                {
                    decodedAt = index;
                    foreach (var n in NoteViews.From(runtime.Decode(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(tokens))))
                        if (sent.Add((n.Track, n.Channel, n.Pitch, n.StartTick)))
                            await WriteEventAsync(response, "note", n, aborted, flush: false);
                }
                if (idle || decode) await response.Body.FlushAsync(aborted);
            }
            var result = await job.Completion.Task;
            var generated = runtime.Finish(job.Sequence);
            var score = generated.Score;
            var midi = generated.Midi;
            await WriteEventAsync(response, "done", new
            {
                model = result.Model, version = result.Version, seed = prepared.Seed, finishReason = result.FinishReason,
                tokens = result.Tokens.Length, ticksPerQuarter = score.TicksPerQuarter, notes = NoteViews.From(score),
                midi = Convert.ToBase64String(midi), timing = Timing(result),
            }, aborted);
        }
        catch (OperationCanceledException) when (aborted.IsCancellationRequested)
        {
            // Client gone: the job's token is linked to RequestAborted, the scheduler frees the slot within one step.
        }
        catch (Exception ex)
        {
            var failure = Problems.From(ex, options.Value);
            try { await WriteEventAsync(response, "error", failure, CancellationToken.None); }
            catch (Exception) when (aborted.IsCancellationRequested) { }
        }
        finally
        {
            // Never dispose the job before the scheduler let go of it.
            try { await job.Completion.Task; } catch (Exception) { }
        }
    }

    private sealed record Prepared(GenerationJob Job, ModelVersion Version, int[] Prompt, long Seed);

    private static async Task<(Prepared?, IResult?)> PrepareAsync(HttpContext ctx, ModelRegistry registry, GenerationScheduler scheduler, ServerOptions options)
    {
        var (request, primerFile, problem) = await ReadRequestAsync(ctx, options);
        if (problem is not null) return (null, problem);
        var errors = RequestValidation.Validate(request!, options, out var sampling, out var seed, out var primer);
        primer ??= primerFile;

        var name = request!.Model ?? registry.DefaultModel;
        if (name is null)
            return (null, Unavailable("No model is loaded yet", "the models folder has no loaded package yet", options));
        var known = registry.List();
        if (!known.Any(m => m.Name == name))
            errors["model"] = [$"unknown model '{name}'; known: {(known.Count == 0 ? "(none)" : string.Join(", ", known.Select(m => m.Name)))}"];
        if (errors.Count > 0) return (null, TypedResults.Problem(Problems.Validation(errors)));

        ModelVersion? version;
        if (request.Version is { } pinned)
        {
            version = registry.FindLoaded(name, pinned);
            if (version is null || !version.TryAcquire())
                return (null, TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["version"] = [$"version '{pinned}' of '{name}' is not loaded (activate it first)"] }));
        }
        else
        {
            version = registry.AcquireActive(name);
            if (version is null) return (null, Unavailable("Model not loaded", $"model '{name}' has no active version yet", options));
        }

        var owned = true;
        try
        {
            var d = version.Description;
            var limit = Math.Min(options.MaxTokens, d.ContextLength);
            if (request.Tokens is { } t && t >= d.ContextLength)
                return (null, TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["tokens"] = [$"tokens = {t} does not fit: model '{name}' has a context of {d.ContextLength} tokens (prompt included)"] }, title: "Invalid generation request"));
            var maxTokens = request.Tokens ?? (request.Bars is null && request.Seconds is null ? Math.Min(RequestValidation.DefaultTokens, limit) : limit);

            Dictionary<int, float>? bias = null;
            if (request.TokenBias is { Count: > 0 })
            {
                bias = [];
                foreach (var (key, value) in request.TokenBias)
                {
                    int? id = int.TryParse(key, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var n) ? n : version.Runtime.TokenId(key);
                    if (id is null || id < 0 || id >= d.VocabularySize || !float.IsFinite(value))
                        return (null, TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["tokenBias"] = [$"tokenBias: '{key}' = {value} is not a token of model '{name}' with a finite bias"] }, title: "Invalid generation request"));
                    bias[id.Value] = value <= -1000 ? float.NegativeInfinity : value;
                }
            }

            IDecodeSequence sequence;
            try
            {
                sequence = version.Runtime.CreateSequence(new GenerationSpec(sampling!, maxTokens, request.Bars, request.Seconds, seed, primer, bias));
            }
            catch (Exception ex)
            {
                // Typed: a bad primer or input limit is a 400 naming the field, out of memory a 503, ...
                return (null, Problems.Result(ctx, Problems.From(ex, options, input: true), options));
            }

            var job = new GenerationJob(version, sequence, options.RequestDeadline, ctx.RequestAborted);
            try
            {
                scheduler.Submit(job);
            }
            catch (Exception ex) when (ex is QueueFullException or ServiceStoppingException)
            {
                job.Dispose();
                return (null, Problems.Result(ctx, Problems.From(ex, options), options));
            }
            owned = false; // the job holds the reference now
            return (new Prepared(job, version, sequence.Prompt, seed), null);
        }
        finally
        {
            if (owned) version.Release();
        }
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

    private static ProblemHttpResult Unavailable(string title, string detail, ServerOptions options) =>
        TypedResults.Problem(statusCode: 503, title: title, detail: detail,
            extensions: new Dictionary<string, object?> { ["retryAfterSeconds"] = options.RetryAfterSeconds });

    private static bool WantsJson(HttpRequest request)
    {
        foreach (var a in request.GetTypedHeaders().Accept)
            if (a.MediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase)) return true;
        return false;
    }

    private static TimingView Timing(JobResult r)
    {
        var decode = r.TotalSeconds - r.QueueSeconds;
        return new TimingView(r.QueueSeconds, r.TimeToFirstTokenSeconds, r.TotalSeconds, decode > 0 ? r.Tokens.Length / decode : 0);
    }

    private static async Task WriteEventAsync<T>(HttpResponse response, string name, T data, CancellationToken cancel, bool flush = true)
    {
        var sb = new StringBuilder();
        sb.Append("event: ").Append(name).Append('\n').Append("data: ").Append(JsonSerializer.Serialize(data, Json)).Append("\n\n");
        await response.WriteAsync(sb.ToString(), cancel);
        if (flush) await response.Body.FlushAsync(cancel);
    }

}

/// <summary>Body of <c>POST /v1/models/{name}/activate</c>.</summary>
public sealed record ActivateRequest(string? Version);

internal sealed record ModelsResponse(string? DefaultModel, IReadOnlyList<ModelInfo> Models, IReadOnlyList<RejectedPackage> Rejected);

internal sealed record TimingView(double QueueSeconds, double TimeToFirstTokenSeconds, double TotalSeconds, double TokensPerSecond);

internal sealed record GenerateResponse(
    string Model, string Version, long Seed, string FinishReason, int PrimerTokens, int[] Tokens, string[] TokenNames,
    int TicksPerQuarter, List<NoteView> Notes, string Midi, TimingView Timing);
