using MusicGen.Core.Packaging;
using MusicGen.Core.Tokenization;
using MusicGen.Onnx;
using MusicGen.Training.Models;

namespace MusicGen.Training.Training;

/// <summary>
/// The starting weights of a fresh run from <c>training.initFrom</c>: a checkpoint file (its EMA weights when it has
/// them, <see cref="Checkpoint.EvaluatedWeights"/>), or a model package folder (weights recovered from a transformer's
/// portable graph, <see cref="PortableGraphWeights"/>, or from an LSTM's graph, <see cref="LstmGraphWeights"/>). The source may have
/// a smaller vocabulary when its tokenizer's vocabulary is a prefix of the run's (names in id order, as REMI's key and
/// chord tokens come after the base vocabulary; synthetic data has no names, so its ids are taken as they are): the
/// vocabulary rows of the embedding and output weights are copied for the shared ids, and the new ids keep their
/// fresh initialisation. A transformer source may also have fewer layers than the run (the same width): its layers
/// become the run's first layers, and each added layer starts fresh with its two output projections (<c>wo</c>,
/// <c>w2</c>) zeroed, so it adds nothing to the residual stream and the grown model computes exactly what the source
/// did until training moves them. Every other weight must have the model's shape.
/// </summary>
public static class InitialWeights
{
    /// <summary>Copies the source's weights into <paramref name="model"/>; returns a line saying what was loaded.</summary>
    public static string Load(TrainableMusicModel model, string source, string? runTokenizerJson)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentException.ThrowIfNullOrEmpty(source);
        Dictionary<string, (float[] Data, long[] Shape)> tensors;
        string? sourceTokenizer;
        int sourceVocab;
        string what;
        if (Directory.Exists(source))
        {
            ModelManifest manifest;
            IEnumerable<(string Name, int[] Shape)> expected;
            IReadOnlyDictionary<string, float[]> read;
            if (ModelManifest.Load(source).Architecture == ModelArchitectures.Lstm)
            {
                var lstm = LstmGraphWeights.Read(source, out manifest);
                (expected, read, sourceVocab) = (LstmWeights.ExpectedShapes(lstm.Config), lstm.Tensors, lstm.Config.VocabSize);
                what = $"package {manifest.Name} version {manifest.Version} (LSTM graph)";
            }
            else
            {
                var weights = PortableGraphWeights.Read(source, out manifest);
                (expected, read, sourceVocab) = (TransformerWeights.ExpectedShapes(weights.Config), weights.Tensors, weights.Config.VocabSize);
                what = $"package {manifest.Name} version {manifest.Version} (portable graph)";
            }
            var shapes = expected.ToDictionary(s => s.Name, s => s.Shape, StringComparer.Ordinal);
            tensors = read.ToDictionary(kv => "model/" + kv.Key, kv => (kv.Value, shapes[kv.Key].Select(x => (long)x).ToArray()), StringComparer.Ordinal);
            sourceTokenizer = manifest.TokenizerJson.Length == 0 ? null : manifest.TokenizerJson;
        }
        else
        {
            var (meta, read) = Checkpoint.Read(source);
            tensors = Checkpoint.EvaluatedWeights(read);
            sourceTokenizer = meta.Tokenizer;
            sourceVocab = meta.Model.Architecture == "lstm" ? meta.Model.Lstm?.VocabSize ?? 0 : meta.Model.Transformer?.VocabSize ?? 0;
            what = $"checkpoint step {meta.Step}{(Checkpoint.HasAverage(read) ? ", its EMA weights" : "")}";
        }
        int runVocab = model.VocabSize;
        int sourceLayers = LayerCount(tensors.Keys.Select(k => k["model/".Length..]));
        int runLayers = LayerCount(model.state_dict().Keys);
        if (sourceLayers > runLayers)
            throw new ArgumentException($"initFrom {source}: it has {sourceLayers} layers, the run {runLayers}; layers can only be added.");
        int? growFrom = sourceLayers < runLayers ? sourceLayers : null;
        string grown = growFrom is null ? "" : $"; layers grown from {sourceLayers} to {runLayers}: layers {sourceLayers}..{runLayers - 1} start as identities (wo, w2 zero)";
        if (sourceVocab == runVocab)
        {
            Checkpoint.LoadWeights(model, tensors, source, growLayersFrom: growFrom);
            return $"initialised from {source} ({what}){grown}";
        }
        CheckVocabularyPrefix(sourceTokenizer, sourceVocab, runTokenizerJson, runVocab, source);
        Checkpoint.LoadWeights(model, tensors, source, (sourceVocab, runVocab), growFrom);
        return $"initialised from {source} ({what}); vocabulary grown from {sourceVocab} to {runVocab}: ids {sourceVocab}..{runVocab - 1} start fresh{grown}";
    }

    /// <summary>The number of transformer layers among weight names (<c>layers.N.*</c>); 0 for an LSTM.</summary>
    internal static int LayerCount(IEnumerable<string> names)
    {
        int count = 0;
        foreach (var name in names)
            if (Checkpoint.LayerIndex(name) is int i) count = Math.Max(count, i + 1);
        return count;
    }

    /// <summary>
    /// Throws <see cref="ArgumentException"/> unless the source vocabulary is a proper prefix of the run's: the same
    /// token names at every source id (both with tokenizers), or both without tokenizers and the source smaller.
    /// </summary>
    public static void CheckVocabularyPrefix(string? sourceTokenizerJson, int sourceVocab, string? runTokenizerJson, int runVocab, string source)
    {
        if (sourceVocab >= runVocab)
            throw new ArgumentException($"initFrom {source}: its vocabulary of {sourceVocab} is not smaller than the run's {runVocab}; a vocabulary can only grow.");
        if ((sourceTokenizerJson is null) != (runTokenizerJson is null))
            throw new ArgumentException($"initFrom {source}: one of the source and the run has a tokenizer and the other has none, so their token ids cannot be matched.");
        if (sourceTokenizerJson is null || runTokenizerJson is null) return;
        var src = TokenizerJson.FromJson(sourceTokenizerJson);
        var run = TokenizerJson.FromJson(runTokenizerJson);
        if (src.VocabularySize != sourceVocab)
            throw new ArgumentException($"initFrom {source}: its tokenizer has {src.VocabularySize} tokens, its weights {sourceVocab}.");
        if (src.Kind != run.Kind)
            throw new ArgumentException($"initFrom {source}: a {src.Kind} tokenizer, the run's is {run.Kind}.");
        for (int id = 0; id < sourceVocab; id++)
            if (!string.Equals(src.TokenName(id), run.TokenName(id), StringComparison.Ordinal))
                throw new ArgumentException($"initFrom {source}: token {id} is '{src.TokenName(id)}' there and '{run.TokenName(id)}' in the run's tokenizer; only a vocabulary that extends the source's can reuse its weights.");
    }
}
