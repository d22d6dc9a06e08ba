using Microsoft.ML.OnnxRuntime;
using MusicGen.Core.Packaging;
using MusicGen.Inference.Runtime;

namespace MusicGen.Inference;

/// <summary>
/// Scores whole sequences with a model package: runs its all-positions graph, the transformer's portable graph
/// (<c>logits</c> [batch, seq, V] with an empty KV cache: <c>past_key_values.*</c> of length 0, <c>attention_mask</c>
/// all ones, <c>position_ids</c> 0..T−1) or the LSTM graph (zero initial state), and returns the logits of every
/// position (for negative log-likelihood, perplexity, accuracy). A fast graph (<c>fast</c>, <c>fast-int8</c>) returns
/// only the last position, so when one is asked for it is fed the sequence one token per run through the engine's
/// KV-cached decoder (teacher forcing), which gives the same logits at the cost of one run per token. One sequence per
/// run, batch 1. Not thread-safe: one caller at a time.
/// </summary>
public sealed class SequenceScorer : IDisposable
{
    private readonly InferenceSession? _session;
    private readonly MusicModel? _model;
    private readonly bool _lstm;
    private readonly string[] _inputNames = [];
    private readonly int[][] _inputDims = [];
    private readonly int _outputWidth;

    // Kept in a field for the scorer's lifetime: ONNX Runtime reads the options during the native run, and an
    // instance passed inline (`Run(new RunOptions(), ...)`) is unreachable once its handle is read, so the GC may
    // finalize (free) it mid-run: that was a SIGSEGV inside InferenceSession::Run under allocation pressure.
    private readonly RunOptions _runOptions = new();

    private SequenceScorer(ModelPackage package, GraphEntry graph, int intraOpThreads)
    {
        Package = package;
        Graph = graph;
        _lstm = package.IsLstm;
        using var options = new SessionOptions { IntraOpNumThreads = intraOpThreads, InterOpNumThreads = 1 };
        _session = new InferenceSession(package.PathOf(graph), options);
        _inputNames = _session.InputMetadata.Keys.ToArray();
        _inputDims = _inputNames.Select(n => _session.InputMetadata[n].Dimensions).ToArray();
        var logitsDims = _session.OutputMetadata.TryGetValue("logits", out var meta)
            ? meta.Dimensions
            : throw new ModelPackageException($"{package.PathOf(graph)}: the graph has no 'logits' output.");
        _outputWidth = logitsDims[^1] > 0 ? logitsDims[^1] : package.VocabularySize;
        if (_outputWidth < package.VocabularySize)
        {
            throw new ModelPackageException($"{package.PathOf(graph)}: logits have {_outputWidth} entries but the vocabulary has {package.VocabularySize}.");
        }
    }

    private SequenceScorer(MusicModel model, GraphEntry graph)
    {
        _model = model;
        Package = model.Package;
        Graph = graph;
        _outputWidth = model.Package.VocabularySize;
    }

    /// <summary>The package.</summary>
    public ModelPackage Package { get; }

    /// <summary>The graph that runs.</summary>
    public GraphEntry Graph { get; }

    /// <summary>Logits per position: the graph's output width (at least the vocabulary).</summary>
    public int VocabularySize => _outputWidth;

    /// <summary>The package's context length for a transformer; unbounded for an LSTM.</summary>
    public int ContextLength => _lstm ? int.MaxValue : Package.ContextLength;

    /// <summary>Loads a package (hashes verified) and opens its all-positions graph, or the graph asked for.</summary>
    /// <param name="packageDirectory">The package folder (<c>onnx/&lt;name&gt;</c>).</param>
    /// <param name="intraOpThreads">ONNX Runtime intra-op threads (0 = one per core).</param>
    /// <param name="graph">
    /// <see cref="GraphPreference.Auto"/> or <see cref="GraphPreference.Portable"/>: the all-positions graph (the LSTM
    /// graph for an LSTM package). <see cref="GraphPreference.Fast"/> or <see cref="GraphPreference.FastInt8"/>: that
    /// fast graph, one token per run (to measure what its numerics cost in likelihood).
    /// </param>
    /// <exception cref="ModelPackageException">The package is invalid or lacks the graph.</exception>
    public static SequenceScorer Open(string packageDirectory, int intraOpThreads = 0, GraphPreference graph = GraphPreference.Auto)
    {
        if (graph is GraphPreference.Fast or GraphPreference.FastInt8)
        {
            var model = MusicModel.Load(packageDirectory, new InferenceOptions { IntraOpThreads = intraOpThreads, Graph = graph, ParallelDecodeThreads = 1 });
            try
            {
                if (model.Package.IsLstm) throw new ModelPackageException($"Model package '{model.Package.Directory}' is an LSTM; it has no fast graph.");
                return new SequenceScorer(model, model.Package.Manifest.FindGraph(model.DefaultVariant)!);
            }
            catch
            {
                model.Dispose();
                throw;
            }
        }

        var package = ModelPackage.Load(packageDirectory);
        var entry = package.IsLstm
            ? package.Manifest.FindGraph(GraphVariants.Lstm)
            : package.Manifest.FindGraph(GraphVariants.Portable);
        if (entry is null || entry.Logits != LogitsMode.All)
        {
            throw new ModelPackageException($"Model package '{package.Directory}' has no graph with logits for all positions (the portable transformer graph or the LSTM graph); scoring needs one.");
        }

        return new SequenceScorer(package, entry, intraOpThreads);
    }

