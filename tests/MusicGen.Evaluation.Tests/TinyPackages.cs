using MusicGen.Core.Packaging;
using MusicGen.Core.Tokenization;
using MusicGen.Onnx;

namespace MusicGen.Evaluation.Tests;

/// <summary>Tiny random-weight model packages written at test time (no checked-in weights).</summary>
internal static class TinyPackages
{
    public static ChoraleTokenizer Tokenizer() => new(new ChoraleConfig { MinPitch = 48, MaxPitch = 84, FramesPerQuarter = 2 });

    public static string Transformer(string dir, int context = 256)
    {
        var tokenizer = Tokenizer();
        var config = new TransformerConfig
        {
            VocabSize = tokenizer.VocabularySize, DModel = 32, Layers = 2, Heads = 2, KvHeads = 1, HeadSize = 16,
            FfnHidden = 80, ContextLength = context,
        };
        var weights = TransformerWeights.Random(config, 7);
        var manifest = ModelPackageWriter.TransformerManifest("tiny-transformer", config, tokenizer.ToJson(),
            new SpecialTokenIds { Pad = tokenizer.Pad, Bos = tokenizer.Bos, Eos = tokenizer.Eos });
        ModelPackageWriter.Write(dir, manifest, [TransformerGraphs.BuildPortable(weights), TransformerGraphs.BuildFast(weights)]);
        return dir;
    }

    public static string Lstm(string dir)
    {
        var tokenizer = Tokenizer();
        var config = new LstmConfig { VocabSize = tokenizer.VocabularySize, EmbeddingSize = 16, Layers = 2, Units = 24, DenseUnits = 20 };
        var manifest = ModelPackageWriter.LstmManifest("tiny-lstm", config, 512, tokenizer.ToJson(),
            new SpecialTokenIds { Pad = tokenizer.Pad, Bos = tokenizer.Bos, Eos = tokenizer.Eos });
        ModelPackageWriter.Write(dir, manifest, [LstmGraph.Build(LstmWeights.Random(config, 11))]);
        return dir;
    }
}
