using System.Text.Json;
using MusicGen.Core.Packaging;

namespace MusicGen.Onnx;

/// <summary>
/// Writes a model package folder (<c>onnx/&lt;name&gt;/</c>) atomically: everything goes into a temporary folder beside
/// the target, the manifest is validated, file hashes are checked, the caller's validator runs (typically: load every
/// graph in ONNX Runtime with full optimizations), and only then is the folder moved into place. A failed export
/// never replaces or damages an existing package. When two or more graphs share fp32 weights
/// (<see cref="BuiltGraph.SharesWeights"/>: the portable, fast and int8 transformer graphs), those weights are written
/// once into the package's weights file (<see cref="PackageWeights"/>), listed in the manifest's <c>weights</c> entry
/// with its sha256 and size, and the graphs reference it as ONNX external data. A transformer package with a portable graph also gets the
/// <see cref="GenAiConfig"/> file that lets ONNX Runtime GenAI load it.
/// </summary>
public static class ModelPackageWriter
{
    /// <summary>
    /// Writes <paramref name="graphs"/> and the manifest into <paramref name="packageDirectory"/>.
    /// <paramref name="manifest"/> supplies everything but the graphs; its <see cref="ModelManifest.Graphs"/> is replaced
    /// by the built graphs' entries with their sha256, its <see cref="ModelManifest.Weights"/> by the weights file's entry
    /// (or null), and <see cref="ModelManifest.CreatedUtc"/> is set when unset.
    /// </summary>
    /// <param name="packageDirectory">Target folder; its parent is created when missing.</param>
    /// <param name="manifest">Manifest without graphs.</param>
    /// <param name="graphs">The graphs to write (distinct file names).</param>
    /// <param name="validate">Called with the temporary folder and the final manifest before the folder is moved into place; throw to abort.</param>
    /// <returns>The manifest as written.</returns>
    public static ModelManifest Write(string packageDirectory, ModelManifest manifest, IReadOnlyList<BuiltGraph> graphs, Action<string, ModelManifest>? validate = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(packageDirectory);
        ArgumentNullException.ThrowIfNull(manifest);
        ArgumentNullException.ThrowIfNull(graphs);
        if (graphs.Count == 0) throw new ArgumentException("A package needs at least one graph.", nameof(graphs));
        var dupes = graphs.GroupBy(g => g.Entry.File, StringComparer.Ordinal).Where(x => x.Count() > 1).Select(x => x.Key).ToList();
        if (dupes.Count > 0) throw new ArgumentException($"Two graphs share the file name '{dupes[0]}'.", nameof(graphs));
        if (graphs.Any(g => string.Equals(g.Entry.File, PackageWeights.FileName, StringComparison.Ordinal)))
            throw new ArgumentException($"A graph's file name is the weights file's, '{PackageWeights.FileName}'.", nameof(graphs));

        var target = Path.GetFullPath(packageDirectory.TrimEnd(Path.DirectorySeparatorChar, Path.AltDirectorySeparatorChar));
        var parent = Path.GetDirectoryName(target) ?? throw new ArgumentException($"'{packageDirectory}' has no parent folder.", nameof(packageDirectory));
        var leaf = Path.GetFileName(target);
        Directory.CreateDirectory(parent);
        var temp = Path.Combine(parent, $".{leaf}.tmp-{Guid.NewGuid():N}");
        Directory.CreateDirectory(temp);
        try
        {
            manifest.Graphs = [];
            manifest.Weights = null;
            // Two or more graphs with the same fp32 weights (portable, fast, int8): those weights go into one file.
            var weights = graphs.Count(g => g.SharesWeights) >= 2 ? new PackageWeights() : null;
            foreach (var g in graphs)
            {
                var path = Path.Combine(temp, g.Entry.File);
                File.WriteAllBytes(path, g.ToModelBytes(weights));
                g.Entry.Sha256 = ModelManifest.ComputeSha256(path);
                manifest.Graphs.Add(g.Entry);
            }
            if (weights is { Count: > 0 })
            {
                var path = Path.Combine(temp, PackageWeights.FileName);
                weights.Write(path);
                manifest.Weights = new WeightsFileEntry { File = PackageWeights.FileName, Sha256 = ModelManifest.ComputeSha256(path), Size = weights.Length };
            }
            if (manifest.CreatedUtc == default) manifest.CreatedUtc = DateTimeOffset.UtcNow;
            manifest.Save(temp);
            var reread = ModelManifest.Load(temp);
            reread.VerifyFiles(temp);
            if (GenAiConfig.Applies(reread)) GenAiConfig.Write(temp, reread);
            validate?.Invoke(temp, reread);
            Replace(temp, target, parent, leaf);
            return reread;
        }
        catch
        {
            TryDelete(temp);
            throw;
        }
    }

    /// <summary>A transformer manifest (no graphs yet) from the config, tokenizer JSON and special tokens.</summary>
    public static ModelManifest TransformerManifest(string name, TransformerConfig config, string tokenizerJson, SpecialTokenIds specialTokens, TrainingSummary? training = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        return new ModelManifest
        {
            Name = name,
            Architecture = ModelArchitectures.Transformer,
            HyperParameters = new ModelHyperParameters
            {
                VocabSize = config.VocabSize, DModel = config.DModel, Layers = config.Layers, Heads = config.Heads,
                KvHeads = config.KvHeads, HeadSize = config.HeadSize, FfnHidden = config.FfnHidden,
                RopeTheta = config.RopeTheta, NormEpsilon = config.NormEpsilon, ContextLength = config.ContextLength,
            },
            Tokenizer = ParseTokenizer(tokenizerJson),
            SpecialTokens = specialTokens,
            ContextLength = config.ContextLength,
            Training = training,
        };
    }

    /// <summary>An LSTM manifest (no graphs yet).</summary>
    public static ModelManifest LstmManifest(string name, LstmConfig config, int contextLength, string tokenizerJson, SpecialTokenIds specialTokens, TrainingSummary? training = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        return new ModelManifest
        {
            Name = name,
            Architecture = ModelArchitectures.Lstm,
            HyperParameters = new ModelHyperParameters
            {
                VocabSize = config.VocabSize, EmbeddingSize = config.EmbeddingSize, LstmLayers = config.Layers,
                LstmUnits = config.Units, DenseUnits = config.DenseUnits, ContextLength = contextLength,
            },
            Tokenizer = ParseTokenizer(tokenizerJson),
            SpecialTokens = specialTokens,
            ContextLength = contextLength,
            Training = training,
        };
    }

    private static JsonElement ParseTokenizer(string json)
    {
        ArgumentException.ThrowIfNullOrEmpty(json);
        using var doc = JsonDocument.Parse(json);
        if (doc.RootElement.ValueKind != JsonValueKind.Object)
            throw new ArgumentException("The tokenizer configuration must be a JSON object.", nameof(json));
        return doc.RootElement.Clone();
    }

    private static void Replace(string temp, string target, string parent, string leaf)
    {
        if (!Directory.Exists(target))
        {
            Directory.Move(temp, target);
            return;
        }
        var backup = Path.Combine(parent, $".{leaf}.old-{Guid.NewGuid():N}");
        Directory.Move(target, backup);
        try
        {
            Directory.Move(temp, target);
        }
        catch
        {
            Directory.Move(backup, target);
            throw;
        }
        TryDelete(backup);
    }

    private static void TryDelete(string dir)
    {
        try
        {
            if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
        }
        catch (IOException)
        {
            // A leftover hidden folder beside the package is harmless; the package itself is already in place.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
