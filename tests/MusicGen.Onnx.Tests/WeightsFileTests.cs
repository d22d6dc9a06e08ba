using MusicGen.Core.Packaging;
using MusicGen.Core.Tokenization;
using MusicGen.Inference;
using MusicGen.Onnx;

namespace MusicGen.Onnx.Tests;

/// <summary>
/// The package weights file (<see cref="PackageWeights"/>): the fp32 weights the portable, fast and int8 graphs share
/// written once, referenced as ONNX external data, read back, checked by the manifest's hash and size.
/// </summary>
public sealed class WeightsFileTests : IDisposable
{
    private const string TokenizerJson = """{"kind":"remi","version":1,"beatResolution":8}""";
    private static readonly TransformerWeights Weights = TransformerWeights.Random(Models.Tiny, seed: 4);
    private readonly string _root = Path.Combine(Path.GetTempPath(), "musicgen-weights-file-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_root)) Directory.Delete(_root, recursive: true);
    }

    private static ModelManifest Manifest() =>
        ModelPackageWriter.TransformerManifest("tiny", Models.Tiny, TokenizerJson, new SpecialTokenIds { Pad = 0, Bos = 1, Eos = 2 });

    private static void LoadEveryGraphByPath(string dir, ModelManifest manifest)
    {
        foreach (var g in manifest.Graphs)
        {
            using var s = OrtHarness.CreateClean(Path.Combine(dir, g.File));
            Assert.Equal(g.Inputs.Select(i => i.Name), s.InputMetadata.Keys);
        }
    }

    private string WriteAll(string name = "tiny")
    {
        var dir = Path.Combine(_root, name);
        ModelPackageWriter.Write(dir, Manifest(),
            [TransformerGraphs.BuildPortable(Weights), TransformerGraphs.BuildFast(Weights), TransformerGraphs.BuildFast(Weights, fp16: true),
             TransformerGraphs.BuildFast(Weights, int8: true)],
            LoadEveryGraphByPath);
        return dir;
    }

    private static long FloatBytes(IReadOnlyDictionary<string, (float[] Data, long[] Dims)> tensors, Func<string, bool> which) =>
        tensors.Where(kv => which(kv.Key)).Sum(kv => (long)kv.Value.Data.Length * 4);

    [Fact]
    public void Shared_weights_are_written_once_and_both_graphs_read_them_from_the_file()
    {
        var dir = WriteAll();
        var manifest = ModelManifest.Load(dir);
        manifest.VerifyFiles(dir);
        var weightsPath = Path.Combine(dir, PackageWeights.FileName);
        Assert.NotNull(manifest.Weights);
        Assert.Equal(PackageWeights.FileName, manifest.Weights!.File);
        Assert.Equal(new FileInfo(weightsPath).Length, manifest.Weights.Size);
        Assert.Contains("\"weights\":", manifest.ToJson(), StringComparison.Ordinal);

        var portable = OnnxInitializerReader.ReadFloat(Path.Combine(dir, TransformerGraphs.PortableFile));
        var fast = OnnxInitializerReader.ReadFloat(Path.Combine(dir, TransformerGraphs.FastFile));
        var stored = new Func<string, bool>(n => portable[n].Data.Length >= PackageWeights.MinValues);
        // Every fp32 weight of the portable graph is in the fast graph with the same values ...
        foreach (var (name, t) in portable.Where(kv => stored(kv.Key)))
        {
            Assert.True(fast.TryGetValue(name, out var f), $"{name} is not in the fast graph");
            Assert.Equal(t.Data, f.Data);
            Assert.Equal(t.Dims, f.Dims);
        }
        // ... and is stored once: the file holds the portable graph's weights plus the int8 graph's scales, with padding.
        var int8 = OnnxInitializerReader.ReadFloat(Path.Combine(dir, TransformerGraphs.FastInt8File));
        long once = FloatBytes(portable, stored) + FloatBytes(int8, n => !portable.ContainsKey(n) && int8[n].Data.Length >= PackageWeights.MinValues);
        Assert.InRange(manifest.Weights.Size, once, once + (portable.Count + int8.Count) * (long)PackageWeights.LargeAlignment);
        // The graph files no longer carry those weights: they are smaller than the weights file together.
        long graphs = new FileInfo(Path.Combine(dir, TransformerGraphs.PortableFile)).Length + new FileInfo(Path.Combine(dir, TransformerGraphs.FastFile)).Length;
        Assert.True(graphs < FloatBytes(portable, stored) / 2, $"graph files {graphs} bytes, weights {FloatBytes(portable, stored)}");
        Assert.Equal(portable["tok_embeddings.weight"].Data, int8["tok_embeddings.weight"].Data);
        // The output layer is the embedding itself (tied, transposed in the graph), not a stored transposed copy.
        Assert.All(new[] { portable, fast, int8 }, graph => Assert.DoesNotContain(graph.Keys, n => n.StartsWith("lm_head", StringComparison.Ordinal)));
        // The fp16 graph stays self-contained and the reader refuses external data without the model's folder.
        Assert.DoesNotContain(OnnxInitializerReader.ReadFloat(File.ReadAllBytes(Path.Combine(dir, TransformerGraphs.FastFp16File))),
            kv => kv.Value.Data.Length >= PackageWeights.MinValues);
        var e = Assert.Throws<InvalidDataException>(() => OnnxInitializerReader.ReadFloat(File.ReadAllBytes(Path.Combine(dir, TransformerGraphs.PortableFile))));
        Assert.Contains("external data", e.Message, StringComparison.Ordinal);

        // Reader round trip: the package gives back the weights it was written from, bit for bit.
        var back = PortableGraphWeights.Read(dir, out _);
        foreach (var (name, data) in Weights.Tensors) Assert.Equal(data, back[name]);
    }

