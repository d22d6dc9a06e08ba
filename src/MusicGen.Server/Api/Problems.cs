using System.Globalization;
using MusicGen.Audio;
using MusicGen.Core.Limits;
using MusicGen.Inference.Errors;
using MusicGen.Server.Scheduling;

namespace MusicGen.Server.Api;

/// <summary>
/// The one mapping from an exception to the answer a client gets, by the exception's type (never its message):
/// bad input is a 400 naming the field, a resource limit of the machine a 503, the deadline a 504, the rest a 500.
/// </summary>
internal static class Problems
{
    public const string InvalidRequest = "Invalid generation request";

    /// <summary>A 400 with <c>errors</c> keyed by field.</summary>
    public static HttpValidationProblemDetails Validation(Dictionary<string, string[]> errors, string title = InvalidRequest) =>
        new(errors) { Status = StatusCodes.Status400BadRequest, Title = title };

    /// <summary>A 400 with one error for <paramref name="field"/>.</summary>
    public static HttpValidationProblemDetails Field(string field, string message, string title = InvalidRequest) =>
        Validation(new Dictionary<string, string[]>(StringComparer.Ordinal) { [field] = [message] }, title);

    /// <summary>
    /// The ProblemDetails for a failure of a generation request, chosen by the exception's type. With
    /// <paramref name="input"/> the exception came from reading the request (its primer, its fields): argument errors
    /// are then the client's (400); once the request is accepted, any failure but the deadline and resources is the
    /// server's (500).
    /// </summary>
    public static Microsoft.AspNetCore.Mvc.ProblemDetails From(Exception ex, ServerOptions options, bool input = false)
    {
        switch (ex)
        {
            case PrimerException p when input:
            {
                var problem = Field("primer", p.Message, "Invalid primer MIDI");
                if (p.Offset is { } offset) problem.Extensions["offset"] = offset;
                return problem;
            }
            case InputLimitExceededException l when input:
                return Limit("primer", l);
            case InvalidGenerationRequestException invalid when input:
                return Validation(invalid.Errors.ToDictionary(e => e.Key, e => new[] { e.Value }, StringComparer.Ordinal));
            case ArgumentException a when input:
                return Field(a.ParamName is { Length: > 0 } p2 && p2 != "request" ? p2 : "request", a.Message);
            case QueueFullException q:
                return Status(429, "Too many requests", $"{q.Message}; retry after {options.RetryAfterSeconds.ToString(CultureInfo.InvariantCulture)}s");
            case DeadlineExceededException d:
                return Status(504, "Deadline exceeded", d.Message);
            case OutOfMemoryException or InsufficientExecutionStackException:
                return Unavailable("Out of resources", $"the server ran out of {(ex is OutOfMemoryException ? "memory" : "stack")} for this request; try a smaller one or retry later", options);
            case ServiceStoppingException s:
                return Unavailable("Service stopping", s.Message, options);
            default:
                return Status(500, "Generation failed", ex.Message);
        }
    }

    /// <summary>
    /// A 501: this server cannot render <paramref name="format"/> (FluidSynth or the SoundFont is missing); the reason
    /// says which and what to install. MIDI answers still work.
    /// </summary>
    public static Microsoft.AspNetCore.Mvc.ProblemDetails AudioUnavailable(AudioFormat format, string reason)
    {
        var problem = Status(StatusCodes.Status501NotImplemented, "Audio rendering unavailable", $"format={format.Name()} cannot be rendered on this server: {reason}");
        problem.Extensions["format"] = format.Name();
        return problem;
    }

    /// <summary>A 400 on <paramref name="field"/> for an input limit, with the limit's name and values.</summary>
    public static HttpValidationProblemDetails Limit(string field, InputLimitExceededException l)
    {
        var problem = Field(field, l.Message, "Input limit exceeded");
        problem.Extensions["limit"] = l.Limit;
        problem.Extensions["actual"] = l.Actual;
        problem.Extensions["maximum"] = l.Maximum;
        return problem;
    }

    /// <summary>A 503 with how long to wait.</summary>
    public static Microsoft.AspNetCore.Mvc.ProblemDetails Unavailable(string title, string detail, ServerOptions options)
    {
        var problem = Status(503, title, detail);
        problem.Extensions["retryAfterSeconds"] = options.RetryAfterSeconds;
        return problem;
    }

    private static Microsoft.AspNetCore.Mvc.ProblemDetails Status(int status, string title, string detail) =>
        new() { Status = status, Title = title, Detail = detail };

    /// <summary>The answer for <paramref name="problem"/> (with Retry-After on 429 and 503).</summary>
    public static IResult Result(HttpContext ctx, Microsoft.AspNetCore.Mvc.ProblemDetails problem, ServerOptions options)
    {
        if (problem.Status is 429 or 503)
            ctx.Response.Headers.RetryAfter = options.RetryAfterSeconds.ToString(CultureInfo.InvariantCulture);
        return TypedResults.Problem(problem);
    }

    /// <summary>The metrics outcome of a failure.</summary>
    public static string Outcome(Exception? error) => error switch
    {
        null => "ok",
        DeadlineExceededException => "deadline",
        OperationCanceledException => "cancelled",
        _ => "error",
    };
}
