using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;
using MusicGen.Core.Midi;
using MusicGen.Inference;
using MusicGen.Inference.Telemetry;
using MusicGen.Server.Audio;
using MusicGen.Server.Engine;
using MusicGen.Server.Models;
using MusicGen.Server.Scheduling;

namespace MusicGen.Server.Api;

/// <summary>The HTTP surface: generation (whole file or streamed), model listing and activation, health.</summary>
internal static class GenerateEndpoints
{
    public const string RateLimitPolicy = "generate";
    public const string TimeoutPolicy = "generate";

    internal static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { TypeInfoResolver = new System.Text.Json.Serialization.Metadata.DefaultJsonTypeInfoResolver() };

    public static void MapMusicGenApi(this WebApplication app)
    {
        var v1 = app.MapGroup("/v1").WithTags("v1");

        v1.MapGet("/models", (ModelRegistry registry) => TypedResults.Ok(new ModelsResponse(registry.DefaultModel, registry.List(), registry.Rejected)))
            .WithName("ListModels").WithSummary("Models, their versions and states, and rejected packages.");

        v1.MapPost("/models/{name}/activate", ActivateAsync)
            .Produces<ModelInfo>().ProducesValidationProblem().ProducesProblem(StatusCodes.Status404NotFound).ProducesValidationProblem(StatusCodes.Status422UnprocessableEntity)
            .WithName("ActivateModelVersion").WithSummary("Makes a version the active one of its model (rollback); loads it if needed.");

        v1.MapGet("/options", () => TypedResults.Json(GenerationOptions.All.Select(OptionView.Of), Json))
            .Produces<OptionView[]>()
            .WithName("ListOptions").WithSummary("Every generation option: name, CLI flag, kind, default, limits and description (the page builds its controls from it).");

        v1.MapPost("/generate", GenerateAsync)
            .Accepts<GenerateRequest>("application/json", "multipart/form-data")
            .Produces(StatusCodes.Status200OK, contentType: "audio/midi")
            .Produces(StatusCodes.Status200OK, contentType: "audio/wav", additionalContentTypes: ["audio/flac"])
            // Declared last: the generator keeps the last answer type per status (a named schema); OpenApiSetup adds the others in order.
            .Produces<GenerateResponse>(StatusCodes.Status200OK, "application/json")
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status429TooManyRequests)
            .ProducesProblem(StatusCodes.Status501NotImplemented)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable)
            .ProducesProblem(StatusCodes.Status504GatewayTimeout)
            .WithName("Generate").WithSummary("Generates music; answers a MIDI file, audio for format=wav|flac (FluidSynth), or JSON with notes, tokens and timing for Accept: application/json.")
            .RequireRateLimiting(RateLimitPolicy).WithRequestTimeout(TimeoutPolicy);

        v1.MapPost("/generate/stream", StreamAsync)
            .Accepts<GenerateRequest>("application/json", "multipart/form-data")
            .Produces(StatusCodes.Status200OK, contentType: "text/event-stream")
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status429TooManyRequests)
            .WithName("GenerateStream").WithSummary("Server-Sent Events: 'start', then 'token' and 'note' events as they are made, then 'done' with the MIDI (base64).")
            .RequireRateLimiting(RateLimitPolicy).WithRequestTimeout(TimeoutPolicy);

        v1.MapAudioStatus();
        v1.MapRender();

        app.MapGet("/healthz", () => TypedResults.Ok(new HealthResponse("ok"))).WithName("Health").WithTags("health");
        app.MapGet("/readyz", Results<Ok<ReadyResponse>, ProblemHttpResult> (ModelRegistry registry) =>
            registry.IsReady
                ? TypedResults.Ok(new ReadyResponse("ready", registry.DefaultModel))
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

    private static async Task<IResult> GenerateAsync(HttpContext ctx, ModelRegistry registry, GenerationScheduler scheduler, AudioRendering audio, IOptions<ServerOptions> options)
    {
        var (prepared, problem) = await RequestPreparation.PrepareAsync(ctx, registry, scheduler, options.Value, audio);
        if (problem is not null) return problem;
        using var job = prepared!.Job;
        var (result, error) = await job.EndAsync();
        if (error is not null)
        {
            if (error is OperationCanceledException && ctx.RequestAborted.IsCancellationRequested)
                return Results.Empty; // the client went away; its slot is already free
            return Problems.Result(ctx, Problems.From(error, options.Value), options.Value);
        }

        var r = result!;
        var tokenizer = job.Version.Model.Tokenizer;
        var generated = r.Tokens[r.PromptTokenCount..];
        ctx.Response.Headers["X-MusicGen-Model"] = job.Version.Name;
        ctx.Response.Headers["X-MusicGen-Version"] = job.Version.Version;
        ctx.Response.Headers["X-MusicGen-Seed"] = r.Seed.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var fileName = $"musicgen-{job.Version.Name}-{r.Seed}";

        // format=wav|flac: the finished MIDI, rendered off the decode loop (the job has ended; its slot is free).
        if (prepared.Format is { } format) return await AudioAnswers.RenderAsync(ctx, audio, MidiFile.Read(r.Midi), format, fileName, "format");

        if (WantsJson(ctx.Request))
        {
            var names = new string[generated.Length];
            for (var i = 0; i < names.Length; i++) names[i] = tokenizer.TokenName(generated[i]);
            return TypedResults.Json(new GenerateResponse(job.Version.Name, job.Version.Version, r.Seed, r.StopReason.ToFinishReason(),
                r.PromptTokenCount, generated, names, r.Score.TicksPerQuarter, NoteViews.From(r.Score),
                Convert.ToBase64String(r.Midi), Timing(r.Timing), r.PrimerRepairs), Json);
        }
        return TypedResults.File(r.Midi, "audio/midi", fileName + ".mid");
    }

    private static async Task StreamAsync(HttpContext ctx, ModelRegistry registry, GenerationScheduler scheduler, IOptions<ServerOptions> options)
    {
        var (prepared, problem) = await RequestPreparation.PrepareAsync(ctx, registry, scheduler, options.Value);
        if (problem is not null)
        {
            await problem.ExecuteAsync(ctx);
            return;
        }
        using var job = prepared!.Job;
        var tokenizer = job.Version.Model.Tokenizer;
        var sequence = job.Job.Sequence;
        var prompt = sequence.Tokens[..sequence.PromptLength].ToArray();
        var response = ctx.Response;
        response.ContentType = "text/event-stream";
        response.Headers.CacheControl = "no-cache";
        response.Headers["X-Accel-Buffering"] = "no";
        var aborted = ctx.RequestAborted;
        var notes = new NoteStream(sequence);
        try
        {
            await WriteEventAsync(response, "start", new { model = job.Version.Name, version = job.Version.Version, seed = sequence.Seed, primerTokens = prompt.Length }, aborted);
            var reader = job.Job.Tokens;
            var index = 0;
            await foreach (var token in reader.ReadAllAsync(aborted))
            {
                await WriteEventAsync(response, "token", new { index = index++, id = token, name = tokenizer.TokenName(token) }, aborted, flush: false);
                // When tokens arrive faster than they are sent, they go out together.
                var caughtUp = reader.Count == 0;
                var final = notes.Add(token, caughtUp);
                foreach (var n in final) await WriteEventAsync(response, "note", NoteViews.Of(n), aborted, flush: false);
                if (caughtUp || final.Count > 0) await response.Body.FlushAsync(aborted);
            }
        }
        catch (OperationCanceledException) when (aborted.IsCancellationRequested)
        {
            // Client gone: the job's token is linked to RequestAborted, the loop frees the slot within one step.
        }
        catch (Exception)
        {
            // The job failed: its error is answered below, from its completion.
        }
        var (result, error) = await job.EndAsync(); // it always ends; the version reference is given back after
        if (aborted.IsCancellationRequested) return;
        try
        {
            if (error is not null)
            {
                await WriteEventAsync(response, "error", Problems.From(error, options.Value), CancellationToken.None);
                return;
            }
            var r = result!;
            // The notes not sent yet (the one rule: each note once, when final), then the whole piece.
            foreach (var n in notes.Finish(r.Score)) await WriteEventAsync(response, "note", NoteViews.Of(n), aborted, flush: false);
            await WriteEventAsync(response, "done", new
            {
                model = job.Version.Name, version = job.Version.Version, seed = r.Seed, finishReason = r.StopReason.ToFinishReason(),
                tokens = r.Tokens.Length - r.PromptTokenCount, ticksPerQuarter = r.Score.TicksPerQuarter, notes = NoteViews.From(r.Score),
                midi = Convert.ToBase64String(r.Midi), timing = Timing(r.Timing), primerRepairs = r.PrimerRepairs,
            }, aborted);
        }
        catch (Exception) when (aborted.IsCancellationRequested)
        {
        }
    }

    private static bool WantsJson(HttpRequest request)
    {
        foreach (var a in request.GetTypedHeaders().Accept)
            if (a.MediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase)) return true;
        return false;
    }

    private static TimingView Timing(GenerationTiming t) =>
        new(t.Queued.TotalSeconds, (t.Queued + t.Prefill).TotalSeconds, t.Total.TotalSeconds, t.TokensPerSecond);

    private static async Task WriteEventAsync<T>(HttpResponse response, string name, T data, CancellationToken cancel, bool flush = true)
    {
        var sb = new StringBuilder();
        sb.Append("event: ").Append(name).Append('\n').Append("data: ").Append(JsonSerializer.Serialize(data, Json)).Append("\n\n");
        await response.WriteAsync(sb.ToString(), cancel);
        if (flush) await response.Body.FlushAsync(cancel);
    }

}