    [Fact]
    public void Graphs_with_external_weights_give_the_same_logits_as_self_contained_ones()
    {
        var dir = WriteAll();
        var tokens = Models.RandomTokens(new Random(2), 40, Models.Tiny.VocabSize);
        long[] ids = [.. tokens.Select(t => (long)t)];
        long[] mask = [.. ids.Select(_ => 1L)];
        long[] pos = [.. Enumerable.Range(0, ids.Length).Select(i => (long)i)];
        using var inline = OrtHarness.CreateClean(TransformerGraphs.BuildPortable(Weights).Model);
        using var external = OrtHarness.CreateClean(Path.Combine(dir, TransformerGraphs.PortableFile));
        var a = new PortableGraphRunner(inline, Models.Tiny);
        var b = new PortableGraphRunner(external, Models.Tiny);
        Assert.Equal(a.Run(1, ids, mask, pos, a.EmptyPast(), a.EmptyPast()).Logits, b.Run(1, ids, mask, pos, b.EmptyPast(), b.EmptyPast()).Logits);

        foreach (var (file, int8) in new[] { (TransformerGraphs.FastFile, false), (TransformerGraphs.FastInt8File, true) })
        {
            using var s1 = OrtHarness.CreateClean(TransformerGraphs.BuildFast(Weights, int8: int8).Model);
            using var s2 = OrtHarness.CreateClean(Path.Combine(dir, file));
            using var r1 = Runners.Fast(s1, Models.Tiny, batch: 1);
            using var r2 = Runners.Fast(s2, Models.Tiny, batch: 1);
            Assert.Equal(r1.Step(ids[..8], [7], 8), r2.Step(ids[..8], [7], 8));
            for (int t = 8; t < ids.Length; t++) Assert.Equal(r1.Step([ids[t]], [t], t + 1), r2.Step([ids[t]], [t], t + 1));
        }
    }

    [Fact]
    public void A_missing_truncated_or_altered_weights_file_is_refused_naming_the_file()
    {
        var dir = WriteAll();
        var path = Path.Combine(dir, PackageWeights.FileName);
        var good = File.ReadAllBytes(path);

        var altered = (byte[])good.Clone();
        altered[altered.Length / 2] ^= 0x40;
        File.WriteAllBytes(path, altered);
        var e = Assert.Throws<ModelPackageException>(() => ModelManifest.Load(dir).VerifyFiles(dir));
        Assert.Contains($"sha256 mismatch for '{PackageWeights.FileName}'", e.Message, StringComparison.Ordinal);
        e = Assert.Throws<ModelPackageException>(() => ModelPackage.Load(dir));
        Assert.Contains(PackageWeights.FileName, e.Message, StringComparison.Ordinal);

        File.WriteAllBytes(path, good[..(good.Length - 100)]);
        e = Assert.Throws<ModelPackageException>(() => ModelManifest.Load(dir).VerifyFiles(dir));
        Assert.Contains($"weights file '{PackageWeights.FileName}' is {good.Length - 100} bytes", e.Message, StringComparison.Ordinal);
        e = Assert.Throws<ModelPackageException>(() => ModelPackage.Load(dir, verifyHashes: false));
        Assert.Contains("truncated", e.Message, StringComparison.Ordinal);

        File.Delete(path);
        e = Assert.Throws<ModelPackageException>(() => ModelPackage.Load(dir, verifyHashes: false));
        Assert.Contains($"weights file '{PackageWeights.FileName}' is missing", e.Message, StringComparison.Ordinal);
        var r = Assert.Throws<ModelPackageException>(() => PortableGraphWeights.Read(dir, out _));
        Assert.Contains(PackageWeights.FileName, r.Message, StringComparison.Ordinal);

        File.WriteAllBytes(path, good);
        ModelManifest.Load(dir).VerifyFiles(dir);
    }

