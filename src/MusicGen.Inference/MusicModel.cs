using System.Security.Cryptography;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.ML.OnnxRuntime;
using MusicGen.Core.Limits;
using MusicGen.Core.Midi;
using MusicGen.Core.Music;
using MusicGen.Core.Packaging;
using MusicGen.Core.Tokenization;
using MusicGen.Inference.Errors;
using MusicGen.Inference.Runtime;

namespace MusicGen.Inference;

/// <summary>
/// A loaded model package: validated manifest, tokenizer and ONNX Runtime sessions. Thread-safe: create
/// <see cref="GenerationBatch"/>es (one per driving thread) and <see cref="GenerationSequence"/>s from any thread.
/// </summary>
public sealed class MusicModel : IDisposable
{
    private readonly SessionFactory _factory;
    private readonly Dictionary<string, InferenceSession> _sessions = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();
    private readonly ILogger _logger;
    private bool _disposed;

    private MusicModel(ModelPackage package, InferenceOptions options, ILogger logger)
    {
        Package = package;
        Options = options;
        _logger = logger;
        _factory = new SessionFactory(options, logger);
        Harmony = new HarmonyConditioning(package.Tokenizer, package.Name);
        DefaultVariant = ChooseVariant(options.Graph);
        MaxSequenceLength = options.MaxSequenceLength > 0 ? Math.Min(options.MaxSequenceLength, package.ContextLength) : package.ContextLength;
        var graph = package.Manifest.FindGraph(DefaultVariant)!;
        if (graph.KvLayout is { SharedBuffer: true, MaxLength: > 0 } kv) MaxSequenceLength = Math.Min(MaxSequenceLength, kv.MaxLength);
        GetSession(DefaultVariant); // load now: a broken graph fails here, not on the first request
        if (!GraphChoice.Runs(DefaultVariant, _factory.UseCuda, package.Manifest.HyperParameters.HeadSize))
        {
            // creating the CUDA session fell back to the CPU (logged once): run the CPU's graph instead
            lock (_lock)
            {
                _sessions.Remove(DefaultVariant, out var cudaGraphOnCpu);
                cudaGraphOnCpu?.Dispose();
            }
            DefaultVariant = ChooseVariant(options.Graph);
            GetSession(DefaultVariant);
        }
        _logger.LogInformation("{Model} {Version} runs graph {Variant} on {Provider} ({OnnxRuntime})",
            package.Name, package.Version, DefaultVariant, ExecutionProvider, OnnxRuntimeBuild.Describe());
    }

    /// <summary>The package this model was loaded from.</summary>
    public ModelPackage Package { get; }

    /// <summary>The options the model was loaded with (a private copy).</summary>
    public InferenceOptions Options { get; }

    /// <summary>The package's tokenizer.</summary>
    public IMusicTokenizer Tokenizer => Package.Tokenizer;

    /// <summary>The graph batches run unless told otherwise: <c>fast</c> (CPU), <c>fast-fp16</c> (CUDA), <c>fast-int8</c>, <c>portable</c> or <c>lstm</c>.</summary>
    public string DefaultVariant { get; }

    /// <summary>The execution provider sessions actually run on (<c>cpu</c> or <c>cuda</c>).</summary>
    public string ExecutionProvider => _factory.EffectiveProvider;

    /// <summary>The key and chords options on this model (its key and chord tokens, or none).</summary>
    internal HarmonyConditioning Harmony { get; }

    /// <summary>Longest sequence (prompt + generated) a batch slot holds.</summary>
    public int MaxSequenceLength { get; }

    /// <summary>Loads and validates the package in <paramref name="directory"/> and opens its default graph.</summary>
    /// <exception cref="ModelPackageException">The package is missing a file, a hash differs, the architecture is unknown, or the tokenizer disagrees with the network.</exception>
    /// <exception cref="Microsoft.Extensions.Options.OptionsValidationException">The options are invalid.</exception>
    public static MusicModel Load(string directory, InferenceOptions? options = null, ILogger? logger = null)
    {
        var opts = (options ?? new InferenceOptions()).Clone();
        opts.ThrowIfInvalid();
        var package = ModelPackage.Load(directory);
        return new MusicModel(package, opts, logger ?? NullLogger.Instance);
    }

