using System.Collections.Concurrent;

namespace MusicGen.Server.Audio;

/// <summary>
/// A fixed set of long-lived threads that run the service's audio renders, one render per thread at a time, in
/// arrival order; after each render the thread gives the C heap's free pages back to the OS (<see cref="NativeHeap"/>).
/// Why not the thread pool: FluidSynth allocates and frees tens of MB of native memory per render (the SoundFont's
/// tables, the samples of the presets a piece uses), and glibc gives each thread that allocates its own malloc arena
/// (up to 8 per core). Renders spread over the pool's threads left freed-but-kept memory in up to 16 arenas: ~1,000
/// renders grew the service's RSS by ~180 MB. Here their native memory stays in <see cref="Count"/> arenas and is
/// reused (docs/server.md, "Memory under the soak").
/// </summary>
internal sealed class RenderThreads : IDisposable
{
    private readonly BlockingCollection<Action> _work = new();
    private readonly Thread[] _threads;

    /// <summary>Starts <paramref name="count"/> background threads named <c>musicgen-render-N</c>.</summary>
    public RenderThreads(int count)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        _threads = [.. Enumerable.Range(0, count).Select(i => new Thread(Loop) { IsBackground = true, Name = $"{NamePrefix}{i}" })];
        foreach (var t in _threads) t.Start();
    }

    /// <summary>The threads' name, followed by their number.</summary>
    public const string NamePrefix = "musicgen-render-";

    /// <summary>How many threads render.</summary>
    public int Count => _threads.Length;

    /// <summary>
    /// Runs <paramref name="work"/> on one of the threads once one is free. Cancelling <paramref name="cancel"/>
    /// ends the wait at once (the task is cancelled); work that has started sees the token itself.
    /// </summary>
    /// <exception cref="ObjectDisposedException">The threads were stopped.</exception>
    public Task<T> RunAsync<T>(Func<T> work, CancellationToken cancel)
    {
        var done = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        if (cancel.IsCancellationRequested)
        {
            done.SetCanceled(cancel);
            return done.Task;
        }
        var waiting = cancel.Register(() => done.TrySetCanceled(cancel));
        void Run()
        {
            waiting.Dispose();
            if (done.Task.IsCompleted) return; // cancelled while queued
            try
            {
                done.TrySetResult(work());
            }
            catch (OperationCanceledException) when (cancel.IsCancellationRequested)
            {
                done.TrySetCanceled(cancel);
            }
            catch (Exception e)
            {
                done.TrySetException(e);
            }
        }
        try
        {
            _work.Add(Run, CancellationToken.None);
        }
        catch (InvalidOperationException)
        {
            waiting.Dispose();
            throw new ObjectDisposedException(nameof(RenderThreads));
        }
        return done.Task;
    }

    /// <summary>Lets the threads finish the queued renders and end.</summary>
    public void Dispose() => _work.CompleteAdding();

    private void Loop()
    {
        foreach (var run in _work.GetConsumingEnumerable())
        {
            run();
            NativeHeap.Trim(); // after the caller has its answer: what FluidSynth freed goes back to the OS
        }
    }
}