    [Fact]
    public void One_name_with_other_values_fails_the_export_and_leaves_the_old_package()
    {
        var dir = WriteAll();
        var before = File.ReadAllBytes(Path.Combine(dir, PackageWeights.FileName));
        var other = TransformerWeights.Random(Models.Tiny, seed: 5);
        var e = Assert.Throws<InvalidOperationException>(() =>
            ModelPackageWriter.Write(dir, Manifest(), [TransformerGraphs.BuildPortable(Weights), TransformerGraphs.BuildFast(other)]));
        Assert.Contains("other values", e.Message, StringComparison.Ordinal);
        Assert.Contains("tok_embeddings.weight", e.Message, StringComparison.Ordinal);
        Assert.Equal(before, File.ReadAllBytes(Path.Combine(dir, PackageWeights.FileName)));
        ModelManifest.Load(dir).VerifyFiles(dir);
        Assert.Single(Directory.GetDirectories(_root)); // no temporary folder left

        var weights = new PackageWeights();
        weights.Add("w", [2, 8], new byte[64], "a");
        var d = Assert.Throws<InvalidOperationException>(() => weights.Add("w", [8, 2], new byte[64], "b"));
        Assert.Contains("[2, 8] in graph 'a' but [8, 2] in graph 'b'", d.Message, StringComparison.Ordinal);
        Assert.Equal((0L, 64L), weights.Add("w", [2, 8], new byte[64], "b"));
        var (offset, length) = weights.Add("big", [17_500], new byte[70_000], "a");
        Assert.Equal((PackageWeights.LargeAlignment, 70_000L), (offset, length)); // a large tensor starts on a page
        Assert.Equal(offset + length, weights.Length);
        Assert.Equal(2, weights.Count);
    }

    [Fact]
    public void Packages_without_a_weights_file_load_as_before()
    {
        // One graph that shares weights (or an LSTM) gets no weights file: the manifest has no "weights" entry.
        var single = Path.Combine(_root, "single");
        var m = ModelPackageWriter.Write(single, Manifest(), [TransformerGraphs.BuildPortable(Weights), TransformerGraphs.BuildFast(Weights, fp16: true)], LoadEveryGraphByPath);
        Assert.Null(m.Weights);
        Assert.DoesNotContain("\"weights\"", File.ReadAllText(Path.Combine(single, ModelManifest.FileName)), StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(single, PackageWeights.FileName)));
        foreach (var (name, data) in Weights.Tensors) Assert.Equal(data, PortableGraphWeights.Read(single, out _)[name]);

        // A package of every graph written self-contained, as before the weights file, still loads and reads back.
        var old = Path.Combine(_root, "old");
        RandomTransformerPackage.Write(old, new RemiTokenizer(), dModel: 32, layers: 1, heads: 2, kvHeads: 1, context: 64, seed: 3);
        Assert.Null(ModelManifest.Load(old).Weights);
        var package = ModelPackage.Load(old);
        Assert.Equal(4, package.Manifest.Graphs.Count);
        Assert.NotEmpty(PortableGraphWeights.Read(old, out _).Tensors);
    }

    [Theory]
    [InlineData("\"file\": \"model.weights\"", "\"file\": \"../model.weights\"", "weights.file '../model.weights' must be a plain file name")]
    [InlineData("\"file\": \"model.weights\"", "\"file\": \"model.onnx\"", "weights.file 'model.onnx' is also a graph's file")]
    [InlineData("\"size\": ", "\"size\": -", "weights.size must be positive")]
    public void An_invalid_weights_entry_is_rejected_with_the_field(string from, string to, string expected)
    {
        var json = File.ReadAllText(Path.Combine(WriteAll(), ModelManifest.FileName));
        Assert.Contains(from, json, StringComparison.Ordinal);
        var e = Assert.Throws<ModelPackageException>(() => ModelManifest.FromJson(json.Replace(from, to, StringComparison.Ordinal)));
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
    }
}
