using System.Diagnostics;
using Microsoft.Extensions.Options;
using MusicGen.Server.Engine;
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

/// <summary>
/// Continuous batching. One background thread owns every batch: per loaded model version a lane with a queue and a
/// batch. Each turn picks the next lane with work (round-robin over lanes, so every model gets its step in turn),
/// retires sequences that finished, were cancelled or passed their deadline, admits waiting requests into free
/// slots (prefill), then runs one batched decode step that advances all of the lane's sequences by one token.
/// </summary>
internal sealed class GenerationScheduler : BackgroundService
{
    private readonly ServerOptions _options;
    private readonly ServerMetrics _metrics;
    private readonly ILogger<GenerationScheduler> _log;
    private readonly Lock _gate = new();
    private readonly Dictionary<ModelVersion, List<Lane>> _lanes = [];
    private readonly List<Lane> _order = [];
    private readonly SemaphoreSlim _signal = new(0, int.MaxValue);
    private static readonly TimeSpan IdleBatchLifetime = TimeSpan.FromSeconds(30);
    private int _queued;
    private int _next;
    private bool _stopped;

    public GenerationScheduler(IOptions<ServerOptions> options, ServerMetrics metrics, ILogger<GenerationScheduler> log)
    {
        _options = options.Value;
        _metrics = metrics;
        _log = log;
    }

    /// <summary>Requests waiting for a slot.</summary>
    public int QueueLength { get { lock (_gate) return _queued; } }

    /// <summary>Queues a job; throws <see cref="QueueFullException"/> beyond <see cref="ServerOptions.MaxQueueLength"/>.</summary>
    public void Submit(GenerationJob job)
    {
        lock (_gate)
        {
            if (_stopped) throw new ServiceStoppingException();
            if (_queued >= _options.MaxQueueLength) throw new QueueFullException(_queued);
            if (!_lanes.TryGetValue(job.Model, out var lanes)) _lanes[job.Model] = lanes = [];
            // One lane (one batch) per version; with DecodeWorkers > 1 up to that many, each request going to the
            // least loaded one.
            Lane? lane = null;
            foreach (var l in lanes)
                if (lane is null || l.Load < lane.Load) lane = l;
            if (lane is null || (lane.Load > 0 && lanes.Count < _options.DecodeWorkers))
            {
                lane = new Lane(job.Model);
                lanes.Add(lane);
                _order.Add(lane);
            }
            lane.Queue.Enqueue(job);
            _queued++;
        }
        _metrics.QueueChanged(1);
        _signal.Release();
    }