/// <summary>Body of <c>POST /v1/models/{name}/activate</c>.</summary>
/// <param name="Version">The version to make active, as its package names it.</param>
public sealed record ActivateRequest(string? Version);

/// <summary>Answer of <c>GET /healthz</c>: the process is up.</summary>
/// <param name="Status">Always <c>ok</c>.</param>
internal sealed record HealthResponse(string Status);

/// <summary>Answer of <c>GET /readyz</c> when the default model is loaded and warmed up.</summary>
/// <param name="Status">Always <c>ready</c>.</param>
/// <param name="Model">The default model's name.</param>
internal sealed record ReadyResponse(string Status, string? Model);

/// <summary>Answer of <c>GET /v1/models</c>.</summary>
/// <param name="DefaultModel">The model a request that names none gets.</param>
/// <param name="Models">Every model name, with its active version and all versions known.</param>
/// <param name="Rejected">Package folders that were refused, and why.</param>
internal sealed record ModelsResponse(string? DefaultModel, IReadOnlyList<ModelInfo> Models, IReadOnlyList<RejectedPackage> Rejected);

/// <summary>Where the time of one generation went.</summary>
/// <param name="QueueSeconds">Seconds waiting for a batch slot.</param>
/// <param name="TimeToFirstTokenSeconds">Seconds from arrival to the first generated token (queue wait and prefill).</param>
/// <param name="TotalSeconds">Seconds from arrival to the last token.</param>
/// <param name="TokensPerSecond">Generated tokens per second after the queue wait.</param>
internal sealed record TimingView(double QueueSeconds, double TimeToFirstTokenSeconds, double TotalSeconds, double TokensPerSecond);

