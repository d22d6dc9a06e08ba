using MusicGen.Training.Data;
using MusicGen.Training.Training;

namespace MusicGen.Training.Tests;

public sealed class ConfigTests
{
    [Theory]
    [InlineData("tiny.json", "transformer")]
    [InlineData("nottingham-lstm.json", "lstm")]
    [InlineData("pop909-transformer-small.json", "transformer")]
    [InlineData("jsb-transformer.json", "transformer")]
    public void Shipped_configs_load_and_validate(string file, string architecture)
    {
        var root = TrainerTests.RepoRoot();
        var cfg = TrainConfig.Load(Path.Combine(root, "training", "configs", file));
        Assert.Equal(architecture, cfg.Model.Architecture);
        cfg.Training.Validate();
        cfg.Model.Complete(100);
        Assert.True(Path.IsPathRooted(cfg.Out));
        Assert.StartsWith(Path.Combine(root, "runs"), cfg.Out);
        if (cfg.Data.Synthetic is null)
        {
            Assert.NotNull(cfg.Data.Path);
            Assert.StartsWith(Path.Combine(root, "runs"), cfg.Data.Cache);
            CorpusData.CreateTokenizer(cfg.Data.Tokenizer); // the named tokenizer exists
        }
    }

    [Fact]
    public void Unknown_fields_and_bad_values_are_reported()
    {
        var dir = Directory.CreateTempSubdirectory("mgcfg").FullName;
        try
        {
            var p = Path.Combine(dir, "c.json");
            File.WriteAllText(p, """{ "name": "x", "training": { "learningRat": 0.1 } }""");
            var e = Assert.Throws<InvalidDataException>(() => TrainConfig.Load(p));
            Assert.Contains("learningRat", e.Message);
            File.WriteAllText(p, """{ "name": "x", "training": { "batchSize": 0 } }""");
            var cfg = TrainConfig.Load(p);
            Assert.Contains("batchSize", Assert.Throws<ArgumentException>(() => cfg.Training.Validate()).Message);
            File.WriteAllText(p, """{ "model": { "architecture": "gru" } }""");
            Assert.Contains("gru", Assert.Throws<ArgumentException>(() => TrainConfig.Load(p).Model.Complete(10)).Message);
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    [Fact]
    public void Windows_cover_documents_with_right_padding()
    {
        var docs = new List<ReadOnlyMemory<int>> { new[] { 5, 6, 7, 8, 9, 10, 11 }, new[] { 3, 4 } };
        var m = TrainingData.Cut(docs, seqLen: 3, stride: 2, pad: 0);
        // windows of 4: [5 6 7 8] [7 8 9 10] [9 10 11 0] [3 4 0 0]
        Assert.Equal(new[] { 5, 6, 7, 8, 7, 8, 9, 10, 9, 10, 11, 0, 3, 4, 0, 0 }, m);
    }
}

public sealed class ProvenanceTests
{
    [Fact]
    public void Provenance_paths_become_relative_to_the_repository_root()
    {
        // The tests run inside the checkout, so the repository root is found above the working directory.
        var root = Directory.GetCurrentDirectory();
        while (!File.Exists(Path.Combine(root, "MusicGen.sln"))) root = Path.GetDirectoryName(root)!;
        var parent = Path.GetDirectoryName(root)!;
        var text = $"{Path.Combine(parent, "shared", "datasets", "pop909")} (remi; cache {Path.Combine(root, "runs", "cache")}) {Path.Combine(root, "runs", "x", "best.ckpt")} /elsewhere/file";
        Assert.Equal("../shared/datasets/pop909 (remi; cache runs/cache) runs/x/best.ckpt /elsewhere/file",
            MusicGen.Training.Export.ExportCommands.RepoRelative(text));
    }
}
