using System.Text.Json;
using MusicGen.Core.Packaging;
using MusicGen.Onnx;

namespace MusicGen.Onnx.Tests;

/// <summary>The genai_config.json written beside a transformer package's portable graph (ONNX Runtime GenAI loads it; MusicGen.GenAI.Tests runs it).</summary>
public sealed class GenAiConfigTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "musicgen-genai-config-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_root)) Directory.Delete(_root, recursive: true);
    }

    [Fact]
    public void The_writer_puts_one_in_a_transformer_package_from_its_manifest()
    {
        var dir = Path.Combine(_root, "tiny");
        var w = TransformerWeights.Random(Models.Tiny, 1);
        var manifest = ModelPackageWriter.TransformerManifest("tiny", Models.Tiny, """{"kind":"remi","version":1}""",
            new SpecialTokenIds { Pad = 0, Bos = 1, Eos = 2 });
        ModelPackageWriter.Write(dir, manifest, [TransformerGraphs.BuildPortable(w), TransformerGraphs.BuildFast(w)]);

        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, GenAiConfig.FileName)));
        var model = doc.RootElement.GetProperty("model");
        var decoder = model.GetProperty("decoder");
        Assert.Equal("model.onnx", decoder.GetProperty("filename").GetString());
        Assert.Equal(Models.Tiny.VocabSize, model.GetProperty("vocab_size").GetInt32());
        Assert.Equal(Models.Tiny.ContextLength, model.GetProperty("context_length").GetInt32());
        Assert.Equal(1, model.GetProperty("bos_token_id").GetInt32());
        Assert.Equal(2, model.GetProperty("eos_token_id").GetInt32());
        Assert.Equal(Models.Tiny.Layers, decoder.GetProperty("num_hidden_layers").GetInt32());
        Assert.Equal(Models.Tiny.KvHeads, decoder.GetProperty("num_key_value_heads").GetInt32());
        Assert.Equal(Models.Tiny.HeadSize, decoder.GetProperty("head_size").GetInt32());
        Assert.False(doc.RootElement.GetProperty("search").GetProperty("past_present_share_buffer").GetBoolean());
    }

    [Fact]
    public void A_package_without_a_portable_graph_gets_none_and_Build_says_why()
    {
        var dir = Path.Combine(_root, "fast-only");
        var w = TransformerWeights.Random(Models.Tiny, 1);
        var manifest = ModelPackageWriter.TransformerManifest("fast-only", Models.Tiny, """{"kind":"remi","version":1}""",
            new SpecialTokenIds { Pad = 0, Bos = 1, Eos = 2 });
        var written = ModelPackageWriter.Write(dir, manifest, [TransformerGraphs.BuildFast(w)]);

        Assert.False(File.Exists(Path.Combine(dir, GenAiConfig.FileName)));
        Assert.False(GenAiConfig.Applies(written));
        var e = Assert.Throws<ArgumentException>(() => GenAiConfig.Build(written));
        Assert.Contains("no portable graph", e.Message);
    }

    [Theory]
    [InlineData("pop909-transformer")]
    [InlineData("jsb-transformer")]
    public void The_bundled_transformer_packages_carry_the_current_one(string package)
    {
        var dir = Path.Combine(RepoRoot(), "onnx", package);
        var expected = GenAiConfig.Build(ModelManifest.Load(dir));
        Assert.Equal(expected, File.ReadAllText(Path.Combine(dir, GenAiConfig.FileName)));
    }

    private static string RepoRoot()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "MusicGen.sln"))) return d.FullName;
        throw new InvalidOperationException("repository root not found");
    }
}
