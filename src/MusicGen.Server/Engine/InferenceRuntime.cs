using MusicGen.Core.Music;
using MusicGen.Inference;

namespace MusicGen.Server.Engine;

/// <summary>Loads packages with MusicGen.Inference (<see cref="MusicModel.Load"/>: manifest, sha256, sessions).</summary>
internal sealed class InferenceModelLoader(InferenceOptions options, ILoggerFactory loggers, GenerationObserver? observer) : IModelLoader
{
    public IModelRuntime Load(string directory) =>
        new InferenceRuntime(MusicModel.Load(directory, options, loggers.CreateLogger<MusicModel>()), observer);
}

/// <summary>A <see cref="MusicModel"/> behind the scheduler's seam.</summary>
internal sealed class InferenceRuntime : IModelRuntime
{
    private readonly MusicModel _model;
    private readonly GenerationObserver? _observer;

    public InferenceRuntime(MusicModel model, GenerationObserver? observer = null)
    {
        _model = model;
        _observer = observer;
        var p = model.Package;
        Description = new ModelDescription(p.Name, p.Version, p.Architecture, model.MaxSequenceLength, model.Tokenizer.Kind,
            p.VocabularySize, model.DefaultVariant, model.ExecutionProvider);
    }

    public ModelDescription Description { get; }

    public string TokenName(int id) => _model.Tokenizer.TokenName(id);

    public int? TokenId(string name)
    {
        try { return _model.Tokenizer.TokenId(name); }
        catch (KeyNotFoundException) { return null; }
    }

    public IDecodeSequence CreateSequence(GenerationSpec spec)
    {
        var s = spec.Sampling;
        var request = new GenerationRequest
        {
            MaxTokens = spec.MaxTokens,
            Bars = spec.Bars,
            Seconds = spec.Seconds,
            Seed = spec.Seed,
            PrimerMidi = spec.PrimerMidi,
            Sampling = new SamplingOptions
            {
                Temperature = s.Temperature,
                TopK = s.TopK,
                TopP = s.TopP,
                MinP = s.MinP,
                RepetitionPenalty = s.RepetitionPenalty,
                Greedy = s.Greedy,
                TokenBias = spec.TokenBias,
            },
        };
        return new Sequence(_model.CreateSequence(request));
    }

    public Score Decode(ReadOnlySpan<int> tokens) => _model.Tokenizer.Decode(tokens);

    public GenerationResult Finish(IDecodeSequence sequence)
    {
        var inner = ((Sequence)sequence).Inner;
        _observer?.Finishing(_model, inner);
        return inner.ToResult();
    }

    public IDecodeBatch CreateBatch(int capacity) => new Batch(_model, _model.CreateBatch(capacity), _observer);

    public void Dispose() => _model.Dispose();

    private sealed class Sequence(GenerationSequence inner) : IDecodeSequence
    {
        public GenerationSequence Inner { get; } = inner;
        public int[] Prompt { get; } = inner.Tokens[..inner.PromptLength].ToArray();
        public int Generated => Inner.GeneratedCount;
        public int TokenAt(int index) => Inner.Tokens[Inner.PromptLength + index];
        public bool IsFinished => Inner.IsFinished;
        public long Seed => Inner.Seed;
        public string? FinishReason => Inner.StopReason switch
        {
            StopReason.None => null,
            StopReason.MaxTokens => "max_tokens",
            StopReason.EndOfSequence => "eos",
            StopReason.Bars => "bars",
            StopReason.Seconds => "seconds",
            StopReason.ContextFull => "context",
            StopReason.Cancelled => "cancelled",
            var other => other.ToString().ToLowerInvariant(),
        };
    }

    private sealed class Batch(MusicModel model, GenerationBatch inner, GenerationObserver? observer) : IDecodeBatch
    {
        public int Count => inner.Count;
        public int Capacity => inner.Capacity;

        public void Join(IDecodeSequence sequence)
        {
            var s = ((Sequence)sequence).Inner;
            observer?.Admitting(model, s);
            inner.Add(s);
        }

        public void Leave(IDecodeSequence sequence) => inner.Remove(((Sequence)sequence).Inner);

        public void Step()
        {
            observer?.Stepping(model, inner.Count);
            inner.Step();
        }

        public void Dispose() => inner.Dispose();
    }
}
