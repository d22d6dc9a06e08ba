using MusicGen.Core.Packaging;
using MusicGen.Onnx;

namespace MusicGen.Onnx.Tests;

public sealed class PackageTests : IDisposable
{
    private const string TokenizerJson = """{"kind":"remi","version":1,"beatResolution":8}""";
    private readonly string _root = Path.Combine(Path.GetTempPath(), "musicgen-onnx-tests-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_root)) Directory.Delete(_root, recursive: true);
    }

    private static void LoadEveryGraphInOrt(string dir, ModelManifest manifest)
    {
        foreach (var g in manifest.Graphs)
        {
            using var s = OrtHarness.CreateClean(Path.Combine(dir, g.File));
            Assert.Equal(g.Inputs.Select(i => i.Name), s.InputMetadata.Keys);
            Assert.Equal(g.Outputs.Select(o => o.Name), s.OutputMetadata.Keys);
        }
    }

    private static ModelManifest WriteTransformer(string dir, Action<string, ModelManifest>? validate = null)
    {
        var w = TransformerWeights.Random(Models.Tiny, 1);
        var manifest = ModelPackageWriter.TransformerManifest("tiny", Models.Tiny, TokenizerJson, new SpecialTokenIds { Pad = 0, Bos = 1, Eos = 2 },
            new TrainingSummary { Data = "random", Steps = 0 });
        return ModelPackageWriter.Write(dir, manifest,
            [TransformerGraphs.BuildPortable(w), TransformerGraphs.BuildFast(w), TransformerGraphs.BuildFast(w, fp16: true)],
            validate ?? LoadEveryGraphInOrt);
    }

    [Fact]
    public void TransformerPackageRoundTripsAndVerifies()
    {
        var dir = Path.Combine(_root, "onnx", "tiny");
        var written = WriteTransformer(dir);
        var loaded = ModelManifest.Load(dir);
        loaded.VerifyFiles(dir);
        Assert.Equal(["portable", "fast", "fast-fp16"], loaded.Graphs.Select(g => g.Variant));
        Assert.Equal(written.ToJson(), loaded.ToJson());
        Assert.Equal(TokenizerJson, loaded.TokenizerJson);
        Assert.Equal("last", loaded.FindGraph(GraphVariants.Fast)!.Logits);
        Assert.True(loaded.FindGraph(GraphVariants.Fast)!.KvLayout!.SharedBuffer);
        Assert.Equal(Models.Tiny.ContextLength, loaded.FindGraph(GraphVariants.Fast)!.KvLayout!.MaxLength);
        Assert.Equal("all", loaded.FindGraph(GraphVariants.Portable)!.Logits);
        Assert.Single(Directory.GetDirectories(Path.Combine(_root, "onnx"))); // no temporary folder left
    }

    [Fact]
    public void LstmPackageLoadsInOrt()
    {
        var dir = Path.Combine(_root, "onnx", "lstm");
        var manifest = ModelPackageWriter.LstmManifest("lstm", Models.TinyLstm, 512, TokenizerJson, new SpecialTokenIds { Pad = 0, Bos = 1, Eos = 2 });
        ModelPackageWriter.Write(dir, manifest, [LstmGraph.Build(LstmWeights.Random(Models.TinyLstm, 3))], LoadEveryGraphInOrt);
        var loaded = ModelManifest.Load(dir);
        loaded.VerifyFiles(dir);
        Assert.Equal("lstm", loaded.Architecture);
        Assert.Null(loaded.Graphs[0].KvLayout);
    }

    [Fact]
    public void TamperedFileFailsVerification()
    {
        var dir = Path.Combine(_root, "onnx", "tiny");
        WriteTransformer(dir);
        var file = Path.Combine(dir, "model.fast.onnx");
        var bytes = File.ReadAllBytes(file);
        bytes[^1] ^= 0xFF;
        File.WriteAllBytes(file, bytes);
        var e = Assert.Throws<ModelPackageException>(() => ModelManifest.Load(dir).VerifyFiles(dir));
        Assert.Contains("sha256 mismatch", e.Message);
        Assert.Contains("model.fast.onnx", e.Message);
        File.Delete(file);
        e = Assert.Throws<ModelPackageException>(() => ModelManifest.Load(dir).VerifyFiles(dir));
        Assert.Contains("missing", e.Message);
    }

