using System.Diagnostics;
using System.Threading.Channels;

namespace MusicGen.Inference;

/// <summary>
/// One request in a <see cref="GenerationLoop"/>: its model and sequence, its generated tokens as they are made, and
/// its completion. Every job ends exactly once: with its result, with the exception that failed it, or cancelled.
/// </summary>
public sealed class GenerationJob
{
    private readonly Channel<int> _tokens = Channel.CreateUnbounded<int>(new UnboundedChannelOptions { SingleWriter = true });
    private readonly TaskCompletionSource<GenerationResult> _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private volatile bool _cancelled;
    private int _ended;

    internal GenerationJob(MusicModel model, GenerationSequence sequence, CancellationToken cancellation)
    {
        Model = model;
        Sequence = sequence;
        Cancellation = cancellation;
        Arrived = Stopwatch.GetTimestamp();
    }

    /// <summary>The model that generates it.</summary>
    public MusicModel Model { get; }

    /// <summary>The sequence (advanced by the loop's thread; read it once <see cref="Completion"/> ended).</summary>
    public GenerationSequence Sequence { get; }

    /// <summary>Stops the job when cancelled (its batch slot is freed within one step).</summary>
    public CancellationToken Cancellation { get; }

    /// <summary>Generated tokens (primer and prefix excluded) as they are made; completed at the end (with the error when it failed).</summary>
    public ChannelReader<int> Tokens => _tokens.Reader;

    /// <summary>The result (MIDI written off the loop's thread), or the failure.</summary>
    public Task<GenerationResult> Completion => _completion.Task;

    /// <summary>True once <see cref="Cancel"/> was called or <see cref="Cancellation"/> fired.</summary>
    public bool IsCancelled => _cancelled || Cancellation.IsCancellationRequested;

    /// <summary>Stops the job (no-op once it ended).</summary>
    public void Cancel() => _cancelled = true;

    internal long Arrived { get; }

    internal int Published { get; set; }

    internal bool FirstTokenSeen { get; set; }

    /// <summary>Sends the tokens generated since the last call.</summary>
    internal int Publish()
    {
        var s = Sequence;
        int n = s.GeneratedCount;
        for (int i = Published; i < n; i++) _tokens.Writer.TryWrite(s.Tokens[s.PromptLength + i]);
        int sent = n - Published;
        Published = n;
        return sent;
    }

    internal void Succeed(GenerationResult result)
    {
        if (Interlocked.Exchange(ref _ended, 1) != 0) return;
        _tokens.Writer.TryComplete();
        _completion.TrySetResult(result);
    }

    internal void Fail(Exception error)
    {
        if (Interlocked.Exchange(ref _ended, 1) != 0) return;
        _tokens.Writer.TryComplete(error);
        if (error is OperationCanceledException oce) _completion.TrySetCanceled(oce.CancellationToken);
        else _completion.TrySetException(error);
    }

    internal OperationCanceledException Cancelled() => new("the generation was cancelled", Cancellation);
}
