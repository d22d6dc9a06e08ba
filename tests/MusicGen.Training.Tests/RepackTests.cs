using MusicGen.Core.Packaging;
using MusicGen.Core.Tokenization;
using MusicGen.Inference;
using MusicGen.Onnx;
using MusicGen.Training.Export;

namespace MusicGen.Training.Tests;

/// <summary>
/// <c>musicgen-train repack</c>: a package written before the weights file (every graph self-contained) rebuilt in the
/// current form, its weights and manifest fields kept, and <c>verify --weights-from</c> the old copy passing.
/// </summary>
public sealed class RepackTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "musicgen-repack-tests-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_root)) Directory.Delete(_root, recursive: true);
    }

    private static long Bytes(string dir) => Directory.GetFiles(dir).Sum(f => new FileInfo(f).Length);

    [Fact]
    public void An_old_package_is_rebuilt_with_its_weights_stored_once_and_the_same_logits()
    {
        var old = Path.Combine(_root, "old");
        RandomTransformerPackage.Write(old, new RemiTokenizer(), dModel: 64, layers: 2, heads: 4, kvHeads: 2, context: 96, seed: 7);
        var manifest = ModelManifest.Load(old);
        manifest.Sampling = new Dictionary<string, double> { ["minP"] = 0.05 };
        manifest.Version = "5";
        manifest.Save(old);
        Assert.Null(manifest.Weights);

        var repacked = Path.Combine(_root, "new");
        Assert.Equal(0, RepackCommand.Create().Parse(["--package", old, "--out", repacked]).Invoke());
        var written = ModelManifest.Load(repacked);
        written.VerifyFiles(repacked);
        Assert.NotNull(written.Weights);
        Assert.Equal(["portable", "fast", "fast-int8", "fast-fp16"], written.Graphs.Select(g => g.Variant));
        Assert.Equal("5", written.Version);
        Assert.Equal(0.05, written.Sampling!["minP"]);
        Assert.Equal(manifest.CreatedUtc, written.CreatedUtc);
        Assert.True(Bytes(repacked) < Bytes(old) * 0.8, $"{Bytes(repacked)} bytes after, {Bytes(old)} before");
        var before = PortableGraphWeights.Read(old, out _);
        var after = PortableGraphWeights.Read(repacked, out _);
        foreach (var (name, data) in before.Tensors) Assert.Equal(data, after[name]);
        Assert.NotNull(ModelPackage.Load(repacked));

        // verify against a TorchSharp model holding the old package's weights (the checkpoint being gone).
        Assert.Equal(0, ExportCommands.Create().Single(c => c.Name == "verify").Parse(["--package", repacked, "--weights-from", old]).Invoke());

        // Repacking the repacked package changes nothing; an LSTM package is refused.
        var again = Path.Combine(_root, "again");
        Assert.Equal(0, RepackCommand.Create().Parse(["--package", repacked, "--out", again]).Invoke());
        Assert.Equal(File.ReadAllBytes(Path.Combine(repacked, PackageWeights.FileName)), File.ReadAllBytes(Path.Combine(again, PackageWeights.FileName)));
        Assert.Equal(File.ReadAllText(Path.Combine(repacked, ModelManifest.FileName)), File.ReadAllText(Path.Combine(again, ModelManifest.FileName)));
        var lstm = Path.Combine(_root, "lstm");
        var config = new LstmConfig { VocabSize = 30, EmbeddingSize = 8, Layers = 1, Units = 8, DenseUnits = 8 };
        ModelPackageWriter.Write(lstm, ModelPackageWriter.LstmManifest("lstm", config, 64, """{"kind":"test"}""", new SpecialTokenIds { Pad = 0, Bos = 1, Eos = 2 }),
            [LstmGraph.Build(LstmWeights.Random(config, 1))]);
        Assert.Null(ModelManifest.Load(lstm).Weights);
        Assert.Equal(1, RepackCommand.Create().Parse(["--package", lstm]).Invoke());
    }
}
