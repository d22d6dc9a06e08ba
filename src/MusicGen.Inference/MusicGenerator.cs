using System.Runtime.CompilerServices;
using Microsoft.Extensions.Logging;
using MusicGen.Inference.Errors;

namespace MusicGen.Inference;

/// <summary>
/// <see cref="IMusicGenerator"/> over one <see cref="MusicModel"/>, served by a <see cref="GenerationLoop"/>
/// (continuous batching: requests join and leave one batch between decode steps).
/// </summary>
public sealed class MusicGenerator : IMusicGenerator, IDisposable, IAsyncDisposable
{
    private readonly MusicModel _model;
    private readonly bool _ownsModel;
    private readonly GenerationLoop _loop;

    /// <summary>Serves <paramref name="model"/>; disposes it with this generator when <paramref name="ownsModel"/>.</summary>
    public MusicGenerator(MusicModel model, bool ownsModel = true, ILogger<MusicGenerator>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        _model = model;
        _ownsModel = ownsModel;
        _loop = new GenerationLoop(new GenerationLoopOptions { MaxBatchSize = model.Options.MaxBatchSize, MaxAdmissionsPerStep = model.Options.MaxBatchSize }, null, logger);
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
    public int QueueLength => _loop.QueueLength;

    /// <summary>Sequences in the running batch.</summary>
    public int ActiveCount => _loop.ActiveCount;

    /// <summary>
    /// Queues a request and returns its job at once (its sequence shows the progress; its tokens arrive as they are
    /// made). Validation and primer errors are thrown here; the result is handed back as it is, with or without notes.
    /// </summary>
    public GenerationJob Submit(GenerationRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        cancellationToken.ThrowIfCancellationRequested();
        return _loop.Submit(_model, _model.CreateSequence(request), cancellationToken);
    }

    /// <inheritdoc />
    /// <exception cref="EmptyPieceException">The piece has no notes (never handed back silently).</exception>
    public async Task<GenerationResult> GenerateAsync(GenerationRequest request, CancellationToken cancellationToken = default) =>
        EmptyPieceException.ThrowIfEmpty(await Submit(request, cancellationToken).Completion.ConfigureAwait(false));

    /// <inheritdoc />
    public async IAsyncEnumerable<GenerationEvent> StreamAsync(GenerationRequest request, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var job = Submit(request, cancellationToken);
        var tokenizer = _model.Tokenizer;
        var prompt = job.Sequence.Tokens[..job.Sequence.PromptLength].ToArray(); // set before the loop runs it
        var notes = new NoteStream(job.Sequence);
        int index = prompt.Length;
        try
        {
            await foreach (var token in job.Tokens.ReadAllAsync(CancellationToken.None).ConfigureAwait(false))
            {
                yield return new GenerationEvent { Kind = GenerationEventKind.Token, Index = index++, Token = token, TokenName = tokenizer.TokenName(token) };
                foreach (var e in notes.Add(token, caughtUp: job.Tokens.Count == 0)) yield return e;
            }
            var result = EmptyPieceException.ThrowIfEmpty(await job.Completion.ConfigureAwait(false));
            foreach (var e in notes.Finish(result.Score)) yield return e;
            yield return new GenerationEvent { Kind = GenerationEventKind.Completed, Result = result };
        }
        finally
        {
            job.Cancel(); // no-op when finished; frees the slot when the consumer stopped early
        }
    }

    /// <summary>Stops the loop (requests still waiting or running fail), and frees the model when owned.</summary>
    public async ValueTask DisposeAsync()
    {
        await _loop.DisposeAsync().ConfigureAwait(false);
        if (_ownsModel) _model.Dispose();
    }

    /// <inheritdoc cref="DisposeAsync" />
    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();
}
