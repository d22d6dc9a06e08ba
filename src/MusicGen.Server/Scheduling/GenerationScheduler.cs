using Microsoft.Extensions.Options;
using MusicGen.Inference;
using MusicGen.Inference.Telemetry;
using MusicGen.Server.Models;
using MusicGen.Server.Telemetry;

namespace MusicGen.Server.Scheduling;

/// <summary>The queue is full: the caller answers 429 with Retry-After.</summary>
internal sealed class QueueFullException(int length) : Exception($"the generation queue is full ({length} waiting)")
{
    public int Length { get; } = length;
}

/// <summary>The service is shutting down and takes no new work: the caller answers 503.</summary>
internal sealed class ServiceStoppingException() : Exception("the service is stopping");

/// <summary>The deadline of a request passed before it finished.</summary>
internal sealed class DeadlineExceededException(string message) : TimeoutException(message);

/// <summary>
/// The service's policies around the engine's one <see cref="GenerationLoop"/>: a bound on waiting requests (429), a
/// deadline per request (504), a reference on the model version from submission to the answer (so a replaced
/// version drains, then unloads), batches that let go of retired versions at once, and metrics. The loop does the
/// batching, the fair turns between models and versions, and guarantees that every job ends.
/// </summary>
internal sealed class GenerationScheduler : IHostedService, IAsyncDisposable
{
    private readonly ServerOptions _options;
    private readonly ServerMetrics _metrics;
    private readonly GenerationLoop _loop;
    private readonly MusicGenTelemetry _telemetry;
    private volatile bool _stopped;

    public GenerationScheduler(IOptions<ServerOptions> options, ServerMetrics metrics, ModelRegistry registry, ILogger<GenerationLoop> log,
        MusicGenTelemetry telemetry, GenerationObserver? extra = null)
    {
        _options = options.Value;
        _metrics = metrics;
        _telemetry = telemetry;
        _loop = new GenerationLoop(
            new GenerationLoopOptions { MaxBatchSize = _options.MaxBatchSize, MaxAdmissionsPerStep = _options.MaxAdmissionsPerStep, Workers = _options.DecodeWorkers },
            new ServiceObserver(metrics, registry, extra), log);
        metrics.SetLoadSource(() => _loop.QueueLength, () => _loop.ActiveCount);
    }

    /// <summary>Requests waiting for a slot.</summary>
    public int QueueLength => _loop.QueueLength;

    /// <summary>
    /// Queues a sequence of <paramref name="version"/>, whose request reference the returned job now holds (given
    /// back when the job is disposed). Throws <see cref="QueueFullException"/> beyond
    /// <see cref="ServerOptions.MaxQueueLength"/> and <see cref="ServiceStoppingException"/> once stopping; the caller
    /// keeps its reference then.
    /// </summary>
    public ServiceJob Submit(ModelVersion version, GenerationSequence sequence, CancellationToken requestAborted)
    {
        if (_stopped) throw new ServiceStoppingException();
        var waiting = _loop.QueueLength;
        if (waiting >= _options.MaxQueueLength) throw new QueueFullException(waiting);
        var job = new ServiceJob(version, _options.RequestDeadline, requestAborted, _metrics);
        try
        {
            job.Start(_telemetry, sequence, () => _loop.Submit(version.Model, sequence, job.Cancellation));
        }
        catch (ObjectDisposedException)
        {
            job.Abandon();
            throw new ServiceStoppingException();
        }
        return job;
    }

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>
    /// Graceful stop (SIGTERM, Ctrl+C): new requests get 503 at once, while those waiting or running finish until
    /// none is left or the host's shutdown time (<see cref="ServerOptions.ShutdownTimeout"/>) runs out; then the loop
    /// stops and what is left ends with 503.
    /// </summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        _stopped = true;
        try
        {
            while (_loop.QueueLength + _loop.ActiveCount > 0) await Task.Delay(50, cancellationToken);
        }
        catch (OperationCanceledException)
        {
            // The shutdown time ran out: what is still running ends with 503 below.
        }
        await _loop.DisposeAsync();
    }

    public ValueTask DisposeAsync() => _loop.DisposeAsync();
}
