using MusicGen.Core.Packaging;
using MusicGen.Onnx;
using MusicGen.Training.Models;
using TorchSharp;
using static TorchSharp.torch;
using OnnxLstmConfig = MusicGen.Onnx.LstmConfig;
using OnnxTransformerConfig = MusicGen.Onnx.TransformerConfig;

namespace MusicGen.Training.Export;

/// <summary>
/// Turns a TorchSharp <see cref="TrainableMusicModel"/> into ONNX graphs (via MusicGen.Onnx's builders, from the model's named
/// weights) and writes a package atomically, validated by loading every graph in ONNX Runtime.
/// </summary>
internal static class ModelExporter
{
    /// <summary>Variants accepted by <c>--variant</c>.</summary>
    public static readonly string[] VariantChoices = ["portable", "fast", "all"];

    /// <summary>The ONNX builders' config for a transformer; <paramref name="contextLength"/> sizes the rotary tables and the fast KV buffer.</summary>
    private static OnnxTransformerConfig OnnxConfig(MusicGen.Training.Models.TransformerConfig c, int contextLength) => new()
    {
        VocabSize = c.VocabSize, DModel = c.DModel, Layers = c.Layers, Heads = c.Heads, KvHeads = c.EffectiveKvHeads,
        HeadSize = c.HeadSize, FfnHidden = c.FfnHidden, ContextLength = contextLength, RopeTheta = c.RopeTheta,
        NormEpsilon = RmsNorm.Epsilon,
    };

    /// <summary>The ONNX builders' config for an LSTM.</summary>
    private static OnnxLstmConfig OnnxConfig(MusicGen.Training.Models.LstmConfig c) =>
        new() { VocabSize = c.VocabSize, EmbeddingSize = c.EmbeddingSize, Layers = c.Layers, Units = c.Units, DenseUnits = c.DenseUnits };

    /// <summary>Builds the requested graphs. <paramref name="contextLength"/> sizes the rotary tables and the fast KV buffer.</summary>
    public static List<BuiltGraph> BuildGraphs(TrainableMusicModel model, string variant, int contextLength, TextWriter log)
    {
        var weights = model.ExportWeights().ToDictionary(kv => kv.Key, kv => kv.Value.Data, StringComparer.Ordinal);
        switch (model)
        {
            case TransformerMusicModel t:
            {
                var c = t.Config;
                var config = OnnxConfig(c, contextLength);
                var w = new TransformerWeights(config, weights);
                var graphs = new List<BuiltGraph>();
                if (variant is "portable" or "all") graphs.Add(TransformerGraphs.BuildPortable(w));
                if (variant is "fast" or "all")
                {
                    if (config.HeadSize % 16 != 0)
                    {
                        if (variant == "fast")
                            throw new ArgumentException($"--variant fast: head size {config.HeadSize} is not a multiple of 16 (GroupQueryAttention); export the portable graph.");
                        log.WriteLine($"note: head size {config.HeadSize} is not a multiple of 16, so no fast graph (GroupQueryAttention) is exported.");
                    }
                    else
                    {
                        graphs.Add(TransformerGraphs.BuildFast(w));
                        graphs.Add(TransformerGraphs.BuildFast(w, fp16: true));
                        graphs.Add(TransformerGraphs.BuildFast(w, int8: true));
                    }
                }
                return graphs;
            }
            case LstmMusicModel l:
            {
                var c = l.Config;
                var config = OnnxConfig(c);
                return [LstmGraph.Build(new LstmWeights(config, weights))];
            }
            default:
                throw new ArgumentException($"Cannot export a model of type {model.GetType().Name}.");
        }
    }

