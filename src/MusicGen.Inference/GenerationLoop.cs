using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace MusicGen.Inference;

/// <summary>
/// The continuous-batching loop, the one way requests are generated (library, CLI and service). Per model it keeps a
/// lane: a queue and a <see cref="GenerationBatch"/>. Each turn of a decode thread takes the next lane with work
/// (round-robin, so every model gets its step in turn), retires cancelled sequences, admits waiting ones into free
/// slots (prefill), runs one batched step for all of them and retires the finished ones at once; their MIDI is
/// written on the thread pool. Each sequence samples with its own seeded generator, so a request's tokens depend only
/// on its own request and seed, alone or batched. Every submitted job ends exactly once, whatever fails: a failed
/// admission fails that job, a failed step the jobs of that batch, a failed MIDI writing that job.
/// </summary>
public sealed class GenerationLoop : IDisposable, IAsyncDisposable
{
    private static readonly GenerationObserver NoObserver = new Silent();
    private readonly GenerationLoopOptions _options;
    private readonly GenerationObserver _observer;
    private readonly ILogger _log;
    private readonly Lock _gate = new();
    private readonly Dictionary<MusicModel, List<Lane>> _lanes = [];
    private readonly List<Lane> _order = [];
    private readonly SemaphoreSlim _signal = new(0, int.MaxValue);
    private readonly CancellationTokenSource _stop = new();
    private readonly Thread[] _threads;
    private int _queued;
    private int _active;
    private int _next;
    private bool _stopped;

    /// <summary>Starts <see cref="GenerationLoopOptions.Workers"/> decode threads.</summary>
    public GenerationLoop(GenerationLoopOptions? options = null, GenerationObserver? observer = null, ILogger? logger = null)
    {
        _options = options ?? new GenerationLoopOptions();
        _options.ThrowIfInvalid();
        _observer = observer ?? NoObserver;
        _log = logger ?? NullLogger.Instance;
        _threads = new Thread[_options.Workers];
        for (int w = 0; w < _threads.Length; w++)
        {
            _threads[w] = new Thread(Work) { IsBackground = true, Name = $"musicgen-decode-{w}" };
            _threads[w].Start();
        }
    }

    /// <summary>Requests waiting for a batch slot.</summary>
    public int QueueLength
    {
        get { lock (_gate) return _queued; }
    }

    /// <summary>Sequences holding a batch slot.</summary>
    public int ActiveCount => Volatile.Read(ref _active);

