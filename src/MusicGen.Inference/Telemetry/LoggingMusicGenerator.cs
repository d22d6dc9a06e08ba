using System.Diagnostics;
using Microsoft.Extensions.Logging;

namespace MusicGen.Inference.Telemetry;

/// <summary>
/// Writes one structured log line per generation of the inner generator: model, version, prompt and generated
/// tokens, duration, finish reason and seed (Information), a cancellation (Information) or a failure (Error, with the
/// exception). Add it with <c>UseLogging()</c> on a <see cref="MusicGeneratorBuilder"/>.
/// </summary>
public sealed partial class LoggingMusicGenerator : DelegatingMusicGenerator
{
    private readonly ILogger _logger;

    /// <summary>Wraps <paramref name="innerGenerator"/>, logging to <paramref name="logger"/>.</summary>
    public LoggingMusicGenerator(IMusicGenerator innerGenerator, ILogger logger)
        : base(innerGenerator)
    {
        ArgumentNullException.ThrowIfNull(logger);
        _logger = logger;
    }

    /// <summary>Model name in the log lines; default: the package's name.</summary>
    public string? ModelName { get; set; }

    /// <inheritdoc />
    public override async Task<GenerationResult> GenerateAsync(GenerationRequest request, CancellationToken cancellationToken = default)
    {
        var started = Stopwatch.GetTimestamp();
        try
        {
            var result = await base.GenerateAsync(request, cancellationToken).ConfigureAwait(false);
            Completed(result, started);
            return result;
        }
        catch (Exception e)
        {
            Failed(e, started);
            throw;
        }
    }

    /// <inheritdoc />
    public override async IAsyncEnumerable<GenerationEvent> StreamAsync(GenerationRequest request, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var started = Stopwatch.GetTimestamp();
        var ended = false;
        var events = base.StreamAsync(request, cancellationToken).GetAsyncEnumerator(cancellationToken);
        try
        {
            while (true)
            {
                GenerationEvent current;
                try
                {
                    if (!await events.MoveNextAsync().ConfigureAwait(false)) break;
                    current = events.Current;
                }
                catch (Exception e)
                {
                    ended = true;
                    Failed(e, started);
                    throw;
                }
                if (current is { Kind: GenerationEventKind.Completed, Result: { } result })
                {
                    ended = true;
                    Completed(result, started);
                }
                yield return current;
            }
        }
        finally
        {
            if (!ended) Failed(new OperationCanceledException("the consumer stopped reading the stream"), started);
            await events.DisposeAsync().ConfigureAwait(false);
        }
    }

    private void Completed(GenerationResult r, long started)
    {
        if (!_logger.IsEnabled(LogLevel.Information)) return;
        var p = Package;
        LogCompleted(_logger, ModelName ?? p.Name, p.Version, r.PromptTokenCount, r.Timing.GeneratedTokens,
            Stopwatch.GetElapsedTime(started).TotalMilliseconds, r.StopReason.ToFinishReason(), r.Seed);
    }

    private void Failed(Exception e, long started)
    {
        var p = Package;
        var ms = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        var outcome = GenerationScope.OutcomeOf(e);
        if (outcome == "error") LogFailed(_logger, e, ModelName ?? p.Name, p.Version, ms, e.Message);
        else LogEnded(_logger, ModelName ?? p.Name, p.Version, ms, outcome);
    }

    [LoggerMessage(EventId = 1, Level = LogLevel.Information,
        Message = "Generated {OutputTokens} tokens after {InputTokens} prompt tokens with {Model} {ModelVersion} in {DurationMs:F1} ms: {FinishReason}, seed {Seed}")]
    private static partial void LogCompleted(ILogger logger, string model, string modelVersion, int inputTokens, int outputTokens, double durationMs, string finishReason, long seed);

    [LoggerMessage(EventId = 2, Level = LogLevel.Information, Message = "Generation with {Model} {ModelVersion} ended after {DurationMs:F1} ms: {Outcome}")]
    private static partial void LogEnded(ILogger logger, string model, string modelVersion, double durationMs, string outcome);

    [LoggerMessage(EventId = 3, Level = LogLevel.Error, Message = "Generation with {Model} {ModelVersion} failed after {DurationMs:F1} ms: {Error}")]
    private static partial void LogFailed(ILogger logger, Exception exception, string model, string modelVersion, double durationMs, string error);
}
