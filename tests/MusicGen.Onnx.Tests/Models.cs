using MusicGen.Onnx;

namespace MusicGen.Onnx.Tests;

internal static class Models
{
    /// <summary>A tiny GQA transformer (2 query heads per kv head) with room for 512+ cached steps.</summary>
    public static readonly TransformerConfig Tiny = new()
    {
        VocabSize = 40, DModel = 32, Layers = 2, Heads = 4, KvHeads = 2, HeadSize = 16, FfnHidden = 48, ContextLength = 600,
    };

    public static readonly LstmConfig TinyLstm = new() { VocabSize = 30, EmbeddingSize = 12, Layers = 2, Units = 16, DenseUnits = 20 };

    public static int[] RandomTokens(Random rng, int n, int vocab) => Enumerable.Range(0, n).Select(_ => rng.Next(vocab)).ToArray();

    /// <summary>Max |a - b| over two equal-length spans.</summary>
    public static double MaxAbsDiff(ReadOnlySpan<float> a, ReadOnlySpan<float> b) => LogitComparison.MaxAbsDiff(a, b);
}
