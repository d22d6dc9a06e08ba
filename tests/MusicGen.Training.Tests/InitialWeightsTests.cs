using MusicGen.Core.Packaging;
using MusicGen.Core.Tokenization;
using MusicGen.Training.Data;
using MusicGen.Training.Export;
using MusicGen.Training.Training;
using static TorchSharp.torch;

namespace MusicGen.Training.Tests;

/// <summary><c>training.initFrom</c> from a package folder, from a checkpoint with a smaller vocabulary, and from one with fewer layers.</summary>
public sealed class InitialWeightsTests : IDisposable
{
    private readonly string dir = Path.Combine(Path.GetTempPath(), "mginit-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
    }

    private TrainConfig Tiny(string architecture, int vocab, int steps, string name)
    {
        var cfg = TrainConfig.Load(Path.Combine(TrainerTests.RepoRoot(), "training", "configs", "tiny.json"));
        cfg.Model.Architecture = architecture;
        cfg.Data.Synthetic!.VocabSize = vocab;
        cfg.Training.MaxSteps = steps;
        cfg.Out = Path.Combine(dir, name);
        return cfg;
    }

    private static TrainingData Data(TrainConfig cfg) => SyntheticCorpus.Load(cfg.Data.Synthetic!, cfg.Training.SeqLen, cfg.Training.EffectiveStride);

    [Theory]
    [InlineData("transformer", "portable graph")]
    [InlineData("lstm", "LSTM graph")]
    public void A_package_folder_starts_a_run_with_the_exported_weights(string architecture, string graph)
    {
        var baseCfg = Tiny(architecture, 24, 15, "base");
        string ckpt;
        using (var t = Trainer.Create(baseCfg, Data(baseCfg))) ckpt = t.Run().LastCheckpoint;
        var (trained, _) = Checkpoint.LoadModel(ckpt);
        var package = Path.Combine(dir, "onnx", "tiny");
        Dictionary<string, (float[] Data, long[] Shape)> expected;
        using (trained)
        {
            ModelExporter.Export(trained, package, "portable", 64, """{"kind":"test"}""", new SpecialTokenIds { Pad = 0, Bos = 1, Eos = 2 },
                new TrainingSummary { Data = "synthetic" }, OrtSessions.Instance, TextWriter.Null);
            expected = trained.ExportWeights();
        }

        var ft = Tiny(architecture, 24, 5, "from-package");
        ft.Training.InitFrom = package;
        using var tuner = Trainer.Create(ft, Data(ft));
        Assert.Contains(tuner.StartupMessages, m => m.Contains("package tiny", StringComparison.Ordinal) && m.Contains(graph, StringComparison.Ordinal));
        var got = tuner.Model.ExportWeights();
        Assert.Equal(expected.Keys.Order(StringComparer.Ordinal), got.Keys.Order(StringComparer.Ordinal));
        foreach (var (name, w) in expected) Assert.Equal(w.Data, got[name].Data);
        Assert.Equal(5, tuner.Run().Steps);
    }

