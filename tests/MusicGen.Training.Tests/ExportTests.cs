using MusicGen.Core.Packaging;
using MusicGen.Core.Tokenization;
using MusicGen.Inference;
using MusicGen.Training.Export;
using MusicGen.Training.Models;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace MusicGen.Training.Tests;

/// <summary>
/// Exports tiny TorchSharp models of each kind to a package (every graph loaded in ONNX Runtime with full
/// optimizations, warning-free) and checks ORT logits against the TorchSharp model: full sequence, 512 cached steps,
/// ragged batch of 4 (the checks of <c>musicgen-train verify</c>).
/// </summary>
public sealed class ExportTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "musicgen-export-tests-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_root)) Directory.Delete(_root, recursive: true);
    }

    private IReadOnlyList<ParityCheck> ExportAndVerify(TrainableMusicModel model, int context)
    {
        var dir = Path.Combine(_root, "onnx", "tiny");
        var manifest = ModelExporter.Export(model, dir, "all", context, """{"kind":"test"}""", new SpecialTokenIds { Pad = 0, Bos = 1, Eos = 2 },
            new TrainingSummary { Data = "random init" }, OrtSessions.Instance, TextWriter.Null);
        ModelManifest.Load(dir).VerifyFiles(dir);
        var checks = new PackageVerifier(dir, manifest, ModelExporter.Reference(model), OrtSessions.Instance).Run(seed: 1);
        foreach (var c in checks) output.WriteLine($"{c.Graph} {c.Scenario}: max abs diff {c.MaxAbsDiff:E2} (bound {c.Tolerance})");
        var failed = checks.Where(c => !c.Passed).Select(c => $"{c.Graph} {c.Scenario}: {c.MaxAbsDiff:E2} (bound {c.Tolerance}) {c.Warning}").ToList();
        Assert.True(failed.Count == 0, string.Join("\n", failed));
        return checks;
    }

    [Fact]
    public void TransformerPackageMatchesTorchSharp()
    {
        manual_seed(3);
        using var model = new TransformerMusicModel(new TransformerConfig
        {
            VocabSize = 48, DModel = 64, Layers = 2, Heads = 4, KvHeads = 2, FfnHidden = 96, ContextLength = 128,
        });
        var checks = ExportAndVerify(model, context: 600);
        Assert.Equal(12, checks.Count); // portable, fast, fast-fp16, fast-int8 x (full, 512 cached, ragged)
        Assert.Contains(checks, c => c.Graph.StartsWith("fast-int8 ", StringComparison.Ordinal) && c.Tolerance == PackageVerifier.Int8Tolerance);
        Assert.Contains(checks, c => c.Scenario.Contains("512 cached steps", StringComparison.Ordinal) && c.Graph.StartsWith("fast ", StringComparison.Ordinal));
    }

    [Fact]
    public void LstmPackageMatchesTorchSharp()
    {
        manual_seed(4);
        using var model = new LstmMusicModel(new LstmConfig { VocabSize = 40, EmbeddingSize = 16, Layers = 2, Units = 24, DenseUnits = 20, ContextLength = 64 });
        var checks = ExportAndVerify(model, context: 600);
        Assert.Equal(3, checks.Count);
    }

    private static TransformerMusicModel ChoraleSizedModel(int seed)
    {
        manual_seed(seed);
        return new TransformerMusicModel(new TransformerConfig
        {
            VocabSize = new ChoraleTokenizer().VocabularySize, DModel = 32, Layers = 1, Heads = 2, KvHeads = 1, FfnHidden = 48, ContextLength = 64,
        });
    }

    private static ModelManifest ExportPortable(TrainableMusicModel model, string dir, IReadOnlyDictionary<string, double>? sampling)
    {
        var tok = new ChoraleTokenizer();
        return ModelExporter.Export(model, dir, "portable", 64, tok.ToJson(), new SpecialTokenIds { Pad = tok.Pad, Bos = tok.Bos, Eos = tok.Eos },
            new TrainingSummary { Data = "random init" }, OrtSessions.Instance, TextWriter.Null, sampling: sampling);
    }

    [Fact]
    public void Export_writes_the_sampling_block_and_the_engine_loads_it()
    {
        using var model = ChoraleSizedModel(5);
        var dir = Path.Combine(_root, "onnx", "sampled");
        // As the export command builds it: the config's block, then --sampling over it.
        var sampling = ExportCommands.SamplingDefaults(new Dictionary<string, double> { ["minP"] = 0.1, ["temperature"] = 0.9 }, ["minP=0.05", "noRepeatNgram=4"]);
        ExportPortable(model, dir, sampling);

        var package = ModelPackage.Load(dir); // the engine's own checks, sampling included
        Assert.Equal(new Dictionary<string, double> { ["minP"] = 0.05, ["temperature"] = 0.9, ["noRepeatNgram"] = 4 }, package.Manifest.Sampling);
        var applied = new SamplingOptions().WithDefaults(package.Manifest.Sampling);
        Assert.Equal(0.05f, applied.MinP);
        Assert.Equal(0.9f, applied.Temperature);

        ExportPortable(model, dir, null); // no defaults: no block
        Assert.Null(ModelPackage.Load(dir).Manifest.Sampling);
    }

    [Theory]
    [InlineData("minP", 1.5, "sampling.minP must be")]
    [InlineData("topK", 2.5, "sampling.topK must be a whole number")]
    [InlineData("beamWidth", 2, "sampling.beamWidth is not an option a package can set")]
    public void An_invalid_sampling_block_fails_the_export_and_keeps_the_package(string name, double value, string expected)
    {
        using var model = ChoraleSizedModel(6);
        var dir = Path.Combine(_root, "onnx", "kept");
        ExportPortable(model, dir, new Dictionary<string, double> { ["minP"] = 0.05 });
        var before = Directory.GetFiles(dir).Order(StringComparer.Ordinal).Select(f => (Path.GetFileName(f), File.ReadAllBytes(f))).ToList();

        var e = Assert.Throws<ArgumentException>(() => ExportPortable(model, dir, new Dictionary<string, double> { [name] = value }));
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
        Assert.StartsWith("sampling defaults:", e.Message, StringComparison.Ordinal);

        var after = Directory.GetFiles(dir).Order(StringComparer.Ordinal).Select(f => (Path.GetFileName(f), File.ReadAllBytes(f))).ToList();
        Assert.Equal(before.Select(f => f.Item1), after.Select(f => f.Item1));
        for (var i = 0; i < before.Count; i++) Assert.True(before[i].Item2.AsSpan().SequenceEqual(after[i].Item2), $"{before[i].Item1} changed");
        Assert.Equal(["kept"], Directory.GetFileSystemEntries(Path.GetDirectoryName(dir)!).Select(Path.GetFileName)); // no temporary folder left
        Assert.Equal(0.05, ModelPackage.Load(dir).Manifest.Sampling!["minP"]);
    }

    [Theory]
    [InlineData("minP")]
    [InlineData("minP=")]
    [InlineData("=0.05")]
    [InlineData("minP=low")]
    public void A_malformed_sampling_option_is_named(string item)
    {
        var e = Assert.Throws<ArgumentException>(() => ExportCommands.SamplingDefaults(null, [item]));
        Assert.Contains($"--sampling '{item}'", e.Message, StringComparison.Ordinal);
    }
}
