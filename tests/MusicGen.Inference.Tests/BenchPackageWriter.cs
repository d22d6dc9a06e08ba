using MusicGen.Core.Tokenization;
using MusicGen.Onnx;

namespace MusicGen.Inference.Tests;

/// <summary>
/// Writes the random-weight package `musicgen bench` is reported on (the llama.cpp bar's shape: d 256, 6 layers,
/// 4 heads, vocabulary 512) when MUSICGEN_BENCH_PACKAGE names a folder; otherwise checks the shape helper only.
/// Run: MUSICGEN_BENCH_PACKAGE=onnx/bench-d256 dotnet test tests/MusicGen.Inference.Tests --filter BenchPackage
/// </summary>
public sealed class BenchPackageWriter
{
    internal static IMusicTokenizer Vocabulary512() => RandomTransformerPackage.Vocabulary512();

    [Fact]
    public void BenchPackage()
    {
        var tokenizer = Vocabulary512();
        Assert.Equal(512, tokenizer.VocabularySize);
        var dir = Environment.GetEnvironmentVariable("MUSICGEN_BENCH_PACKAGE");
        if (string.IsNullOrWhiteSpace(dir)) return;
        // MUSICGEN_BENCH_SHAPE=d,layers,heads (default 256,6,4): a larger one shows batching where weights leave the cache.
        var shape = (Environment.GetEnvironmentVariable("MUSICGEN_BENCH_SHAPE") ?? "256,6,4").Split(',').Select(int.Parse).ToArray();
        TestPackages.WriteTransformer(Path.GetFullPath(dir), tokenizer, dModel: shape[0], layers: shape[1], heads: shape[2], kvHeads: shape[2], context: 2048, seed: 1);
        using var model = MusicModel.Load(dir);
        Assert.Equal("fast", model.DefaultVariant);
    }
}