    [Theory]
    [InlineData("transformer")]
    [InlineData("lstm")]
    public void A_larger_vocabulary_keeps_the_shared_rows_and_starts_the_new_ones_fresh(string architecture)
    {
        var baseCfg = Tiny(architecture, 24, 10, "base-" + architecture);
        string ckpt;
        using (var t = Trainer.Create(baseCfg, Data(baseCfg))) ckpt = t.Run().LastCheckpoint;
        var (trained, _) = Checkpoint.LoadModel(ckpt);
        var before = trained.ExportWeights();
        trained.Dispose();

        var grown = Tiny(architecture, 30, 5, "grown-" + architecture);
        grown.Training.InitFrom = ckpt;
        using var tuner = Trainer.Create(grown, Data(grown));
        Assert.Contains(tuner.StartupMessages, m => m.Contains("vocabulary grown from 24 to 30", StringComparison.Ordinal));
        var after = tuner.Model.ExportWeights();
        int vocabRows = 0;
        foreach (var (name, w) in before)
        {
            var a = after[name];
            if (a.Shape[0] == 30 && w.Shape[0] == 24)
            {
                vocabRows++;
                int row = w.Data.Length / 24;
                Assert.Equal(w.Data, a.Data.AsSpan(0, w.Data.Length).ToArray());
                Assert.Contains(a.Data.AsSpan(w.Data.Length).ToArray(), x => x != 0f); // fresh rows are initialised, not zero
                Assert.Equal(30 * row, a.Data.Length);
            }
            else Assert.Equal(w.Data, a.Data);
        }
        Assert.Equal(architecture == "lstm" ? 3 : 1, vocabRows); // lstm: embedding, output weight and bias; transformer: the tied embedding
        Assert.Equal(5, tuner.Run().Steps);

        var shrink = Tiny(architecture, 20, 1, "shrunk-" + architecture);
        shrink.Training.InitFrom = ckpt;
        var e = Assert.Throws<ArgumentException>(() => Trainer.Create(shrink, Data(shrink)));
        Assert.Contains("can only grow", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Added_layers_start_as_identities_so_the_grown_model_computes_what_the_source_did()
    {
        var baseCfg = Tiny("transformer", 24, 10, "base-layers");
        string ckpt;
        using (var t = Trainer.Create(baseCfg, Data(baseCfg))) ckpt = t.Run().LastCheckpoint;
        var (trained, _) = Checkpoint.LoadModel(ckpt);
        using var ids = tensor(new long[] { 1, 5, 9, 3, 17, 4, 4, 22, 8, 11, 2, 6 }, [2, 6]);
        float[] before;
        using (trained)
        using (no_grad())
        using (var logits = trained.call(ids)) before = logits.data<float>().ToArray();

        var deeper = Tiny("transformer", 24, 3, "deeper");
        deeper.Model.Transformer!.Layers = 4;
        deeper.Training.InitFrom = ckpt;
        using var tuner = Trainer.Create(deeper, Data(deeper));
        Assert.Contains(tuner.StartupMessages, m => m.Contains("layers grown from 2 to 4", StringComparison.Ordinal));
        var w = tuner.Model.ExportWeights();
        Assert.All(new[] { "layers.2.wo.weight", "layers.3.w2.weight" }, n => Assert.All(w[n].Data, x => Assert.Equal(0f, x)));
        Assert.Contains(w["layers.3.wq.weight"].Data, x => x != 0f); // the rest of an added layer is initialised
        tuner.Model.eval();
        float[] after;
        using (no_grad())
        using (var logits = tuner.Model.call(ids)) after = logits.data<float>().ToArray();
        Assert.Equal(before.Length, after.Length);
        for (int i = 0; i < before.Length; i++) Assert.Equal(before[i], after[i], 5);
        Assert.Equal(3, tuner.Run().Steps);

        var shallower = Tiny("transformer", 24, 1, "shallower");
        shallower.Model.Transformer!.Layers = 1;
        shallower.Training.InitFrom = ckpt;
        var e = Assert.Throws<ArgumentException>(() => Trainer.Create(shallower, Data(shallower)));
        Assert.Contains("can only be added", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Only_a_vocabulary_that_extends_the_source_reuses_its_weights()
    {
        static string Remi(bool keys, bool chords) => new RemiTokenizer(new RemiConfig { KeyTokens = keys, ChordTokens = chords }).ToJson();
        var plain = Remi(false, false);
        var both = Remi(true, true);
        // REMI's key and chord tokens come after the base vocabulary: the default model's weights extend to them.
        InitialWeights.CheckVocabularyPrefix(plain, 820, both, 928, "src");
        InitialWeights.CheckVocabularyPrefix(Remi(true, false), 844, both, 928, "src");
        // Chords without keys put Chord_C where the key run has Key_C.
        var e = Assert.Throws<ArgumentException>(() => InitialWeights.CheckVocabularyPrefix(Remi(true, false), 844, Remi(false, true), 904, "src"));
        Assert.Contains("token 820", e.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => InitialWeights.CheckVocabularyPrefix(new ChoraleTokenizer().ToJson(), 92, both, 928, "src"));
        Assert.Throws<ArgumentException>(() => InitialWeights.CheckVocabularyPrefix(plain, 820, null, 928, "src"));
        Assert.Throws<ArgumentException>(() => InitialWeights.CheckVocabularyPrefix(plain, 800, both, 928, "src"));
        Assert.Throws<ArgumentException>(() => InitialWeights.CheckVocabularyPrefix(both, 928, plain, 820, "src"));
        InitialWeights.CheckVocabularyPrefix(null, 24, null, 30, "synthetic");
    }
}
