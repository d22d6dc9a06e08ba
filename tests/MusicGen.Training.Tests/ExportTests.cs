using MusicGen.Core.Packaging;
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
}