    protected override Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var running = _options.DecodeWorkers;
        for (var w = 0; w < _options.DecodeWorkers; w++)
        {
            var thread = new Thread(() =>
            {
                try { Loop(stoppingToken); }
                catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested) { }
                catch (Exception ex) { _log.LogCritical(ex, "Scheduler loop failed"); }
                finally
                {
                    if (Interlocked.Decrement(ref running) == 0) { Shutdown(); done.TrySetResult(); }
                }
            })
            { IsBackground = true, Name = $"musicgen-scheduler-{w}" };
            thread.Start();
        }
        return done.Task;
    }

    private void Loop(CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            Lane? lane;
            try
            {
                lane = NextLaneWithWork();
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // Only disposing an idle batch can fail here; the loop keeps serving.
                _log.LogError(ex, "Releasing an idle batch failed");
                continue;
            }
            if (lane is null)
            {
                // Wake on a new job, or now and then to drop queued jobs whose client left.
                _signal.Wait(TimeSpan.FromMilliseconds(100), stop);
                continue;
            }
            // Every job taken out of the queue or the batch this turn lands in `finished` and is completed below,
            // whatever fails: no path leaves a request unanswered or its model version held.
            List<(GenerationJob Job, Exception? Error, string? Reason)> finished = [];
            try
            {
                Turn(lane, finished);
            }
            catch (Exception ex)
            {
                // A failed decode step fails the requests it touched (the lane's batch), never the service.
                _log.LogError(ex, "Decode step of {Model} {Version} failed; failing its {Count} request(s)", lane.Model.Name, lane.Model.Version, lane.Active.Count);
                FailLane(lane, ex, finished);
            }
            finally
            {
                Complete(finished);
                lock (_gate) lane.Busy = false;
            }
            if (_options.DecodeWorkers > 1) _signal.Release(); // another worker may take the lane's next turn
        }
    }

    private Lane? NextLaneWithWork()
    {
        lock (_gate)
        {
            Lane? found = null;
            for (var i = 0; i < _order.Count; i++)
            {
                var lane = _order[(_next + i) % _order.Count];
                if (!lane.Busy && (lane.Active.Count > 0 || lane.Queue.Count > 0))
                {
                    _next = (_next + i + 1) % _order.Count;
                    found = lane;
                    lane.Busy = true; // one worker per lane at a time
                    break;
                }
            }
            // Idle lanes of versions no longer active (or idle for a while) give their batch back, so a drained
            // version can unload even while other models are busy.
            for (var i = _order.Count - 1; i >= 0; i--)
            {
                var lane = _order[i];
                if (lane != found && !lane.Busy && (lane.Model.State != VersionState.Active || Stopwatch.GetElapsedTime(lane.LastUsed) > IdleBatchLifetime))
                    RemoveIfIdle(lane);
            }
            return found;
        }
    }

    private void Turn(Lane lane, List<(GenerationJob Job, Exception? Error, string? Reason)> finished)
    {
        // 1. Retire cancelled / expired sequences before spending a step on them.
        for (var i = lane.Active.Count - 1; i >= 0; i--)
        {
            var job = lane.Active[i];
            if (!job.Cancellation.IsCancellationRequested) continue;
            lane.Batch!.Leave(job.Sequence);
            lane.Active.RemoveAt(i);
            _metrics.ActiveChanged(-1);
            finished.Add((job, job.CancellationError(), null));
        }

        // 2. Drop waiting jobs whose client left or whose deadline passed (even when no slot is free), then admit
        //    waiting jobs into free slots.
        var dropped = 0;
        lock (_gate)
        {
            if (lane.Queue.Count > 0 && lane.Queue.Any(j => j.Cancellation.IsCancellationRequested))
            {
                var keep = new Queue<GenerationJob>(lane.Queue.Count);
                foreach (var job in lane.Queue)
                {
                    if (job.Cancellation.IsCancellationRequested) { finished.Add((job, job.CancellationError(), null)); dropped++; }
                    else keep.Enqueue(job);
                }
                lane.Queue.Clear();
                foreach (var job in keep) lane.Queue.Enqueue(job);
                _queued -= dropped;
            }
        }
        if (dropped > 0) _metrics.QueueChanged(-dropped);

        var admitted = 0;
        while (admitted < _options.MaxAdmissionsPerStep && lane.Active.Count < _options.MaxBatchSize)
        {
            GenerationJob? job;
            lock (_gate)
            {
                if (!lane.Queue.TryDequeue(out job)) break;
                _queued--;
            }
            _metrics.QueueChanged(-1);
            if (job.Cancellation.IsCancellationRequested)
            {
                finished.Add((job, job.CancellationError(), null));
                continue;
            }
            try
            {
                if (lane.Batch is null)
                {
                    // The lane holds its own reference while it has a batch: the runtime outlives the batch.
                    if (!lane.Model.TryAcquire(request: false)) throw new InvalidOperationException($"model {lane.Model.Name} {lane.Model.Version} was unloaded");
                    try { lane.Batch = lane.Model.Runtime.CreateBatch(_options.MaxBatchSize); }
                    catch { lane.Model.Release(request: false); throw; }
                }
                lane.Batch.Join(job.Sequence); // prefill + first token
                job.Admitted = Stopwatch.GetTimestamp();
                lane.Active.Add(job);
                _metrics.ActiveChanged(1);
                admitted++;
            }
            catch (Exception ex)
            {
                // A failed admission touched only this request (its prefill row); take it out if it got in.
                _log.LogWarning(ex, "Admitting a request to {Model} {Version} failed", lane.Model.Name, lane.Model.Version);
                try { lane.Batch?.Leave(job.Sequence); }
                catch (Exception lex) { _log.LogWarning(lex, "Removing a failed admission"); }
                finished.Add((job, ex, null));
            }
        }

        // 3. One batched decode step for everyone still in.
        var stepping = 0;
        foreach (var job in lane.Active) if (!job.Sequence.IsFinished) stepping++;
        if (stepping > 0)
        {
            var t0 = Stopwatch.GetTimestamp();
            lane.Batch!.Step();
            _metrics.Step(lane.Model.Name, stepping, Stopwatch.GetElapsedTime(t0).TotalSeconds);
        }

        // 4. Hand out new tokens; retire finished sequences at once.
        var now = Stopwatch.GetTimestamp();
        for (var i = lane.Active.Count - 1; i >= 0; i--)
        {
            var job = lane.Active[i];
            var seq = job.Sequence;
            var n = seq.Generated;
            if (n > job.Delivered && job.FirstToken == 0)
            {
                job.FirstToken = now;
                _metrics.FirstToken(lane.Model.Name, Stopwatch.GetElapsedTime(job.Arrived, now).TotalSeconds);
            }
            while (job.Delivered < n) job.Deliver(seq.TokenAt(job.Delivered++));
            if (!seq.IsFinished) continue;
            lane.Batch!.Leave(seq);
            lane.Active.RemoveAt(i);
            _metrics.ActiveChanged(-1);
            finished.Add((job, null, seq.FinishReason ?? "max_tokens"));
        }

        lane.LastUsed = Stopwatch.GetTimestamp();
    }

    private void Complete(List<(GenerationJob Job, Exception? Error, string? Reason)> finished)
    {
        foreach (var (job, error, reason) in finished)
        {
            var outcome = error switch
            {
                null => "ok",
                DeadlineExceededException => "deadline",
                OperationCanceledException => "cancelled",
                _ => "error",
            };
            _metrics.Request(job.Model.Name, outcome);
            if (error is null) job.Succeed(reason!);
            else job.Fail(error);
        }
    }

    private void FailLane(Lane lane, Exception ex, List<(GenerationJob, Exception?, string?)> finished)
    {
        foreach (var job in lane.Active) finished.Add((job, ex, null));
        _metrics.ActiveChanged(-lane.Active.Count);
        lane.Active.Clear();
        try { DisposeBatch(lane); } catch (Exception dex) { _log.LogWarning(dex, "Disposing a failed batch"); }
    }

    // Under _gate.
    private void RemoveIfIdle(Lane lane)
    {
        if (lane.Active.Count > 0 || lane.Queue.Count > 0) return;
        DisposeBatch(lane);
        if (_lanes.TryGetValue(lane.Model, out var lanes))
        {
            lanes.Remove(lane);
            if (lanes.Count == 0) _lanes.Remove(lane.Model);
        }
        var idx = _order.IndexOf(lane);
        _order.RemoveAt(idx);
        if (_next > idx) _next--;
        if (_order.Count == 0 || _next >= _order.Count) _next = 0;
    }

    private void Shutdown()
    {
        List<(GenerationJob, Exception?, string?)> finished = [];
        lock (_gate)
        {
            _stopped = true;
            foreach (var lane in _order)
            {
                foreach (var job in lane.Active) finished.Add((job, new OperationCanceledException("the server is stopping"), null));
                while (lane.Queue.TryDequeue(out var job)) finished.Add((job, new OperationCanceledException("the server is stopping"), null));
                _metrics.ActiveChanged(-lane.Active.Count);
                lane.Active.Clear();
                try { DisposeBatch(lane); } catch (Exception ex) { _log.LogWarning(ex, "Disposing a batch at shutdown"); }
            }
            _metrics.QueueChanged(-_queued);
            _queued = 0;
            _order.Clear();
            _lanes.Clear();
        }
        Complete(finished);
    }

    private static void DisposeBatch(Lane lane)
    {
        if (lane.Batch is null) return;
        var batch = lane.Batch;
        lane.Batch = null;
        try { batch.Dispose(); }
        finally { lane.Model.Release(request: false); }
    }

    public override void Dispose()
    {
        base.Dispose();
        _signal.Dispose();
    }

    private sealed class Lane(ModelVersion model)
    {
        public ModelVersion Model { get; } = model;
        public Queue<GenerationJob> Queue { get; } = new();
        public List<GenerationJob> Active { get; } = [];
        public IDecodeBatch? Batch { get; set; }
        public long LastUsed { get; set; } = Stopwatch.GetTimestamp();
        public bool Busy { get; set; }
        public int Load => Active.Count + Queue.Count;
    }
}
