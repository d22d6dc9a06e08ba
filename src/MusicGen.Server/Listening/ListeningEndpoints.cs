using System.Text.Json;
using System.Text.Json.Serialization;
using MusicGen.Listening;
using MusicGen.Server.Api;
using MusicGen.Server.Scheduling;

namespace MusicGen.Server.Listening;

/// <summary>Body of <c>POST /v1/listening/sessions</c>.</summary>
/// <param name="Listener">A name or code for the listener, kept with the answers (optional).</param>
public sealed record StartSessionRequest(string? Listener);

/// <summary>Answer of <c>POST /v1/listening/sessions</c>: the session and its pairs' opaque ids, in order.</summary>
/// <param name="Session">The session's opaque id.</param>
/// <param name="Listener">The listener's name or code as kept.</param>
/// <param name="ExcerptSeconds">Seconds each clip lasts.</param>
/// <param name="Pairs">The pairs' opaque ids, in the order to play them.</param>
public sealed record StartSessionResponse(string Session, string Listener, double ExcerptSeconds, IReadOnlyList<string> Pairs);

/// <summary>Body of <c>POST /v1/listening/pairs/{pair}/answer</c>: the clip the listener thinks is real.</summary>
/// <param name="Choice">The clip the listener thinks is the real one: <c>A</c> or <c>B</c>.</param>
public sealed record AnswerRequest(string? Choice);

/// <summary>A session's progress; <see cref="Correct"/> only once every pair is answered.</summary>
/// <param name="Session">The session's opaque id.</param>
/// <param name="Pairs">Pairs in the session.</param>
/// <param name="Answered">Pairs answered so far.</param>
/// <param name="Finished">True once every pair is answered.</param>
/// <param name="Correct">Pairs where the real clip was picked (only once finished).</param>
public sealed record ProgressResponse(string Session, int Pairs, int Answered, bool Finished, int? Correct);

/// <summary>Answer of <c>GET /v1/listening</c>: the shape of a session.</summary>
/// <param name="PairsPerSession">Pairs each session plays.</param>
/// <param name="ExcerptSeconds">Seconds each clip lasts.</param>
/// <param name="Formats">Formats the pair endpoint can answer in (<c>?format=</c>).</param>
public sealed record ListeningInfoResponse(int PairsPerSession, double ExcerptSeconds, IReadOnlyCollection<string> Formats);