    /// <summary>The manifest (without graphs) for a model.</summary>
    public static ModelManifest Manifest(TrainableMusicModel model, string name, int contextLength, string tokenizerJson, SpecialTokenIds special, TrainingSummary? training)
    {
        switch (model)
        {
            case TransformerMusicModel t:
            {
                var c = t.Config;
                var config = OnnxConfig(c, contextLength);
                var m = ModelPackageWriter.TransformerManifest(name, config, tokenizerJson, special, training);
                m.HyperParameters.ContextLength = c.ContextLength; // the training window; the graphs accept contextLength
                return m;
            }
            case LstmMusicModel l:
            {
                var c = l.Config;
                var config = OnnxConfig(c);
                var m = ModelPackageWriter.LstmManifest(name, config, contextLength, tokenizerJson, special, training);
                m.HyperParameters.ContextLength = c.ContextLength;
                return m;
            }
            default:
                throw new ArgumentException($"Cannot export a model of type {model.GetType().Name}.");
        }
    }

    /// <summary>
    /// Builds, writes and validates a package; returns the manifest as written. <paramref name="sampling"/> becomes the
    /// manifest's <c>sampling</c> block (the model's sampling defaults), checked first by the inference library's own
    /// rules (<see cref="MusicGen.Inference.SamplingOptions.CheckDefaults"/>): an invalid block fails before anything is written, so an
    /// existing package stays as it was.
    /// </summary>
    public static ModelManifest Export(TrainableMusicModel model, string outDirectory, string variant, int contextLength, string tokenizerJson,
        SpecialTokenIds special, TrainingSummary? training, OrtSessions ort, TextWriter log, string version = "1",
        IReadOnlyDictionary<string, string>? meterMap = null, IReadOnlyDictionary<string, double>? sampling = null,
        IReadOnlyDictionary<string, int>? trackPrograms = null, int[]? normalizedKeys = null)
    {
        if (MusicGen.Inference.SamplingOptions.CheckDefaults(sampling) is { Count: > 0 } problems)
            throw new ArgumentException($"sampling defaults: {string.Join(" ", problems)} Nothing was written.");
        if (!VariantChoices.Contains(variant)) throw new ArgumentException($"--variant must be one of {string.Join(", ", VariantChoices)}, not '{variant}'.");
        if (model is LstmMusicModel && variant == "fast") throw new ArgumentException("--variant fast applies to transformers; an LSTM package has one graph.");
        if (contextLength <= 0) throw new ArgumentException($"context length must be positive, got {contextLength}.");
        var name = Path.GetFileName(Path.GetFullPath(outDirectory).TrimEnd(Path.DirectorySeparatorChar));
        var manifest = Manifest(model, name, contextLength, tokenizerJson, special, training);
        manifest.Version = version;
        manifest.MeterMap = meterMap is { Count: > 0 } ? new Dictionary<string, string>(meterMap, StringComparer.Ordinal) : null;
        manifest.TrackPrograms = trackPrograms is { Count: > 0 } ? new Dictionary<string, int>(trackPrograms, StringComparer.Ordinal) : null;
        manifest.Sampling = sampling is { Count: > 0 } ? new Dictionary<string, double>(sampling, StringComparer.Ordinal) : null;
        manifest.NormalizedKeys = normalizedKeys is null ? null : [.. normalizedKeys];
        var graphs = BuildGraphs(model, variant, contextLength, log);
        return ModelPackageWriter.Write(outDirectory, manifest, graphs, ort.ValidatePackage);
    }

    /// <summary>The TorchSharp model as a reference for <see cref="PackageVerifier"/>: logits of one sequence from positions 0 / zero state.</summary>
    public static Func<IReadOnlyList<int>, float[][]> Reference(TrainableMusicModel model)
    {
        model.eval();
        return tokens =>
        {
            using var scope = NewDisposeScope();
            using var _ = no_grad();
            var ids = tensor(tokens.Select(t => (long)t).ToArray(), [1, tokens.Count], ScalarType.Int64);
            var logits = model.call(ids).to_type(ScalarType.Float32).cpu().contiguous();
            var flat = logits.data<float>().ToArray();
            int V = (int)logits.shape[2];
            var rows = new float[tokens.Count][];
            for (int t = 0; t < tokens.Count; t++) rows[t] = flat.AsSpan(t * V, V).ToArray();
            return rows;
        };
    }
}