    /// <summary>
    /// Queues <paramref name="sequence"/> (made by <paramref name="model"/>'s <see cref="MusicModel.CreateSequence"/>)
    /// for generation. Cancelling <paramref name="cancellation"/> frees its slot within one step.
    /// </summary>
    /// <exception cref="ObjectDisposedException">The loop stopped.</exception>
    public GenerationJob Submit(MusicModel model, GenerationSequence sequence, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(sequence);
        var job = new GenerationJob(model, sequence, cancellation);
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_stopped, this);
            if (!_lanes.TryGetValue(model, out var lanes)) _lanes[model] = lanes = [];
            Lane? lane = null;
            foreach (var l in lanes)
                if (lane is null || l.Load < lane.Load) lane = l;
            if (lane is null || (lane.Load > 0 && lanes.Count < _options.Workers))
            {
                lane = new Lane(model);
                lanes.Add(lane);
                _order.Add(lane);
            }
            lane.Queue.Enqueue(job);
            _queued++;
        }
        _signal.Release();
        return job;
    }

    private void Work()
    {
        var stop = _stop.Token;
        while (!stop.IsCancellationRequested)
        {
            Lane? lane;
            try
            {
                lane = NextLaneWithWork();
            }
            catch (Exception ex)
            {
                _log.LogError(ex, "Freeing an idle batch failed");
                continue;
            }
            if (lane is null)
            {
                // Wake on a new job, or now and then to free idle batches.
                try { _signal.Wait(TimeSpan.FromMilliseconds(100), stop); }
                catch (OperationCanceledException) { break; }
                continue;
            }
            // Every job taken out of the queue or the batch this turn is completed below, whatever fails.
            var finished = new List<(GenerationJob Job, Exception? Error)>();
            try
            {
                Turn(lane, finished);
            }
            catch (Exception ex)
            {
                _log.LogError(ex, "A decode step of {Model} {Version} failed; failing its {Count} request(s)", lane.Model.Package.Name, lane.Model.Package.Version, lane.Active.Count);
                FailLane(lane, ex, finished);
            }
            finally
            {
                Complete(finished);
                lock (_gate)
                {
                    lane.Busy = false;
                    lane.LastUsed = Stopwatch.GetTimestamp();
                }
            }
            if (_options.Workers > 1) _signal.Release(); // another thread may take the lane's next turn
        }
    }

    private Lane? NextLaneWithWork()
    {
        lock (_gate)
        {
            Lane? found = null;
            for (int i = 0; i < _order.Count; i++)
            {
                var lane = _order[(_next + i) % _order.Count];
                if (lane.Busy || lane.Load == 0) continue;
                _next = (_next + i + 1) % _order.Count;
                found = lane;
                lane.Busy = true; // one thread per lane at a time
                break;
            }
            // Idle lanes give their batch back when the observer lets it go (a retired model version) or after a while.
            for (int i = _order.Count - 1; i >= 0; i--)
            {
                var lane = _order[i];
                if (lane == found || lane.Busy || lane.Load > 0) continue;
                if (lane.Batch is null || !_observer.KeepIdleBatch(lane.Model) || Stopwatch.GetElapsedTime(lane.LastUsed) > _options.IdleBatchLifetime)
                    RemoveLane(i);
            }
            return found;
        }
    }

    private void Turn(Lane lane, List<(GenerationJob Job, Exception? Error)> finished)
    {
        var model = lane.Model;
        // 1. Retire cancelled sequences before spending a step on them.
        for (int i = lane.Active.Count - 1; i >= 0; i--)
        {
            var job = lane.Active[i];
            if (!job.IsCancelled) continue;
            lane.Batch?.Remove(job.Sequence);
            lane.Active.RemoveAt(i);
            Interlocked.Decrement(ref _active);
            finished.Add((job, job.Cancelled()));
        }

        // 2. Admit waiting jobs into free slots (dropping those cancelled while they waited).
        int admitted = 0;
        while (admitted < _options.MaxAdmissionsPerStep && lane.Active.Count < _options.MaxBatchSize)
        {
            GenerationJob? job;
            lock (_gate)
            {
                if (!lane.Queue.TryDequeue(out job)) break;
                _queued--;
            }
            if (job.IsCancelled)
            {
                finished.Add((job, job.Cancelled()));
                continue;
            }
            try
            {
                if (lane.Batch is null)
                {
                    _observer.BatchOpening(model);
                    try { lane.Batch = model.CreateBatch(_options.MaxBatchSize); }
                    catch { Closed(model); throw; }
                }
                _observer.Admitting(model, job.Sequence);
                lane.Batch.Add(job.Sequence); // prefill + first token (which may already finish it)
                lane.Active.Add(job);
                Interlocked.Increment(ref _active);
                admitted++;
            }
            catch (Exception ex)
            {
                // A failed admission touched only this job (its prefill row); take it out if it got in.
                _log.LogWarning(ex, "Admitting a request to {Model} {Version} failed", model.Package.Name, model.Package.Version);
                try { lane.Batch?.Remove(job.Sequence); }
                catch (Exception rex) { _log.LogWarning(rex, "Removing a failed admission"); }
                finished.Add((job, ex));
            }
        }

        // 3. One batched decode step for every sequence still in the batch.
        int rows = lane.Batch?.Count ?? 0;
        if (rows > 0)
        {
            _observer.Stepping(model, rows);
            long t0 = Stopwatch.GetTimestamp();
            lane.Batch!.Step();
            _observer.Stepped(model, rows, Stopwatch.GetElapsedTime(t0));
        }

        // 4. Hand out new tokens; retire finished sequences at once.
        for (int i = lane.Active.Count - 1; i >= 0; i--)
        {
            var job = lane.Active[i];
            if (job.Publish() > 0 && !job.FirstTokenSeen)
            {
                job.FirstTokenSeen = true;
                _observer.FirstToken(model, Stopwatch.GetElapsedTime(job.Arrived));
            }
            if (!job.Sequence.IsFinished) continue;
            lane.Active.RemoveAt(i);
            Interlocked.Decrement(ref _active);
            finished.Add((job, null));
        }
    }

    /// <summary>Failures end their jobs at once; results are decoded and written as MIDI on the thread pool.</summary>
    private void Complete(List<(GenerationJob Job, Exception? Error)> finished)
    {
        foreach (var (job, error) in finished)
        {
            if (error is not null) job.Fail(error);
            else ThreadPool.UnsafeQueueUserWorkItem(static s => s.Loop.Finish(s.Job), (Loop: this, Job: job), preferLocal: false);
        }
    }

    private void Finish(GenerationJob job)
    {
        try
        {
            _observer.Finishing(job.Model, job.Sequence);
            job.Succeed(job.Sequence.ToResult());
        }
        catch (Exception ex)
        {
            _log.LogError(ex, "Turning a finished sequence into MIDI failed");
            job.Fail(ex);
        }
    }

    private void FailLane(Lane lane, Exception error, List<(GenerationJob Job, Exception? Error)> finished)
    {
        foreach (var job in lane.Active) finished.Add((job, error));
        Interlocked.Add(ref _active, -lane.Active.Count);
        lane.Active.Clear();
        try { DisposeBatch(lane); }
        catch (Exception ex) { _log.LogWarning(ex, "Disposing a failed batch"); }
    }

    // Under _gate.
    private void RemoveLane(int index)
    {
        var lane = _order[index];
        _order.RemoveAt(index);
        if (_next > index) _next--;
        if (_order.Count == 0 || _next >= _order.Count) _next = 0;
        if (_lanes.TryGetValue(lane.Model, out var lanes))
        {
            lanes.Remove(lane);
            if (lanes.Count == 0) _lanes.Remove(lane.Model);
        }
        DisposeBatch(lane);
    }

    private void DisposeBatch(Lane lane)
    {
        if (lane.Batch is not { } batch) return;
        lane.Batch = null;
        try { batch.Dispose(); }
        finally { Closed(lane.Model); }
    }

    private void Closed(MusicModel model)
    {
        try { _observer.BatchClosed(model); }
        catch (Exception ex) { _log.LogWarning(ex, "The observer failed on a closed batch"); }
    }

    /// <summary>Stops the decode threads; jobs still waiting or running fail with <see cref="ObjectDisposedException"/>.</summary>
    public async ValueTask DisposeAsync()
    {
        lock (_gate)
        {
            if (_stopped) return;
            _stopped = true;
        }
        await _stop.CancelAsync().ConfigureAwait(false);
        foreach (var t in _threads) await Task.Run(t.Join).ConfigureAwait(false);
        var finished = new List<(GenerationJob Job, Exception? Error)>();
        var error = new ObjectDisposedException(nameof(GenerationLoop), "The generation loop stopped.");
        lock (_gate)
        {
            foreach (var lane in _order)
            {
                foreach (var job in lane.Active) finished.Add((job, error));
                while (lane.Queue.TryDequeue(out var job)) finished.Add((job, error));
                lane.Active.Clear();
                try { DisposeBatch(lane); }
                catch (Exception ex) { _log.LogWarning(ex, "Disposing a batch at shutdown"); }
            }
            _order.Clear();
            _lanes.Clear();
            _queued = 0;
            _active = 0;
        }
        Complete(finished);
        _stop.Dispose();
        _signal.Dispose();
    }

    /// <inheritdoc cref="DisposeAsync" />
    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();

    private sealed class Lane(MusicModel model)
    {
        public MusicModel Model { get; } = model;
        public Queue<GenerationJob> Queue { get; } = new();
        public List<GenerationJob> Active { get; } = [];
        public GenerationBatch? Batch { get; set; }
        public long LastUsed { get; set; } = Stopwatch.GetTimestamp();
        public bool Busy { get; set; }
        public int Load => Active.Count + Queue.Count;
    }

    private sealed class Silent : GenerationObserver;
}
