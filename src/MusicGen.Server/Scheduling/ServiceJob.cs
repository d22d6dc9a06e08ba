using MusicGen.Inference;
using MusicGen.Server.Api;
using MusicGen.Server.Models;
using MusicGen.Server.Telemetry;

namespace MusicGen.Server.Scheduling;

/// <summary>
/// One request of the service: the engine's job, the model version it holds a reference on (given back once, when
/// disposed), and its deadline linked with the client's connection.
/// </summary>
internal sealed class ServiceJob : IDisposable
{
    private readonly CancellationTokenSource _deadline;
    private readonly CancellationTokenSource _linked;
    private readonly ServerMetrics _metrics;
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

    internal void Start(GenerationJob job) => _job = job;

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
        _metrics.Request(Version.Name, Problems.Outcome(error));
        return (null, error);
    }

    /// <summary>Call once the job ended (<see cref="EndAsync"/>): gives the version reference back.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _released, 1) == 0) Version.Release();
        _linked.Dispose();
        _deadline.Dispose();
    }
}
