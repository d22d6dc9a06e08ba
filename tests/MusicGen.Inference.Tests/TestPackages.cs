using System.Text.Json;
using MusicGen.Core.Packaging;
using MusicGen.Core.Tokenization;
using MusicGen.Onnx;

namespace MusicGen.Inference.Tests;

/// <summary>Writes tiny random-weight model packages at test time (no checked-in weights).</summary>
internal static class TestPackages
{
    private static readonly Lock Gate = new();
    private static readonly Dictionary<string, string> Built = [];

    private static readonly string Root = CleanRoot();

    /// <summary>The scratch folder for this run; folders left by runs over an hour old are removed.</summary>
    private static string CleanRoot()
    {
        var root = Path.Combine(Path.GetTempPath(), "musicgen-inference-tests");
        Directory.CreateDirectory(root);
        foreach (var dir in Directory.GetDirectories(root))
        {
            try
            {
                if (Directory.GetLastWriteTimeUtc(dir) < DateTime.UtcNow.AddHours(-1)) Directory.Delete(dir, true);
            }
            catch (IOException)
            {
            }
            catch (UnauthorizedAccessException)
            {
            }
        }
        return root;
    }

    /// <summary>A fresh folder under this run's scratch root.</summary>
    public static string Scratch(string prefix)
    {
        var dir = Path.Combine(Root, prefix + "-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        return dir;
    }

    public static IMusicTokenizer Tokenizer() => new ChoraleTokenizer(new ChoraleConfig { MinPitch = 48, MaxPitch = 84, FramesPerQuarter = 2 });

    /// <summary>A transformer package (portable, fast, fast-int8 and fast-fp16 graphs) shared by the tests of one run; built once.</summary>
    public static string Transformer(string key = "tiny", int dModel = 32, int layers = 2, int heads = 2, int kvHeads = 1, int context = 512, int seed = 7, IMusicTokenizer? tokenizer = null)
    {
        lock (Gate)
        {
            if (Built.TryGetValue(key, out var existing)) return existing;
            var dir = Path.Combine(Root, $"{key}-{Environment.ProcessId}");
            WriteTransformer(dir, tokenizer ?? Tokenizer(), dModel, layers, heads, kvHeads, context, seed);
            Built[key] = dir;
            return dir;
        }
    }

    public static void CopyDirectory(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var f in Directory.GetFiles(from)) File.Copy(f, Path.Combine(to, Path.GetFileName(f)), overwrite: true);
    }

    public static void WriteTransformer(string dir, IMusicTokenizer tokenizer, int dModel, int layers, int heads, int kvHeads, int context, int seed, int? vocabSize = null) =>
        RandomTransformerPackage.Write(dir, tokenizer, dModel, layers, heads, kvHeads, context, seed, vocabSize);

    /// <summary>An LSTM package shared by the tests of one run; built once.</summary>
    public static string Lstm()
    {
        lock (Gate)
        {
            if (Built.TryGetValue("lstm", out var existing)) return existing;
            var dir = Path.Combine(Root, $"lstm-{Environment.ProcessId}");
            if (Directory.Exists(dir)) Directory.Delete(dir, true);
            var tokenizer = Tokenizer();
            var config = new LstmConfig { VocabSize = tokenizer.VocabularySize, EmbeddingSize = 16, Layers = 2, Units = 24, DenseUnits = 20 };
            var graph = LstmGraph.Build(LstmWeights.Random(config, 11));
            var manifest = ModelPackageWriter.LstmManifest("lstm-test", config, 512, tokenizer.ToJson(),
                new SpecialTokenIds { Pad = tokenizer.Pad, Bos = tokenizer.Bos, Eos = tokenizer.Eos });
            ModelPackageWriter.Write(dir, manifest, [graph]);
            Built["lstm"] = dir;
            return dir;
        }
    }

    /// <summary>A fresh copy of a package folder (for tests that damage it).</summary>
    public static string CopyOf(string source)
    {
        var dir = Path.Combine(Root, "copy-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        foreach (var f in Directory.GetFiles(source)) File.Copy(f, Path.Combine(dir, Path.GetFileName(f)));
        return dir;
    }
}
