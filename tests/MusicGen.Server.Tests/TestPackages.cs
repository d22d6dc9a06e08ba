using System.Text.Json;
using MusicGen.Core.Packaging;
using MusicGen.Core.Tokenization;
using MusicGen.Onnx;

namespace MusicGen.Server.Tests;

/// <summary>Real model packages with tiny random weights, written at test time with training/MusicGen.Onnx.</summary>
internal static class TestPackages
{
    public static readonly ChoraleTokenizer Tokenizer = new(new ChoraleConfig { MinPitch = 48, MaxPitch = 84 });

    /// <summary>Writes a fast-graph transformer package into <paramref name="dir"/> (created), atomically by rename.</summary>
    public static string Write(string dir, string name, string version, int seed, int context = 512, int dModel = 32, int layers = 2,
        IMusicTokenizer? tokenizer = null, int heads = 2, int kvHeads = 1, int headSize = 16)
    {
        var tok = tokenizer ?? Tokenizer;
        var config = new TransformerConfig
        {
            VocabSize = tok.VocabularySize, DModel = dModel, Layers = layers, Heads = heads, KvHeads = kvHeads, HeadSize = headSize,
            FfnHidden = dModel * 2, ContextLength = context,
        };
        var weights = TransformerWeights.Random(config, seed);
        var graph = TransformerGraphs.BuildFast(weights);
        var parent = Path.GetDirectoryName(Path.GetFullPath(dir))!;
        var tmp = Path.Combine(parent, $".{Path.GetFileName(dir)}.tmp-{Guid.NewGuid():N}");
        Directory.CreateDirectory(tmp);
        var file = Path.Combine(tmp, graph.Entry.File);
        File.WriteAllBytes(file, graph.Model);
        graph.Entry.Sha256 = ModelManifest.ComputeSha256(file);
        var manifest = new ModelManifest
        {
            Name = name,
            Version = version,
            Architecture = ModelArchitectures.Transformer,
            HyperParameters = new ModelHyperParameters
            {
                VocabSize = config.VocabSize, DModel = config.DModel, Layers = config.Layers, Heads = config.Heads, KvHeads = config.KvHeads,
                HeadSize = config.HeadSize, FfnHidden = config.FfnHidden, RopeTheta = config.RopeTheta, NormEpsilon = config.NormEpsilon,
                ContextLength = config.ContextLength,
            },
            Tokenizer = JsonDocument.Parse(tok.ToJson()).RootElement.Clone(),
            SpecialTokens = new SpecialTokenIds { Pad = tok.Pad, Bos = tok.Bos, Eos = tok.Eos },
            ContextLength = context,
            Graphs = [graph.Entry],
            CreatedUtc = DateTimeOffset.UtcNow,
        };
        manifest.Save(tmp);
        if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
        Directory.Move(tmp, dir);
        return dir;
    }

    /// <summary>
    /// Writes a transformer package with the portable, fast and int8 graphs through the exporter's package writer, so
    /// their shared fp32 weights are in the package's weights file (model.weights).
    /// </summary>
    public static string WriteWithWeightsFile(string dir, string name, string version, int seed)
    {
        var config = new TransformerConfig
        {
            VocabSize = Tokenizer.VocabularySize, DModel = 32, Layers = 2, Heads = 2, KvHeads = 1, HeadSize = 16, FfnHidden = 64, ContextLength = 512,
        };
        var weights = TransformerWeights.Random(config, seed);
        var manifest = ModelPackageWriter.TransformerManifest(name, config, Tokenizer.ToJson(),
            new SpecialTokenIds { Pad = Tokenizer.Pad, Bos = Tokenizer.Bos, Eos = Tokenizer.Eos });
        manifest.Version = version;
        ModelPackageWriter.Write(dir, manifest,
            [TransformerGraphs.BuildPortable(weights), TransformerGraphs.BuildFast(weights), TransformerGraphs.BuildFast(weights, int8: true)]);
        return dir;
    }

    /// <summary>
    /// Writes a package whose ONNX file is truncated to half; the manifest's sha256 is made to match, so the
    /// rejection comes from ONNX Runtime failing to load the graph, not from the checksum.
    /// </summary>
    public static string WriteTruncated(string dir, string name, string version, int seed)
    {
        var tmp = Write(Path.Combine(Path.GetTempPath(), $"musicgen-trunc-{Guid.NewGuid():N}"), name, version, seed);
        var manifest = ModelManifest.Load(tmp);
        var file = Path.Combine(tmp, manifest.Graphs[0].File);
        var bytes = File.ReadAllBytes(file);
        File.WriteAllBytes(file, bytes[..(bytes.Length / 2)]);
        manifest.Graphs[0].Sha256 = ModelManifest.ComputeSha256(file);
        manifest.Save(tmp);
        CopyDirectory(tmp, dir);
        Directory.Delete(tmp, recursive: true);
        return dir;
    }

    /// <summary>Copies a package folder file by file (as a person copying it in would).</summary>
    public static void CopyDirectory(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var f in Directory.GetFiles(from)) File.Copy(f, Path.Combine(to, Path.GetFileName(f)), overwrite: true);
    }
}