    [Fact]
    public void FailedExportLeavesThePreviousPackageIntact()
    {
        var dir = Path.Combine(_root, "onnx", "tiny");
        WriteTransformer(dir);
        var before = Directory.GetFiles(dir).ToDictionary(f => Path.GetFileName(f), File.ReadAllBytes);
        Assert.Throws<InvalidOperationException>(() => WriteTransformer(dir, (_, _) => throw new InvalidOperationException("ORT refused")));
        var after = Directory.GetFiles(dir).ToDictionary(f => Path.GetFileName(f), File.ReadAllBytes);
        Assert.Equal(before.Keys.Order(), after.Keys.Order());
        foreach (var (k, v) in before) Assert.Equal(v, after[k]);
        Assert.Single(Directory.GetDirectories(Path.Combine(_root, "onnx")));
        ModelManifest.Load(dir).VerifyFiles(dir);
    }

    [Fact]
    public void ExportReplacesAnExistingPackage()
    {
        var dir = Path.Combine(_root, "onnx", "tiny");
        WriteTransformer(dir);
        File.WriteAllText(Path.Combine(dir, "stale.txt"), "old");
        WriteTransformer(dir);
        Assert.False(File.Exists(Path.Combine(dir, "stale.txt")));
        ModelManifest.Load(dir).VerifyFiles(dir);
    }

    [Theory]
    [InlineData("\"formatVersion\": 1", "\"formatVersion\": 2", "formatVersion")]
    [InlineData("\"architecture\": \"transformer\"", "\"architecture\": \"gru\"", "architecture 'gru'")]
    [InlineData("\"eos\": 2", "\"eos\": 4000", "specialTokens.eos")]
    [InlineData("\"file\": \"model.onnx\"", "\"file\": \"../model.onnx\"", "plain file name")]
    [InlineData("\"variant\": \"fast\"", "\"variant\": \"turbo\"", "variant 'turbo'")]
    [InlineData("\"kvHeads\": 2,", "\"kvHeads\": 3,", "multiple of kvHeads")]
    public void InvalidManifestsAreRejectedWithTheField(string from, string to, string expected)
    {
        var dir = Path.Combine(_root, "onnx", "tiny");
        var json = WriteTransformer(dir).ToJson();
        Assert.Contains(from, json);
        var e = Assert.Throws<ModelPackageException>(() => ModelManifest.FromJson(json.Replace(from, to, StringComparison.Ordinal)));
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void MissingFolderAndMalformedJsonHaveClearErrors()
    {
        var e = Assert.Throws<ModelPackageException>(() => ModelManifest.Load(Path.Combine(_root, "nope")));
        Assert.Contains("does not exist", e.Message);
        e = Assert.Throws<ModelPackageException>(() => ModelManifest.FromJson("{ \"name\": "));
        Assert.Contains("malformed", e.Message);
    }
}

public sealed class ManifestJsonTests
{
    [Fact]
    public void JsonUsesTheDocumentedNames()
    {
        var w = TransformerWeights.Random(Models.Tiny, 1);
        var m = ModelPackageWriter.TransformerManifest("tiny", Models.Tiny, """{"kind":"remi"}""", new SpecialTokenIds { Pad = 0, Bos = 1, Eos = 2 });
        var fast = TransformerGraphs.BuildFast(w).Entry;
        fast.Sha256 = new string('a', 64);
        m.Graphs.Add(fast);
        m.CreatedUtc = DateTimeOffset.UnixEpoch;
        var json = m.ToJson();
        foreach (var key in new[] { "formatVersion", "name", "version", "architecture", "hyperParameters", "vocabSize", "dModel", "kvHeads",
                     "headSize", "ffnHidden", "tokenizer", "specialTokens", "pad", "bos", "eos", "contextLength", "graphs", "variant", "file",
                     "sha256", "precision", "inputs", "outputs", "elementType", "shape", "logits", "kvLayout", "sharedBuffer", "maxLength",
                     "pastKey", "presentValue", "padding", "providers", "createdUtc" })
            Assert.Contains($"\"{key}\":", json);
        var back = ModelManifest.FromJson(json);
        Assert.Equal(json, back.ToJson());
        Assert.Equal("remi", back.Tokenizer.GetProperty("kind").GetString());
    }
}