/// <summary>
/// <c>/v1/listening</c>: start a session, fetch a pair's clips (the one endpoint that carries music, never cached,
/// never a file name), answer, and see progress. Every answer about the real clip stays server-side until stored.
/// </summary>
internal static class ListeningEndpoints
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull };

    public static void Map(WebApplication app)
    {
        var g = app.MapGroup("/v1/listening").WithTags("listening");
        g.MapGet("", IResult (ListeningTest t) => t.Service is { } s
                ? Results.Ok(new ListeningInfoResponse(s.Options.PairsPerSession, s.Options.ExcerptSeconds, s.Formats))
                : NotConfigured())
            .Produces<ListeningInfoResponse>().ProducesProblem(StatusCodes.Status404NotFound)
            .WithName("ListeningInfo").WithSummary("Whether the listening test is configured, and its session shape.");

        g.MapPost("/sessions", async Task<IResult> (StartSessionRequest? body, ListeningTest t, CancellationToken cancel) =>
            {
                if (t.Service is not { } s) return NotConfigured();
                if (body?.Listener is { Length: > ListeningService.MaxListenerLength * 4 })
                    return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["listener"] = [$"listener is too long (at most {ListeningService.MaxListenerLength} characters are kept)"] });
                var (session, pairs) = await s.StartAsync(body?.Listener, cancel);
                return TypedResults.Json(new StartSessionResponse(session.Id, session.Listener, session.ExcerptSeconds, [.. pairs.Select(p => p.Id)]), Json, statusCode: 201);
            })
            .Produces<StartSessionResponse>(StatusCodes.Status201Created).ProducesValidationProblem().ProducesProblem(StatusCodes.Status404NotFound)
            .WithName("StartListeningSession").WithSummary("Starts a blind listening session: a seeded assignment of real and generated pairs.");

        g.MapGet("/sessions/{session}", async Task<IResult> (string session, ListeningTest t, CancellationToken cancel) =>
            {
                if (t.Service is not { } s) return NotConfigured();
                if (await s.ProgressAsync(session, cancel) is not { } p) return TypedResults.Problem(statusCode: 404, title: "Unknown session", detail: "no listening session has this id");
                return TypedResults.Json(new ProgressResponse(p.SessionId, p.Pairs, p.Answered, p.Finished, p.Finished ? p.Correct : null), Json);
            })
            .Produces<ProgressResponse>().ProducesProblem(StatusCodes.Status404NotFound)
            .WithName("ListeningSessionProgress").WithSummary("Pairs answered so far; the number picked correctly once the session is finished.");

        g.MapGet("/pairs/{pair}", ClipsAsync)
            .Produces<PairClips>().ProducesValidationProblem().ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status410Gone)
            .ProducesProblem(StatusCodes.Status429TooManyRequests).ProducesProblem(StatusCodes.Status503ServiceUnavailable).ProducesProblem(StatusCodes.Status504GatewayTimeout)
            .WithName("ListeningPairClips").WithSummary("The two clips of a pair (A and B) as note events (format=notes); not cached, no file names.")
            .RequireRateLimiting(GenerateEndpoints.RateLimitPolicy).WithRequestTimeout(GenerateEndpoints.TimeoutPolicy);

        g.MapPost("/pairs/{pair}/answer", async Task<IResult> (string pair, AnswerRequest? body, ListeningTest t, CancellationToken cancel) =>
            {
                if (t.Service is not { } s) return NotConfigured();
                var choice = body?.Choice?.Trim().ToUpperInvariant();
                if (choice is not ("A" or "B"))
                    return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["choice"] = ["choice must be \"A\" or \"B\" (the clip you think is real)"] });
                var outcome = await s.AnswerAsync(pair, choice[0], cancel);
                return outcome switch
                {
                    AnswerOutcome.Stored => await ProgressAsync(s, pair, cancel),
                    AnswerOutcome.UnknownPair => TypedResults.Problem(statusCode: 404, title: "Unknown pair", detail: "no listening pair has this id"),
                    AnswerOutcome.NotServed => TypedResults.Problem(statusCode: 409, title: "Not played yet", detail: "fetch the pair's clips before answering"),
                    _ => TypedResults.Problem(statusCode: 409, title: "Already answered", detail: "this pair already has an answer; answers are final"),
                };
            })
            .Produces<ProgressResponse>().ProducesValidationProblem().ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict)
            .WithName("AnswerListeningPair").WithSummary("Stores which clip the listener thinks is real; answers are final.");
    }

    private static async Task<IResult> ClipsAsync(string pair, string? format, HttpContext ctx, ListeningTest t, CancellationToken cancel)
    {
        ctx.Response.Headers.CacheControl = "no-store";
        if (t.Service is not { } s) return NotConfigured();
        try
        {
            var (clips, problem) = await s.ClipsAsync(pair, format ?? NoteEventRenderer.Name, cancel);
            return problem switch
            {
                PairProblem.None => TypedResults.Json(clips, Json),
                PairProblem.UnknownFormat => TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["format"] = [$"unknown format '{format}'; known: {string.Join(", ", s.Formats)}"] }),
                PairProblem.UnknownPair => TypedResults.Problem(statusCode: 404, title: "Unknown pair", detail: "no listening pair has this id"),
                _ => TypedResults.Problem(statusCode: 410, title: "Already answered", detail: "this pair has been answered; its clips are no longer served"),
            };
        }
        catch (ModelUnavailableException ex)
        {
            return TypedResults.Problem(statusCode: 503, title: "Model not loaded", detail: ex.Message);
        }
        catch (QueueFullException ex)
        {
            return TypedResults.Problem(statusCode: 429, title: "Too many requests", detail: ex.Message);
        }
        catch (DeadlineExceededException ex)
        {
            return TypedResults.Problem(statusCode: 504, title: "Deadline exceeded", detail: ex.Message);
        }
    }

    private static async Task<IResult> ProgressAsync(ListeningService s, string pair, CancellationToken cancel)
    {
        var session = await s.SessionOfAsync(pair, cancel);
        var p = session is null ? null : await s.ProgressAsync(session, cancel);
        return p is null
            ? TypedResults.Problem(statusCode: 404, title: "Unknown session")
            : TypedResults.Json(new ProgressResponse(p.SessionId, p.Pairs, p.Answered, p.Finished, p.Finished ? p.Correct : null), Json);
    }

    private static IResult NotConfigured() => TypedResults.Problem(statusCode: 404, title: "Listening test not configured",
        detail: $"set {ListeningOptions.Section}:RealMidiPath, :Models and :DatabasePath to run the blind listening test");
}