/// <summary>Answer of <c>POST /v1/generate</c> with <c>Accept: application/json</c>.</summary>
/// <param name="Model">The model that wrote the piece.</param>
/// <param name="Version">Its version.</param>
/// <param name="Seed">The seed used: send it back to get the same piece.</param>
/// <param name="FinishReason">Why generation stopped: <c>max_tokens</c>, <c>eos</c>, <c>bars</c>, <c>seconds</c> or <c>context</c>.</param>
/// <param name="PrimerTokens">Tokens of the prompt (start token, primer, prefix) before the generated ones.</param>
/// <param name="Tokens">The generated token ids.</param>
/// <param name="TokenNames">The generated tokens by name (e.g. <c>Pitch_60</c>).</param>
/// <param name="TicksPerQuarter">Time resolution of the note ticks.</param>
/// <param name="Notes">Every note of the piece (primer included), by start then pitch.</param>
/// <param name="Midi">The piece as a Standard MIDI File, base64 encoded.</param>
/// <param name="Timing">Where the time went.</param>
/// <param name="PrimerRepairs">What lenient primer reading repaired (empty unless <c>lenientPrimer</c>).</param>
internal sealed record GenerateResponse(
    string Model, string Version, long Seed, string FinishReason, int PrimerTokens, int[] Tokens, string[] TokenNames,
    int TicksPerQuarter, List<NoteView> Notes, string Midi, TimingView Timing, IReadOnlyList<string> PrimerRepairs);

/// <summary>One generation option as <c>GET /v1/options</c> lists it (from <see cref="GenerationOptions.All"/>).</summary>
/// <param name="Name">The JSON and form field, e.g. <c>topP</c>.</param>
/// <param name="Flag">The CLI flag, e.g. <c>--top-p</c>.</param>
/// <param name="Kind">integer, number, boolean, text, textlist (token names), tokenbias (name to number) or midi (base64 in JSON, a file in a form).</param>
/// <param name="Description">What it does.</param>
/// <param name="Default">The value when not given (null: none, the option is off).</param>
/// <param name="Example">A typical value.</param>
/// <param name="Minimum">Smallest value allowed (numbers).</param>
/// <param name="Maximum">Largest value allowed (numbers).</param>
/// <param name="MinimumExclusive">The minimum itself is not allowed.</param>
/// <param name="MaximumExclusive">The maximum itself is not allowed.</param>
/// <param name="Range">The allowed range in words, e.g. <c>in (0, 1]</c>.</param>
internal sealed record OptionView(
    string Name, string Flag, string Kind, string Description, object? Default, object? Example, double? Minimum, double? Maximum,
    bool MinimumExclusive, bool MaximumExclusive, string? Range)
{
    public static OptionView Of(GenerationOption o) =>
        new(o.Name, o.Flag, o.Kind.ToString().ToLowerInvariant(), o.Description, o.Default, o.Example, o.Minimum, o.Maximum,
            o.MinimumExclusive, o.MaximumExclusive, o.RangeText);
}