    /// <summary>
    /// Writes <c>[tokens.Length, VocabularySize]</c> logits into <paramref name="logits"/>: row t is the distribution
    /// of token t + 1 given tokens 0..t, positions 0-based from the start of <paramref name="tokens"/>.
    /// </summary>
    /// <exception cref="ArgumentException">Not 1..<see cref="ContextLength"/> tokens, or <paramref name="logits"/> too short.</exception>
    public void Run(ReadOnlySpan<int> tokens, Span<float> logits)
    {
        int s = tokens.Length;
        if (s < 1 || s > ContextLength)
        {
            throw new ArgumentException($"A run takes 1..{ContextLength} tokens, got {s}.", nameof(tokens));
        }

        if (logits.Length < s * _outputWidth)
        {
            throw new ArgumentException($"{s} positions need {s * _outputWidth} logits, got room for {logits.Length}.", nameof(logits));
        }

        if (_model is not null)
        {
            RunStepwise(tokens, logits);
            return;
        }

        var ids = new long[s];
        var positions = new long[s];
        var mask = new long[s];
        for (int i = 0; i < s; i++)
        {
            ids[i] = tokens[i];
            positions[i] = i;
            mask[i] = 1;
        }

        var inputs = new List<OrtValue>(_inputNames.Length);
        try
        {
            for (int k = 0; k < _inputNames.Length; k++)
            {
                string name = _inputNames[k];
                inputs.Add(name switch
                {
                    "input_ids" => OrtValue.CreateTensorValueFromMemory(ids, [1, s]),
                    "position_ids" => OrtValue.CreateTensorValueFromMemory(positions, [1, s]),
                    "attention_mask" => OrtValue.CreateTensorValueFromMemory(mask, [1, s]),
                    _ when name.StartsWith("past_key_values.", StringComparison.Ordinal) => EmptyPast(k),
                    "initial_h" or "initial_c" => ZeroState(k),
                    _ => throw new ModelPackageException($"{Package.PathOf(Graph)}: unexpected graph input '{name}'."),
                });
            }

            using var outputs = _session!.Run(_runOptions, _inputNames, inputs, ["logits"]);
            var result = outputs[0].GetTensorDataAsSpan<float>();
            result[..(s * _outputWidth)].CopyTo(logits);
        }
        finally
        {
            foreach (var v in inputs)
            {
                v.Dispose();
            }
        }
    }

    /// <summary>Releases the ONNX Runtime session.</summary>
    public void Dispose()
    {
        _session?.Dispose();
        _model?.Dispose();
        _runOptions.Dispose();
    }

    /// <summary>Teacher forcing through the KV-cached decoder: the first token prefilled, then one token per run.</summary>
    private void RunStepwise(ReadOnlySpan<int> tokens, Span<float> logits)
    {
        int v = _outputWidth;
        using var decoder = _model!.CreateDecoder(1, Graph.Variant, tokens.Length + 1);
        decoder.Prefill(tokens[..1])[..v].CopyTo(logits);
        Span<int> next = stackalloc int[1];
        for (int t = 1; t < tokens.Length; t++)
        {
            next[0] = tokens[t];
            decoder.Decode(next)[..v].CopyTo(logits.Slice(t * v, v));
        }
    }

    private OrtValue EmptyPast(int k)
    {
        // [batch, kv_heads, past, head_size] with batch 1 and past 0.
        var dims = _inputDims[k];
        long[] shape = [1, dims[1], 0, dims[3]];
        var type = _session!.InputMetadata[_inputNames[k]].ElementDataType;
        return OrtValue.CreateAllocatedTensorValue(OrtAllocator.DefaultInstance, type, shape);
    }

    private OrtValue ZeroState(int k)
    {
        // [layers, batch, units] with batch 1.
        var dims = _inputDims[k];
        return OrtValue.CreateTensorValueFromMemory(new float[dims[0] * dims[2]], [dims[0], 1, dims[2]]);
    }
}