    private string ChooseVariant(GraphPreference preference)
    {
        if (Package.IsLstm) return GraphVariants.Lstm;
        return GraphChoice.Choose(preference, _factory.UseCuda, v => Package.Manifest.FindGraph(v) is not null,
            Package.Manifest.HyperParameters.HeadSize, Package.Directory);
    }

    /// <summary>Graph variants of this package the engine can run.</summary>
    public IReadOnlyList<string> Variants =>
        [.. Package.Manifest.Graphs.Select(g => g.Variant).Where(v => GraphChoice.Runs(v, _factory.UseCuda, Package.Manifest.HyperParameters.HeadSize))];

    /// <summary>The fast graphs this engine runs on the CPU (GroupQueryAttention on the shared KV buffer).</summary>
    private static bool IsCpuFast(string variant) => variant is GraphVariants.Fast or GraphVariants.FastInt8;

    /// <summary>
    /// Threads a decode step of <paramref name="rows"/> rows runs on with <paramref name="variant"/> (default:
    /// <see cref="DefaultVariant"/>) in a batch of capacity at least <paramref name="rows"/>: the number of parallel
    /// slices (<see cref="InferenceOptions.ParallelDecodeThreads"/>) when the step is split, else the session's
    /// intra-op threads (0 means ONNX Runtime's own choice, one per core).
    /// </summary>
    public int DecodeThreads(int rows, string? variant = null)
    {
        int slices = ParallelSlices(variant ?? DefaultVariant, rows);
        return slices > 1 ? slices : Options.IntraOpThreads;
    }

    /// <summary>Slices a fast-graph decode step is cut into in a batch of <paramref name="capacity"/> rows (1 = never split).</summary>
    internal int ParallelSlices(string variant, int capacity)
    {
        if (!IsCpuFast(variant) || _factory.UseCuda || Options.IntraOpThreads != 1) return 1;
        int slices = InferenceOptions.ResolveThreads(Options.ParallelDecodeThreads);
        return capacity >= Math.Max(Options.ParallelDecodeMinRows, slices) ? slices : 1;
    }

