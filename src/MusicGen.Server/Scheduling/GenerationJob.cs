using System.Diagnostics;
using System.Threading.Channels;
using MusicGen.Server.Engine;
using MusicGen.Server.Models;

namespace MusicGen.Server.Scheduling;

/// <summary>What a finished generation gives back.</summary>
internal sealed record JobResult(
    int[] Tokens, string FinishReason, string Model, string Version,
    double QueueSeconds, double TimeToFirstTokenSeconds, double TotalSeconds);

/// <summary>The deadline of a request passed before it finished.</summary>
internal sealed class DeadlineExceededException(string message) : TimeoutException(message);

/// <summary>
/// One generation request as the scheduler sees it: the model version it is bound to (a reference held from
/// submission to completion), its prompt and settings, a channel of tokens as they are made, and its completion.
/// </summary>
internal sealed class GenerationJob : IDisposable
{
    private readonly CancellationTokenSource _deadline;
    private readonly CancellationTokenSource _linked;
    private readonly List<int> _tokens = [];
    private int _done;

    public GenerationJob(ModelVersion model, IDecodeSequence sequence, TimeSpan deadline, CancellationToken requestAborted)
    {
        Model = model;
        Sequence = sequence;
        _deadline = new CancellationTokenSource(deadline);
        _linked = CancellationTokenSource.CreateLinkedTokenSource(_deadline.Token, requestAborted);
        Arrived = Stopwatch.GetTimestamp();
    }

    public ModelVersion Model { get; }

    /// <summary>The engine's sequence (prepared on the request thread, advanced by the scheduler thread).</summary>
    public IDecodeSequence Sequence { get; }

    public long Arrived { get; }

    /// <summary>Cancelled when the client goes away or the deadline passes.</summary>
    public CancellationToken Cancellation => _linked.Token;

    public bool DeadlinePassed => _deadline.IsCancellationRequested;

    /// <summary>Tokens as they are generated (completed at the end, with the error when it failed).</summary>
    public Channel<int> Tokens { get; } = Channel.CreateUnbounded<int>(new UnboundedChannelOptions { SingleReader = false, SingleWriter = true });

    public TaskCompletionSource<JobResult> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    // Scheduler state (scheduler thread only).
    internal int Delivered;
    internal long Admitted;
    internal long FirstToken;

    internal void Deliver(int token)
    {
        _tokens.Add(token);
        Tokens.Writer.TryWrite(token);
    }

    /// <summary>Completes successfully and releases the model reference (once).</summary>
    internal void Succeed(string reason)
    {
        if (Interlocked.Exchange(ref _done, 1) != 0) return;
        var now = Stopwatch.GetTimestamp();
        var result = new JobResult([.. _tokens], reason, Model.Name, Model.Version,
            Stopwatch.GetElapsedTime(Arrived, Admitted == 0 ? now : Admitted).TotalSeconds,
            FirstToken == 0 ? 0 : Stopwatch.GetElapsedTime(Arrived, FirstToken).TotalSeconds,
            Stopwatch.GetElapsedTime(Arrived, now).TotalSeconds);
        Tokens.Writer.TryComplete();
        Model.Release();
        Completion.TrySetResult(result);
    }

    /// <summary>Fails (cancelled, deadline, engine error) and releases the model reference (once).</summary>
    internal void Fail(Exception error)
    {
        if (Interlocked.Exchange(ref _done, 1) != 0) return;
        Tokens.Writer.TryComplete(error);
        Model.Release();
        if (error is OperationCanceledException oce) Completion.TrySetCanceled(oce.CancellationToken);
        else Completion.TrySetException(error);
    }

    /// <summary>The exception that fits why <see cref="Cancellation"/> fired.</summary>
    internal Exception CancellationError() => DeadlinePassed
        ? new DeadlineExceededException("the request deadline passed before generation finished")
        : new OperationCanceledException("the client went away", Cancellation);

    public void Dispose()
    {
        _linked.Dispose();
        _deadline.Dispose();
    }
}
