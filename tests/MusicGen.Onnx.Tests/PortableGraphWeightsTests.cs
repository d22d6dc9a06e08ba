using MusicGen.Core.Packaging;
using MusicGen.Core.Tokenization;
using MusicGen.Onnx;

namespace MusicGen.Onnx.Tests;

/// <summary>Weights read back from a portable graph (<see cref="OnnxInitializerReader"/>, <see cref="PortableGraphWeights"/>).</summary>
public sealed class PortableGraphWeightsTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "musicgen-portable-weights-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_root)) Directory.Delete(_root, recursive: true);
    }

    [Fact]
    public void The_portable_graph_gives_back_every_weight_bit_for_bit()
    {
        var weights = TransformerWeights.Random(Models.Tiny, seed: 5);
        var initializers = OnnxInitializerReader.ReadFloat(TransformerGraphs.BuildPortable(weights).Model);
        Assert.Equal(new long[] { Models.Tiny.VocabSize, Models.Tiny.DModel }, initializers["tok_embeddings.weight"].Dims);
        var back = PortableGraphWeights.FromPortable(Models.Tiny, initializers);
        var names = TransformerWeights.ExpectedShapes(Models.Tiny).Select(s => s.Name).ToList();
        Assert.Equal(names.Order(StringComparer.Ordinal), back.Tensors.Keys.Order(StringComparer.Ordinal));
        foreach (var name in names) Assert.Equal(weights[name], back[name]);
    }

    [Fact]
    public void The_LSTM_graph_gives_back_every_weight_bit_for_bit()
    {
        var weights = LstmWeights.Random(Models.TinyLstm, seed: 6);
        var initializers = OnnxInitializerReader.ReadFloat(LstmGraph.Build(weights).Model);
        var back = LstmGraphWeights.FromGraph(Models.TinyLstm, initializers);
        var names = LstmWeights.ExpectedShapes(Models.TinyLstm).Select(s => s.Name).ToList();
        Assert.Equal(names.Order(StringComparer.Ordinal), back.Tensors.Keys.Order(StringComparer.Ordinal));
        foreach (var name in names) Assert.Equal(weights[name], back[name]);

        var wider = Models.TinyLstm with { Units = Models.TinyLstm.Units + 4 };
        var e = Assert.Throws<ArgumentException>(() => LstmGraphWeights.FromGraph(wider, initializers));
        Assert.Contains("is [", e.Message, StringComparison.Ordinal);
        var dir = Path.Combine(_root, "transformer");
        RandomTransformerPackage.Write(dir, new RemiTokenizer(), dModel: 32, layers: 1, heads: 2, kvHeads: 1, context: 32, seed: 1);
        var a = Assert.Throws<ArgumentException>(() => LstmGraphWeights.Read(dir, out _));
        Assert.Contains("not an LSTM", a.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_package_gives_its_weights_and_config()
    {
        var dir = Path.Combine(_root, "pkg");
        var tokenizer = new RemiTokenizer();
        RandomTransformerPackage.Write(dir, tokenizer, dModel: 32, layers: 2, heads: 2, kvHeads: 1, context: 64, seed: 9);
        var read = PortableGraphWeights.Read(dir, out var manifest);
        Assert.Equal(tokenizer.VocabularySize, read.Config.VocabSize);
        Assert.Equal(2, read.Config.Layers);
        Assert.Equal(manifest.HyperParameters.FfnHidden, read.Config.FfnHidden);
        var expected = TransformerWeights.Random(read.Config, 9); // what the writer drew for these shapes and seed
        foreach (var (name, data) in expected.Tensors) Assert.Equal(data, read[name]);
    }

    [Fact]
    public void A_package_without_a_portable_graph_or_with_a_changed_file_is_refused()
    {
        var dir = Path.Combine(_root, "fast-only");
        RandomTransformerPackage.Write(dir, new RemiTokenizer(), dModel: 32, layers: 1, heads: 2, kvHeads: 1, context: 32, seed: 1, variants: [GraphVariants.Fast]);
        var e = Assert.Throws<ArgumentException>(() => PortableGraphWeights.Read(dir, out _));
        Assert.Contains("no portable graph", e.Message, StringComparison.Ordinal);

        var changed = Path.Combine(_root, "changed");
        RandomTransformerPackage.Write(changed, new RemiTokenizer(), dModel: 32, layers: 1, heads: 2, kvHeads: 1, context: 32, seed: 1, variants: [GraphVariants.Portable]);
        var file = Path.Combine(changed, TransformerGraphs.PortableFile);
        var bytes = File.ReadAllBytes(file);
        bytes[^1] ^= 1;
        File.WriteAllBytes(file, bytes);
        var m = Assert.Throws<ModelPackageException>(() => PortableGraphWeights.Read(changed, out _));
        Assert.Contains("sha256", m.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Truncated_or_foreign_bytes_are_refused_with_a_reason()
    {
        var model = TransformerGraphs.BuildPortable(TransformerWeights.Random(Models.Tiny, seed: 2)).Model;
        Assert.Throws<InvalidDataException>(() => OnnxInitializerReader.ReadFloat(model.AsSpan(0, model.Length / 2)));
        var e = Assert.Throws<InvalidDataException>(() => OnnxInitializerReader.ReadFloat("just text, not a model"u8));
        Assert.NotEmpty(e.Message);
        var wrongShape = Models.Tiny with { FfnHidden = Models.Tiny.FfnHidden + 8 };
        var s = Assert.Throws<ArgumentException>(() => PortableGraphWeights.FromPortable(wrongShape, OnnxInitializerReader.ReadFloat(model)));
        Assert.Contains("w13.fused", s.Message, StringComparison.Ordinal);
    }
}
