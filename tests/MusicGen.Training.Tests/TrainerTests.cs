using MusicGen.Training.Data;
using MusicGen.Training.Models;
using MusicGen.Training.Training;
using static TorchSharp.torch;

namespace MusicGen.Training.Tests;

public sealed class TrainerTests : IDisposable
{
    private readonly string dir = Path.Combine(Path.GetTempPath(), "mgtrain-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
    }

    private TrainConfig Tiny(string architecture, int steps, string name)
    {
        var cfg = TrainConfig.Load(Path.Combine(RepoRoot(), "training", "configs", "tiny.json"));
        cfg.Model.Architecture = architecture;
        cfg.Training.MaxSteps = steps;
        cfg.Out = Path.Combine(dir, name);
        return cfg;
    }

    internal static string RepoRoot()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "MusicGen.sln"))) return d.FullName;
        throw new InvalidOperationException("repository root not found");
    }

    private static void WithDropout(TrainConfig cfg)
    {
        // dropout draws from torch's RNG: resume must restore it
        cfg.Model.Transformer!.Dropout = 0.1;
        cfg.Model.Lstm!.Dropout = 0.1;
    }

    private static TrainingData Data(TrainConfig cfg) => SyntheticCorpus.Load(cfg.Data.Synthetic!, cfg.Training.SeqLen, cfg.Training.EffectiveStride);

    [Theory]
    [InlineData("transformer", 150, 0.35)]
    [InlineData("lstm", 400, 0.5)]
    public void Tiny_model_overfits_a_tiny_synthetic_corpus(string architecture, int steps, double threshold)
    {
        var cfg = Tiny(architecture, steps, architecture);
        var data = Data(cfg);
        using var trainer = Trainer.Create(cfg, data);
        var first = double.NaN;
        trainer.OnStep = s => { if (s.Step == 1) first = s.Loss; };
        var result = trainer.Run();
        Assert.Equal(steps, result.Steps);
        Assert.True(first > 2.5, $"first loss {first} should be near ln(V)");
        Assert.True(result.Last!.TrainLoss < threshold, $"train loss {result.Last.TrainLoss} after {steps} steps");
        Assert.True(result.Last.TrainAccuracy > 0.8, $"train accuracy {result.Last.TrainAccuracy}");
        Assert.True(double.IsFinite(result.Last.ValidLoss) && result.Last.ValidPerplexity >= 1);
        Assert.True(File.Exists(Path.Combine(cfg.Out!, "metrics.csv")));
        Assert.True(File.Exists(Path.Combine(cfg.Out!, "curves.png")));
        Assert.True(File.Exists(result.LastCheckpoint));
        Assert.Equal(steps / cfg.Training.EvalEvery, File.ReadAllLines(Path.Combine(cfg.Out!, "metrics.csv")).Length - 1);
    }

    [Theory]
    [InlineData("transformer")]
    [InlineData("lstm")]
    public void Resume_gives_the_same_weights_as_an_uninterrupted_run(string architecture)
    {
        var straightCfg = Tiny(architecture, 40, "straight");
        straightCfg.Training.CheckpointEvery = 0;
        WithDropout(straightCfg);
        var data = Data(straightCfg);
        Dictionary<string, (float[] Data, long[] Shape)> straight;
        using (var t = Trainer.Create(straightCfg, data))
        {
            t.Run();
            straight = t.Model.ExportWeights();
        }

        var pausedCfg = Tiny(architecture, 40, "paused");
        pausedCfg.Training.CheckpointEvery = 0;
        WithDropout(pausedCfg);
        string ckpt;
        using (var t = Trainer.Create(pausedCfg, data))
        {
            var r = t.Run(pauseAtStep: 17); // mid-epoch, between evaluations
            Assert.Equal(17, r.Steps);
            ckpt = r.LastCheckpoint;
        }
        // Disturb the global RNG as another process would be in a fresh start.
        manual_seed(999);
        using var resumed = Trainer.Resume(ckpt, data);
        var result = resumed.Run();
        Assert.Equal(40, result.Steps);
        var got = resumed.Model.ExportWeights();
        foreach (var (name, (w, _)) in straight)
        {
            var g = got[name].Data;
            for (var i = 0; i < w.Length; i++) Assert.True(w[i] == g[i], $"{name}[{i}]: {w[i]} vs {g[i]}");
        }
        Assert.Equal(File.ReadAllText(Path.Combine(straightCfg.Out!, "metrics.csv")).Split('\n').Select(l => string.Join(',', l.Split(',').Take(8))),
            File.ReadAllText(Path.Combine(pausedCfg.Out!, "metrics.csv")).Split('\n').Select(l => string.Join(',', l.Split(',').Take(8))));
    }

    [Fact]
    public void Resume_into_another_folder_leaves_the_original_run_untouched()
    {
        var cfg = Tiny("transformer", 10, "first");
        var data = Data(cfg);
        string ckpt;
        using (var t = Trainer.Create(cfg, data)) ckpt = t.Run().LastCheckpoint;
        var before = File.ReadAllBytes(ckpt);

        var second = Path.Combine(dir, "second");
        using var resumed = Trainer.Resume(ckpt, data, maxSteps: 20, output: second);
        var result = resumed.Run();
        Assert.Equal(20, result.Steps);
        Assert.Equal(Path.Combine(second, "last.ckpt"), result.LastCheckpoint);
        Assert.True(File.Exists(result.LastCheckpoint));
        Assert.Equal(before, File.ReadAllBytes(ckpt));
    }

    [Fact]
    public void Fine_tuning_starts_from_a_checkpoint_and_keeps_frozen_weights()
    {
        var baseCfg = Tiny("transformer", 20, "base");
        var data = Data(baseCfg);
        string ckpt;
        using (var t = Trainer.Create(baseCfg, data)) ckpt = t.Run().LastCheckpoint;
        var (baseModel, _) = Checkpoint.LoadModel(ckpt);
        var before = baseModel.ExportWeights();
        baseModel.Dispose();

        var ft = Tiny("transformer", 10, "finetune");
        ft.Training.InitFrom = ckpt;
        ft.Training.Freeze = ["tok_embeddings", "layers.0."];
        using var tuner = Trainer.Create(ft, data);
        tuner.Run();
        var after = tuner.Model.ExportWeights();
        Assert.Equal(before["tok_embeddings.weight"].Data, after["tok_embeddings.weight"].Data);
        Assert.Equal(before["layers.0.wq.weight"].Data, after["layers.0.wq.weight"].Data);
        Assert.NotEqual(before["layers.1.wq.weight"].Data, after["layers.1.wq.weight"].Data);

        var bad = Tiny("transformer", 1, "bad");
        bad.Training.Freeze = ["nothing.like.this"];
        Assert.Throws<ArgumentException>(() => Trainer.Create(bad, data));
    }

    [Fact]
    public void Schedule_warms_up_then_decays_to_the_minimum()
    {
        var o = new TrainerOptions { LearningRate = 1e-3, MinLearningRate = 1e-4, WarmupSteps = 10, MaxSteps = 110 };
        Assert.Equal(1e-4, LearningRateSchedule.At(0, o), 12);
        Assert.Equal(1e-3, LearningRateSchedule.At(9, o), 12);
        Assert.Equal(1e-3, LearningRateSchedule.At(10, o), 12);
        Assert.Equal(5.5e-4, LearningRateSchedule.At(60, o), 12);
        Assert.Equal(1e-4, LearningRateSchedule.At(110, o), 12);
    }

    [Fact]
    public void Checkpoint_round_trips_a_model()
    {
        var cfg = Tiny("lstm", 3, "ckpt");
        using var t = Trainer.Create(cfg, Data(cfg));
        var r = t.Run();
        var (m, meta) = Checkpoint.LoadModel(r.LastCheckpoint);
        using (m)
        {
            Assert.Equal("lstm", meta.Model.Architecture);
            Assert.Equal(3, meta.Step);
            Assert.True(meta.Finished);
            var a = t.Model.ExportWeights();
            var b = m.ExportWeights();
            foreach (var k in a.Keys) Assert.Equal(a[k].Data, b[k].Data);
        }
        File.WriteAllBytes(Path.Combine(dir, "junk.ckpt"), [1, 2, 3]);
        Assert.Throws<InvalidDataException>(() => Checkpoint.Read(Path.Combine(dir, "junk.ckpt")));
    }
}