    internal InferenceSession GetSession(string variant)
    {
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_sessions.TryGetValue(variant, out var s)) return s;
            var graph = Package.Manifest.FindGraph(variant)
                ?? throw new ModelPackageException($"Model package '{Package.Directory}' has no '{variant}' graph.");
            try
            {
                s = _factory.Create(Package.PathOf(graph));
            }
            catch (OnnxRuntimeException e)
            {
                throw new ModelPackageException($"Model package '{Package.Directory}': ONNX Runtime cannot load '{graph.File}' ({e.Message}).", e);
            }
            CheckLogits(s, graph);
            _sessions[variant] = s;
            _logger.LogInformation("Loaded {Model} {Version} graph {Variant} ({File}) on {Provider}, {Threads} intra-op thread(s)",
                Package.Name, Package.Version, variant, graph.File, ExecutionProvider, Options.IntraOpThreads);
            return s;
        }
    }

    private void CheckLogits(InferenceSession session, GraphEntry graph)
    {
        if (!session.OutputMetadata.TryGetValue("logits", out var meta))
            throw new ModelPackageException($"Model package '{Package.Directory}': graph '{graph.File}' has no 'logits' output.");
        var dims = meta.Dimensions;
        if (dims.Length > 0 && dims[^1] > 0 && dims[^1] != Package.VocabularySize)
            throw new ModelPackageException(
                $"Model package '{Package.Directory}': tokenizer/vocabulary mismatch: graph '{graph.File}' emits {dims[^1]} logits but the vocabulary has {Package.VocabularySize} tokens.");
    }

    /// <summary>A batch of up to <paramref name="capacity"/> sequences on <paramref name="variant"/> (default: <see cref="DefaultVariant"/>).</summary>
    /// <param name="capacity">Most sequences at once.</param>
    /// <param name="variant">Graph to run; null for <see cref="DefaultVariant"/>.</param>
    /// <param name="maxLength">Longest sequence a slot holds (sizes the KV cache); null or larger than <see cref="MaxSequenceLength"/> means that.</param>
    public GenerationBatch CreateBatch(int capacity, string? variant = null, int? maxLength = null)
    {
        variant ??= DefaultVariant;
        return new GenerationBatch(CreateDecoder(capacity, variant, maxLength), variant);
    }

    internal IBatchDecoder CreateDecoder(int capacity, string variant, int? maxLengthOverride = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        if (maxLengthOverride is < 2) throw new ArgumentOutOfRangeException(nameof(maxLengthOverride), "A slot must hold at least 2 tokens.");
        var session = GetSession(variant);
        var graph = Package.Manifest.FindGraph(variant)!;
        var maxLength = Math.Min(MaxSequenceLength, maxLengthOverride ?? int.MaxValue);
        return variant switch
        {
            GraphVariants.Lstm => new LstmDecoder(session, graph, Package.Manifest.HyperParameters, capacity, maxLength),
            GraphVariants.Portable => new PortableTransformerDecoder(session, graph, Package.VocabularySize, capacity, maxLength),
            _ => new FastTransformerDecoder(session, graph, Package.VocabularySize, capacity,
                graph.KvLayout is { MaxLength: > 0 } kv ? Math.Min(maxLength, kv.MaxLength) : maxLength,
                ParallelSlices(variant, capacity), Options.ParallelDecodeMinRows,
                _factory.UseCuda ? KvMemory.Cuda(session, Options.DeviceId) : null),
        };
    }

    /// <summary>
    /// Prepares a request: validates it, encodes its primer, appends forced prefix tokens, and sets up its sampler
    /// and stop conditions. The prompt is BOS + primer (without its EOS) + prefix.
    /// </summary>
    /// <exception cref="ArgumentException">The request is invalid (the message names the field).</exception>
    /// <exception cref="PrimerException">The primer file is empty or damaged (strict reading; the byte offset and what was wrong).</exception>
    /// <exception cref="InputLimitExceededException">The primer exceeds one of <see cref="InferenceOptions.InputLimits"/>.</exception>
    public GenerationSequence CreateSequence(GenerationRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var errors = request.Check(Options.MaxTokensLimit, Package.VocabularySize);
        if (errors.Count > 0) throw new InvalidGenerationRequestException(errors);
        if (Package.Manifest.Sampling is { Count: > 0 } defaults) request = request.WithSampling(request.Sampling.WithDefaults(defaults));
        if (request.TokenBiasNames is { Count: > 0 }) request = request.WithSampling(ResolveBias(request));
        var tokenizer = Tokenizer;
        long seed = request.Seed ?? BitConverter.ToInt64(RandomNumberGenerator.GetBytes(8));
        var (key, scale, keyShift) = Harmony.ResolveKey(request, Package.Manifest.NormalizedKeys);
        var chords = Harmony.ResolveChords(request);
        var prompt = BuildPrompt(request, key, chords, out _, out var repairs, out var primerShift);
        var grammarScale = scale?.Transpose(-keyShift); // the asked key in the tokens' frame
        if (Package.Manifest.NormalizedKeys is { } keys && request.Key is null)
        {
            // The tokens are in C major / A minor: the piece goes back to the primer's key, else to one drawn from the seed.
            keyShift = request.PrimerMidi is not null || request.Primer is not null ? -primerShift : KeyFrame.Shift(keys, seed);
        }
        if (prompt.Count >= MaxSequenceLength)
        {
            var message = $"The prompt (BOS + primer + prefix) has {prompt.Count} tokens; at most {MaxSequenceLength - 1} fit this model's context. Set MaxPrimerTokens.";
            if (request.PrimerMidi is not null || request.Primer is not null) throw new PrimerException(message);
            throw new ArgumentException(message, "prefix");
        }
        int maxTokens = request.MaxTokens ?? (request.Bars is null && request.Seconds is null ? Options.DefaultMaxTokens : Options.MaxTokensLimit);
        return new GenerationSequence(tokenizer, request, [.. prompt], MaxSequenceLength, maxTokens, seed, Harmony.Grammar(key, chords, request.Sampling.ScaleBias, grammarScale))
        {
            PrimerRepairs = repairs,
            RequestedKey = scale,
            KeyLead = Harmony.KeyLead,
            KeyShift = keyShift,
            TrackPrograms = Package.Programs,
        };
    }

    private List<int> BuildPrompt(GenerationRequest request, int? key, Chord[]? chords, out int primerTokens, out IReadOnlyList<string> repairs, out int primerShift)
    {
        primerShift = 0;
        var tokenizer = Tokenizer;
        var limits = Options.InputLimits;
        Score? primer = request.Primer;
        repairs = [];
        if (request.PrimerMidi is not null)
        {
            var input = MidiInput.Read(request.PrimerMidi, limits, "primer", request.LenientPrimer, nameof(GenerationRequest.LenientPrimer));
            (primer, repairs) = (input.Score, input.Repairs);
        }
        var prompt = new List<int> { tokenizer.Bos };
        primerTokens = 0;
        if (primer is not null)
        {
            if (request.PrimerMidi is null) limits.CheckScore(primer); // a score given as such; before the meter rewrite copies it
            var encoded = tokenizer.Encode(Package.PrepareInput(primer, out primerShift), limits);
            int start = encoded.Length > 0 && encoded[0] == tokenizer.Bos ? 1 : 0;
            int end = encoded.Length;
            while (end > start && (encoded[end - 1] == tokenizer.Eos || encoded[end - 1] == tokenizer.Pad)) end--;
            int prefixCount = (request.PrefixTokens?.Count ?? 0) + (request.PrefixTokenIds?.Count ?? 0);
            int room = Math.Min(request.MaxPrimerTokens ?? int.MaxValue, MaxSequenceLength - 2 - prefixCount - Math.Min(request.MaxTokens ?? 0, MaxSequenceLength / 2));
            room = Math.Max(0, room);
            if (end - start > room)
            {
                // Keep the end of the primer, starting at a bar line when one is in reach.
                int cut = end - room;
                for (int i = cut; i < end; i++)
                {
                    if (tokenizer.TokenName(encoded[i]).StartsWith("Bar", StringComparison.Ordinal)) { cut = i; break; }
                }
                start = cut;
            }
            for (int i = start; i < end; i++) prompt.Add(encoded[i]);
            primerTokens = end - start;
        }
        var forcedStart = prompt.Count;
        if (request.TempoBpm is not null || request.TimeSignature is not null || request.Program is not null)
            prompt.AddRange(ConditioningTokens(request, key, chords));
        if (request.PrefixTokens is not null)
        {
            foreach (var name in request.PrefixTokens)
            {
                try
                {
                    prompt.Add(tokenizer.TokenId(name));
                }
                catch (KeyNotFoundException)
                {
                    throw new ArgumentException(
                        $"prefix: '{name}' is not a token of this model's '{tokenizer.Kind}' tokenizer (e.g. {string.Join(", ", Enumerable.Range(0, Math.Min(8, tokenizer.VocabularySize)).Select(tokenizer.TokenName))} ...).",
                        "prefix");
                }
            }
        }
        if (request.PrefixTokenIds is not null) prompt.AddRange(request.PrefixTokenIds);
        if (request.Sampling.UseGrammar) CheckForcedTokens(prompt, forcedStart);
        return prompt;
    }

    /// <summary>Forced tokens must be legal where they stand, or the grammar (and the music) would go astray.</summary>
    private void CheckForcedTokens(List<int> prompt, int forcedStart)
    {
        if (forcedStart >= prompt.Count) return;
        var tokenizer = Tokenizer;
        var grammar = tokenizer.CreateGrammar();
        grammar.Reset();
        var mask = new float[tokenizer.VocabularySize];
        for (int i = 0; i < prompt.Count; i++)
        {
            var t = prompt[i];
            if (i >= forcedStart)
            {
                Array.Clear(mask);
                grammar.MaskLogits(mask);
                if (float.IsNegativeInfinity(mask[t]))
                {
                    var before = i > 0 ? tokenizer.TokenName(prompt[i - 1]) : "the start";
                    var legal = Enumerable.Range(0, mask.Length).Where(j => !float.IsNegativeInfinity(mask[j])).Take(6).Select(tokenizer.TokenName);
                    throw new ArgumentException(
                        $"Forced token '{tokenizer.TokenName(t)}' (prefix position {i - forcedStart}) cannot follow {before} in the '{tokenizer.Kind}' grammar; legal next: {string.Join(", ", legal)} ...",
                        "prefix");
                }
            }
            grammar.Accept(t);
        }
    }

    /// <summary>Tempo, time signature, key, first chord and program as the tokenizer spells them (REMI: Bar [TimeSig] [Key] Position_0 [Chord] [Tempo] [Program]).</summary>
    private List<int> ConditioningTokens(GenerationRequest request, int? key, Chord[]? chords)
    {
        var tokenizer = Tokenizer;
        int Id(string name, string field)
        {
            try
            {
                return tokenizer.TokenId(name);
            }
            catch (KeyNotFoundException)
            {
                throw new ArgumentException($"{field}: the '{tokenizer.Kind}' tokenizer has no token '{name}', so it cannot express this.", field.Split(',')[0]);
            }
        }
        var asked = string.Join(", ", new[] { request.TempoBpm is null ? null : "tempo", request.TimeSignature is null ? null : "meter", request.Program is null ? null : "program" }.OfType<string>());
        var tokens = new List<int> { Id("Bar", asked) };
        if (request.TimeSignature is { } ts) tokens.Add(Id("TimeSig_" + ts.Trim(), "meter"));
        if (key is int k) tokens.Add(k);
        tokens.Add(Id("Position_0", asked));
        if (chords is not null) tokens.Add(Harmony.ChordToken(chords[0]));
        if (request.TempoBpm is int bpm) tokens.Add(Id("Tempo_" + bpm.ToString(System.Globalization.CultureInfo.InvariantCulture), "tempo"));
        if (request.Program is int program) tokens.Add(Id("Program_" + program.ToString(System.Globalization.CultureInfo.InvariantCulture), "program"));
        return tokens;
    }

    /// <summary>The request's sampling options with its token biases by name (or id in digits) resolved and added.</summary>
    private SamplingOptions ResolveBias(GenerationRequest request)
    {
        var sampling = request.Sampling.Clone();
        var bias = new Dictionary<int, float>(request.Sampling.TokenBias ?? new Dictionary<int, float>());
        foreach (var (key, value) in request.TokenBiasNames!)
        {
            int? id = int.TryParse(key, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var n) ? n : null;
            if (id is null)
            {
                try { id = Tokenizer.TokenId(key); }
                catch (KeyNotFoundException) { }
            }
            if (id is null || id < 0 || id >= Package.VocabularySize || float.IsNaN(value) || float.IsPositiveInfinity(value))
                throw new InvalidGenerationRequestException(new Dictionary<string, string> { ["tokenBias"] = $"tokenBias: '{key}' = {value} is not a token of this model's '{Tokenizer.Kind}' tokenizer with a finite bias." });
            bias[id.Value] = value <= GenerationOptions.BanBias ? float.NegativeInfinity : value;
        }
        sampling.TokenBias = bias;
        return sampling;
    }

    /// <summary>Closes the sessions.</summary>
    public void Dispose()
    {
        lock (_lock)
        {
            if (_disposed) return;
            _disposed = true;
            foreach (var s in _sessions.Values) s.Dispose();
            _sessions.Clear();
        }
    }
}
