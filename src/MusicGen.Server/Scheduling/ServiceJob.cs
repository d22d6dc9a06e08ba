using MusicGen.Inference;
using MusicGen.Inference.Telemetry;
using MusicGen.Server.Api;
using MusicGen.Server.Models;
using MusicGen.Server.Telemetry;

namespace MusicGen.Server.Scheduling;

/// <summary>
/// One request of the service: the engine's job, the model version it holds a reference on (given back once, when
/// disposed), its deadline linked with the client's connection, and its <c>generate_content</c> span and
/// measurements (the library's <see cref="MusicGenTelemetry"/>, a child of the HTTP request's span).
/// </summary>
internal sealed class ServiceJob : IDisposable
{
    private readonly CancellationTokenSource _deadline;
    private readonly CancellationTokenSource _linked;
    private readonly ServerMetrics _metrics;
    private GenerationScope? _scope;
    private GenerationJob? _job;
    private int _released;

    public ServiceJob(ModelVersion version, TimeSpan deadline, CancellationToken requestAborted, ServerMetrics metrics)
    {
        Version = version;
        _metrics = metrics;
        _deadline = new CancellationTokenSource(deadline);
        _linked = CancellationTokenSource.CreateLinkedTokenSource(_deadline.Token, requestAborted);
    }

    public ModelVersion Version { get; }

    /// <summary>The engine's job (its tokens, its completion).</summary>
    public GenerationJob Job => _job ?? throw new InvalidOperationException("not submitted");

    /// <summary>Cancelled when the client goes away or the deadline passes.</summary>
    public CancellationToken Cancellation => _linked.Token;

    /// <summary>ok, cancelled, deadline or error once <see cref="EndAsync"/> returned; null before.</summary>
    public string? Outcome { get; private set; }

    /// <summary>Tokens and finish reason of a successful generation.</summary>
    public GenerationUsage? Usage { get; private set; }

    /// <summary>
    /// Submits the job, then starts its span (a child of the current one, the HTTP request's; the queue wait is
    /// inside it). A job the loop refuses has no span and no measurements.
    /// </summary>
    internal void Start(MusicGenTelemetry telemetry, GenerationSequence sequence, Func<GenerationJob> submit)
    {
        _job = submit();
        _scope = telemetry.StartGeneration(Version.Name, sequence.Request, Version.Version);
    }

    /// <summary>Never submitted: the caller keeps the version reference.</summary>
    internal void Abandon()
    {
        _released = 1;
        Dispose();
    }

    /// <summary>
    /// Waits for the job's end (it always ends) and counts its outcome. A cancellation at the deadline becomes
    /// <see cref="DeadlineExceededException"/>; a stopped loop <see cref="ServiceStoppingException"/>.
    /// </summary>
    public async Task<(GenerationResult? Result, Exception? Error)> EndAsync()
    {
        Exception? error;
        try
        {
            var result = await Job.Completion;
            _metrics.Request(Version.Name, "ok");
            Usage = GenerationUsage.From(result);
            _scope?.Succeed(Usage.Value);
            Outcome = "ok";
            return (result, null);
        }
        catch (OperationCanceledException) when (_deadline.IsCancellationRequested)
        {
            error = new DeadlineExceededException("the request deadline passed before generation finished");
        }
        catch (ObjectDisposedException)
        {
            error = new ServiceStoppingException();
        }
        catch (Exception ex)
        {
            error = ex;
        }
        Outcome = Problems.Outcome(error);
        _metrics.Request(Version.Name, Outcome);
        _scope?.Fail(error);
        return (null, error);
    }

    /// <summary>Call once the job ended (<see cref="EndAsync"/>): gives the version reference back.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _released, 1) == 0) Version.Release();
        _scope?.Dispose(); // never submitted or never ended: recorded as cancelled
        _linked.Dispose();
        _deadline.Dispose();
    }
}
