using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using MusicGen.Core.Music;
using MusicGen.Inference.Errors;

namespace MusicGen.Inference;

/// <summary>
/// <see cref="IMusicGenerator"/> over one <see cref="MusicModel"/>: a background loop admits waiting requests into a
/// <see cref="GenerationBatch"/> between decode steps, runs one step for all of them, and retires finished or
/// cancelled ones at once (continuous batching).
/// </summary>
public sealed class MusicGenerator : IMusicGenerator, IDisposable, IAsyncDisposable
{
    private readonly MusicModel _model;
    private readonly bool _ownsModel;
    private readonly ILogger _logger;
    private readonly Channel<Job> _queue = Channel.CreateUnbounded<Job>(new UnboundedChannelOptions { SingleReader = true });
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private readonly int _batchSize;

    /// <summary>Serves <paramref name="model"/>; disposes it with this generator when <paramref name="ownsModel"/>.</summary>
    public MusicGenerator(MusicModel model, bool ownsModel = true, ILogger<MusicGenerator>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        _model = model;
        _ownsModel = ownsModel;
        _logger = logger ?? (ILogger)NullLogger.Instance;
        _batchSize = model.Options.MaxBatchSize;
        // The decode loop owns a dedicated thread: it is busy for as long as anything is generating.
        _loop = Task.Factory.StartNew(Loop, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
    }

    /// <summary>Loads the package at <see cref="InferenceOptions.ModelPath"/> and serves it.</summary>
    public static MusicGenerator Create(InferenceOptions options, ILoggerFactory? loggerFactory = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (string.IsNullOrWhiteSpace(options.ModelPath)) throw new ArgumentException("InferenceOptions.ModelPath is required.", nameof(options));
        var model = MusicModel.Load(options.ModelPath, options, loggerFactory?.CreateLogger<MusicModel>());
        return new MusicGenerator(model, true, loggerFactory?.CreateLogger<MusicGenerator>());
    }

    /// <summary>The model served.</summary>
    public MusicModel Model => _model;

    /// <inheritdoc />
    public ModelPackage Package => _model.Package;

    /// <summary>Requests waiting for a batch slot.</summary>
    public int QueueLength => _queue.Reader.Count;

    /// <summary>Sequences in the running batch (as of the last step).</summary>
    public int ActiveCount { get; private set; }

    /// <inheritdoc />
    public async Task<GenerationResult> GenerateAsync(GenerationRequest request, CancellationToken cancellationToken = default)
    {
        var job = Enqueue(request, null, cancellationToken);
        using var registration = cancellationToken.Register(static j => ((Job)j!).Cancel(), job);
        return await job.Completion.Task.ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async IAsyncEnumerable<GenerationEvent> StreamAsync(GenerationRequest request, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var tokens = Channel.CreateUnbounded<int>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
        var job = Enqueue(request, tokens.Writer, cancellationToken);
        using var registration = cancellationToken.Register(static j => ((Job)j!).Cancel(), job);
        var tokenizer = _model.Tokenizer;
        var emitted = new HashSet<(int Track, Note Note)>();
        var all = new List<int>();
        int sinceDecode = 0;
        try
        {
            await foreach (var token in tokens.Reader.ReadAllAsync(CancellationToken.None).ConfigureAwait(false))
            {
                if (all.Count == 0 && job.Prompt is { } prompt) all.AddRange(prompt);
                all.Add(token);
                yield return new GenerationEvent { Kind = GenerationEventKind.Token, Index = all.Count - 1, Token = token, TokenName = tokenizer.TokenName(token) };
                if (++sinceDecode >= 16)
                {
                    sinceDecode = 0;
                    foreach (var e in NewNotes(tokenizer.Decode(all.ToArray()), emitted, final: false)) yield return e;
                }
            }
            var result = await job.Completion.Task.ConfigureAwait(false);
            foreach (var e in NewNotes(result.Score, emitted, final: true)) yield return e;
            yield return new GenerationEvent { Kind = GenerationEventKind.Completed, Result = result };
        }
        finally
        {
            job.Cancel(); // no-op when finished; frees the slot when the consumer stopped early
        }
    }

    /// <summary>
    /// Notes of <paramref name="score"/> not reported yet. Before the end, a note still sounding at the end of the
    /// decoded prefix may grow (decoding closes it there), so only notes that end strictly before the latest note
    /// start are reported; the rest follow when they are final.
    /// </summary>
    private static List<GenerationEvent> NewNotes(Score score, HashSet<(int, Note)> emitted, bool final)
    {
        var events = new List<GenerationEvent>();
        var time = TempoMap.For(score);
        long horizon = long.MaxValue;
        if (!final)
        {
            horizon = 0;
            foreach (var t in score.Tracks)
                foreach (var n in t.Notes)
                    horizon = Math.Max(horizon, n.Start);
        }
        for (int ti = 0; ti < score.Tracks.Count; ti++)
        {
            foreach (var n in score.Tracks[ti].Notes)
            {
                if (n.End >= horizon || !emitted.Add((ti, n))) continue;
                events.Add(new GenerationEvent
                {
                    Kind = GenerationEventKind.Note, Note = n, Track = ti,
                    StartSeconds = time.ToSeconds(n.Start), EndSeconds = time.ToSeconds(n.End),
                });
            }
        }
        events.Sort((a, b) => a.Note.Start.CompareTo(b.Note.Start));
        return events;
    }

    private Job Enqueue(GenerationRequest request, ChannelWriter<int>? tokens, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        cancellationToken.ThrowIfCancellationRequested();
        ObjectDisposedException.ThrowIf(_stop.IsCancellationRequested, this);
        var sequence = _model.CreateSequence(request); // validates; throws ArgumentException on a bad request
        var job = new Job(sequence, tokens, cancellationToken);
        if (!_queue.Writer.TryWrite(job)) throw new ObjectDisposedException(nameof(MusicGenerator));
        return job;
    }

    private void Loop()
    {
        var batch = _model.CreateBatch(_batchSize);
        try
        {
            Run();
        }
        finally
        {
            batch.Dispose();
        }

        void Run()
        {
            var reader = _queue.Reader;
            try
            {
                while (!_stop.IsCancellationRequested)
                {
                    if (batch.Count == 0 && !reader.WaitToReadAsync(_stop.Token).AsTask().GetAwaiter().GetResult()) break;
                    while (batch.Count < batch.Capacity && reader.TryRead(out var job))
                    {
                        if (job.IsCancelled)
                        {
                            job.Fail(new OperationCanceledException(job.CancellationToken));
                            continue;
                        }
                        try
                        {
                            job.Sequence.Tag = job;
                            job.Prompt = job.Sequence.Tokens.ToArray();
                            batch.Add(job.Sequence);
                            Publish(job);
                            foreach (var done in batch.Finished) Complete((Job)done.Tag!);
                        }
                        catch (Exception e) when (e is not OutOfMemoryException)
                        {
                            job.Fail(e);
                        }
                    }
                    for (int i = batch.Count - 1; i >= 0; i--)
                    {
                        var job = (Job)batch[i].Tag!;
                        if (job.IsCancelled)
                        {
                            batch.Remove(job.Sequence);
                            job.Fail(new OperationCanceledException(job.CancellationToken));
                        }
                    }
                    ActiveCount = batch.Count;
                    if (batch.Count == 0) continue;
                    try
                    {
                        batch.Step();
                    }
                    catch (Exception e) when (e is not OutOfMemoryException)
                    {
                        // A failed step (ONNX Runtime error) fails the requests in this batch, not the generator.
                        _logger.LogError(e, "A decode step failed; failing the {Count} requests in the batch.", batch.Count);
                        for (int i = 0; i < batch.Count; i++) ((Job)batch[i].Tag!).Fail(e);
                        batch.Dispose();
                        batch = _model.CreateBatch(_batchSize);
                        ActiveCount = 0;
                        continue;
                    }
                    for (int i = 0; i < batch.Count; i++) Publish((Job)batch[i].Tag!);
                    ActiveCount = batch.Count; // before completing: a caller that saw its result sees its slot free
                    foreach (var done in batch.Finished)
                    {
                        var job = (Job)done.Tag!;
                        Publish(job);
                        Complete(job);
                    }
                }
            }
            catch (OperationCanceledException) when (_stop.IsCancellationRequested)
            {
            }
            catch (Exception e)
            {
                _logger.LogError(e, "The generation loop failed; failing every request in flight.");
                for (int i = 0; i < batch.Count; i++) ((Job)batch[i].Tag!).Fail(e);
                while (reader.TryRead(out var job)) job.Fail(e);
                throw;
            }
            for (int i = 0; i < batch.Count; i++) ((Job)batch[i].Tag!).Fail(new ObjectDisposedException(nameof(MusicGenerator)));
            while (reader.TryRead(out var job)) job.Fail(new ObjectDisposedException(nameof(MusicGenerator)));
            }
        }

        private static void Publish(Job job)
        {
            if (job.Tokens is null) return;
            var s = job.Sequence;
            for (int i = s.PromptLength + job.Published; i < s.Length; i++) job.Tokens.TryWrite(s.Tokens[i]);
            job.Published = s.GeneratedCount;
        }

        /// <summary>Decoding and MIDI writing run on the thread pool, so the decode loop goes straight on.</summary>
        private void Complete(Job job) => ThreadPool.UnsafeQueueUserWorkItem(static state => state.generator.Finish(state.job), (generator: this, job), preferLocal: false);

        private void Finish(Job job)
        {
            try
            {
                var result = job.Sequence.ToResult();
                job.Tokens?.TryComplete();
                if (result.NoteCount > 0) job.Completion.TrySetResult(result);
                else job.Completion.TrySetException(new EmptyPieceException(result)); // never an empty piece, silently
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                _logger.LogError(e, "Turning a finished sequence into MIDI failed.");
                job.Fail(e);
            }
        }

        /// <summary>Stops the loop, fails requests still waiting, and frees the model when owned.</summary>
        public async ValueTask DisposeAsync()
        {
            if (_stop.IsCancellationRequested) return;
            _queue.Writer.TryComplete();
            await _stop.CancelAsync().ConfigureAwait(false);
            try
            {
                await _loop.ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                _logger.LogDebug(e, "The generation loop ended with an error.");
            }
            _stop.Dispose();
            if (_ownsModel) _model.Dispose();
        }

        /// <inheritdoc cref="DisposeAsync" />
        public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();

        private sealed class Job(GenerationSequence sequence, ChannelWriter<int>? tokens, CancellationToken cancellationToken)
        {
            private volatile bool _cancelled;

            public GenerationSequence Sequence { get; } = sequence;
            public ChannelWriter<int>? Tokens { get; } = tokens;
            public CancellationToken CancellationToken { get; } = cancellationToken;
            public TaskCompletionSource<GenerationResult> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
            public int[]? Prompt { get; set; }
            public int Published { get; set; }
            public bool IsCancelled => _cancelled;

            public void Cancel()
            {
                if (!Completion.Task.IsCompleted) _cancelled = true;
            }

            public void Fail(Exception e)
            {
                Tokens?.TryComplete(e);
                if (e is OperationCanceledException oce) Completion.TrySetCanceled(oce.CancellationToken);
                else Completion.TrySetException(e);
        }
    }
}
