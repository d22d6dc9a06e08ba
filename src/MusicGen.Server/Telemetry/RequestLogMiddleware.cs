using System.Diagnostics;
using MusicGen.Server.Scheduling;

namespace MusicGen.Server.Telemetry;

/// <summary>
/// One structured log line per API request (<c>/v1/...</c>) when it is answered: category
/// <see cref="Category"/>, Information, with method, path, status, duration and outcome; a generation request adds
/// model, version, prompt and generated tokens and finish reason, from the <see cref="ServiceJob"/> the request
/// submitted (set as a feature of the request by <c>RequestPreparation</c>).
/// </summary>
internal sealed partial class RequestLogMiddleware(RequestDelegate next, ILoggerFactory loggers)
{
    /// <summary>Category of the per-request log lines.</summary>
    public const string Category = "MusicGen.Server.Requests";

    /// <summary>Status logged when the client closed the connection before the answer (nginx's convention).</summary>
    public const int ClientClosedRequest = 499;

    private readonly ILogger _log = loggers.CreateLogger(Category);

    public async Task InvokeAsync(HttpContext context)
    {
        if (!context.Request.Path.StartsWithSegments("/v1"))
        {
            await next(context);
            return;
        }
        var started = Stopwatch.GetTimestamp();
        var status = 0;
        try
        {
            await next(context);
            status = context.Response.StatusCode;
        }
        catch (Exception) when (!context.RequestAborted.IsCancellationRequested)
        {
            status = StatusCodes.Status500InternalServerError; // the exception handler answers it
            throw;
        }
        finally
        {
            if (context.RequestAborted.IsCancellationRequested) status = ClientClosedRequest;
            Write(context, status, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        }
    }

    private void Write(HttpContext context, int status, double ms)
    {
        if (!_log.IsEnabled(LogLevel.Information)) return;
        var method = context.Request.Method;
        var path = context.Request.Path.Value ?? "";
        if (context.Features.Get<ServiceJob>() is { } job)
        {
            var usage = job.Usage;
            LogGeneration(_log, method, path, status, ms, job.Outcome ?? "cancelled", job.Version.Name, job.Version.Version,
                usage?.InputTokens, usage?.OutputTokens, usage?.FinishReason);
        }
        else
        {
            // Never queued: refused before generation (bad input, limits, not ready), or not a generation request.
            var outcome = status switch { < 400 => "ok", ClientClosedRequest => "cancelled", < 500 or 503 => "rejected", _ => "error" };
            LogRequest(_log, method, path, status, ms, outcome);
        }
    }

    [LoggerMessage(EventId = 1, Level = LogLevel.Information,
        Message = "{Method} {Path} answered {Status} in {DurationMs:F1} ms: {Outcome}, model {Model} {ModelVersion}, {InputTokens} prompt and {OutputTokens} generated tokens, finish {FinishReason}")]
    private static partial void LogGeneration(ILogger logger, string method, string path, int status, double durationMs, string outcome,
        string model, string modelVersion, int? inputTokens, int? outputTokens, string? finishReason);

    [LoggerMessage(EventId = 2, Level = LogLevel.Information, Message = "{Method} {Path} answered {Status} in {DurationMs:F1} ms: {Outcome}")]
    private static partial void LogRequest(ILogger logger, string method, string path, int status, double durationMs, string outcome);
}
