using System.Text.Json;
using MusicGen.Core.Packaging;
using MusicGen.Core.Tokenization;

namespace MusicGen.Onnx;

/// <summary>
/// Random-weight transformer packages for tests and benchmarks (speed does not depend on the weights): the tiny test
/// models, and the bench shape (d 256, 6 layers, 4 heads, vocabulary 512, the llama.cpp comparison's) that
/// <c>musicgen bench-package</c> writes where no trained model of that shape exists (a GPU machine with the bundle only).
/// </summary>
public static class RandomTransformerPackage
{
    /// <summary>A performance tokenizer with exactly 512 tokens (time shifts fill the rest of the vocabulary): the bench shape's.</summary>
    public static IMusicTokenizer Vocabulary512()
    {
        for (int maxShift = 10; maxShift <= 60_000; maxShift += 10)
        {
            var t = new PerformanceTokenizer(new PerformanceConfig { TimeShiftMs = 10, MaxTimeShiftMs = maxShift });
            if (t.VocabularySize == 512) return t;
            if (t.VocabularySize > 512) break;
        }
        throw new InvalidOperationException("No performance configuration has exactly 512 tokens.");
    }

    /// <summary>
    /// Writes a package of random weights into <paramref name="dir"/> (replaced when it exists) with the portable, fast,
    /// fast-int8 and fast-fp16 graphs, or only <paramref name="variants"/> when given.
    /// </summary>
    public static void Write(string dir, IMusicTokenizer tokenizer, int dModel, int layers, int heads, int kvHeads, int context, int seed,
        int? vocabSize = null, IReadOnlyCollection<string>? variants = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(dir);
        ArgumentNullException.ThrowIfNull(tokenizer);
        if (dModel % heads != 0) throw new ArgumentException($"dModel {dModel} is not a multiple of heads {heads}.", nameof(dModel));
        if (Directory.Exists(dir)) Directory.Delete(dir, true);
        Directory.CreateDirectory(dir);
        var config = new TransformerConfig
        {
            VocabSize = vocabSize ?? tokenizer.VocabularySize, DModel = dModel, Layers = layers, Heads = heads, KvHeads = kvHeads,
            HeadSize = dModel / heads, FfnHidden = (dModel * 8 / 3 + 7) / 8 * 8, ContextLength = context,
        };
        var weights = TransformerWeights.Random(config, seed);
        var builders = new (string Variant, Func<BuiltGraph> Build)[]
        {
            (GraphVariants.Portable, () => TransformerGraphs.BuildPortable(weights)),
            (GraphVariants.Fast, () => TransformerGraphs.BuildFast(weights)),
            (GraphVariants.FastInt8, () => TransformerGraphs.BuildFast(weights, int8: true)),
            (GraphVariants.FastFp16, () => TransformerGraphs.BuildFast(weights, fp16: true)),
        };
        var unknown = variants?.Where(v => builders.All(b => b.Variant != v)).ToList();
        if (unknown is { Count: > 0 }) throw new ArgumentException($"Unknown graph variant(s) {string.Join(", ", unknown)}; use {string.Join(", ", builders.Select(b => b.Variant))}.", nameof(variants));
        var graphs = builders.Where(b => variants is null || variants.Contains(b.Variant)).Select(b => b.Build()).ToList();
        foreach (var g in graphs)
        {
            File.WriteAllBytes(Path.Combine(dir, g.Entry.File), g.Model);
            g.Entry.Sha256 = ModelManifest.ComputeSha256(Path.Combine(dir, g.Entry.File));
        }
        var manifest = new ModelManifest
        {
            Name = Path.GetFileName(Path.TrimEndingDirectorySeparator(dir)),
            Version = "test",
            Architecture = ModelArchitectures.Transformer,
            HyperParameters = new ModelHyperParameters
            {
                VocabSize = config.VocabSize, DModel = dModel, Layers = layers, Heads = heads, KvHeads = kvHeads,
                HeadSize = config.HeadSize, FfnHidden = config.FfnHidden, RopeTheta = 10000, NormEpsilon = 1e-5, ContextLength = context,
            },
            Tokenizer = JsonDocument.Parse(tokenizer.ToJson()).RootElement.Clone(),
            SpecialTokens = new SpecialTokenIds { Pad = tokenizer.Pad, Bos = tokenizer.Bos, Eos = tokenizer.Eos },
            ContextLength = context,
            Graphs = [.. graphs.Select(g => g.Entry)],
            CreatedUtc = DateTimeOffset.UtcNow,
        };
        manifest.Save(dir);
    }
}
