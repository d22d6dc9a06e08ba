using MusicGen.Training.Data;
using MusicGen.Training.Models;
using MusicGen.Training.Training;
using static TorchSharp.torch;

namespace MusicGen.Training.Tests;

public sealed class WeightAverageTests : IDisposable
{
    private readonly string dir = Path.Combine(Path.GetTempPath(), "mgema-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
    }

    private TrainConfig Tiny(int steps, string name, double emaDecay)
    {
        var cfg = TrainConfig.Load(Path.Combine(TrainerTests.RepoRoot(), "training", "configs", "tiny.json"));
        cfg.Training.MaxSteps = steps;
        cfg.Training.EmaDecay = emaDecay;
        cfg.Training.CheckpointEvery = 0;
        cfg.Model.Transformer!.Dropout = 0.1;
        cfg.Out = Path.Combine(dir, name);
        return cfg;
    }

    private static TrainingData Data(TrainConfig cfg) => SyntheticCorpus.Load(cfg.Data.Synthetic!, cfg.Training.SeqLen, cfg.Training.EffectiveStride);

    private static void SetAll(TrainableMusicModel model, float value)
    {
        using var _ = no_grad();
        foreach (var p in model.parameters()) p.fill_(value);
    }

    [Fact]
    public void Average_follows_decay_times_shadow_plus_the_rest_times_the_weights_and_swap_restores_the_live_weights()
    {
        using var model = new TransformerMusicModel(new TransformerConfig { VocabSize = 12, DModel = 8, Layers = 1, Heads = 2, FfnHidden = 16 });
        SetAll(model, 1f);
        using var ema = new WeightAverage(model, 0.75);
        SetAll(model, 5f);
        ema.Update(); // 0.75 * 1 + 0.25 * 5 = 2
        SetAll(model, -2f);
        ema.Update(); // 0.75 * 2 + 0.25 * -2 = 1
        using (ema.Swap())
            foreach (var (name, (w, _)) in model.ExportWeights())
                Assert.All(w, x => Assert.Equal(1f, x, 6));
        foreach (var (name, (w, _)) in model.ExportWeights())
            Assert.All(w, x => Assert.Equal(-2f, x));
        Assert.Throws<ArgumentOutOfRangeException>(() => new WeightAverage(model, 1.0));
    }

    [Fact]
    public void A_run_with_emaDecay_evaluates_checkpoints_and_exports_the_averaged_weights()
    {
        var cfg = Tiny(30, "ema", 0.9);
        var data = Data(cfg);
        using var trainer = Trainer.Create(cfg, data);
        var result = trainer.Run();
        var last = result.Last!;
        Assert.NotNull(last.LiveValidLoss);
        Assert.NotEqual(last.LiveValidLoss!.Value, last.ValidLoss);
        Assert.Equal(last.ValidLoss, trainer.EvaluateValid(averaged: true).Loss, 6);
        Assert.Equal(last.LiveValidLoss.Value, trainer.EvaluateValid().Loss, 6);

        var (_, tensors) = Checkpoint.Read(result.LastCheckpoint);
        var (exported, _) = Checkpoint.LoadModel(result.LastCheckpoint);
        using (exported)
            foreach (var (name, (w, _)) in exported.ExportWeights())
            {
                Assert.Equal(tensors["ema/" + name].Data, w);
                Assert.NotEqual(tensors["model/" + name].Data, w);
            }
        Assert.EndsWith(",valid_loss_live", File.ReadLines(Path.Combine(cfg.Out!, "metrics.csv")).First());

        var invalid = Tiny(1, "bad", 1.0);
        Assert.Throws<ArgumentException>(() => Trainer.Create(invalid, data));
    }

    [Fact]
    public void Resume_keeps_the_average_exactly_and_resuming_a_run_without_one_starts_it()
    {
        var data = Data(Tiny(1, "probe", 0));
        var straightCfg = Tiny(40, "straight", 0.9);
        string straightCkpt;
        using (var t = Trainer.Create(straightCfg, data)) straightCkpt = t.Run().LastCheckpoint;

        string paused;
        using (var t = Trainer.Create(Tiny(40, "paused", 0.9), data)) paused = t.Run(pauseAtStep: 17).LastCheckpoint;
        manual_seed(999);
        string resumedCkpt;
        using (var t = Trainer.Resume(paused, data)) resumedCkpt = t.Run().LastCheckpoint;
        var (_, a) = Checkpoint.Read(straightCkpt);
        var (_, b) = Checkpoint.Read(resumedCkpt);
        Assert.Contains(a.Keys, k => k.StartsWith("ema/", StringComparison.Ordinal));
        foreach (var (name, t) in a) Assert.True(t.Data.SequenceEqual(b[name].Data), $"{name} differs after resume");

        string plain;
        using (var t = Trainer.Create(Tiny(40, "plain", 0), data)) plain = t.Run(pauseAtStep: 20).LastCheckpoint;
        Assert.False(Checkpoint.HasAverage(Checkpoint.Read(plain).Tensors));
        using var late = Trainer.Resume(plain, data, emaDecay: 0.9);
        Assert.Contains(late.StartupMessages, m => m.Contains("starts at the resumed step 20", StringComparison.Ordinal));
        var r = late.Run();
        Assert.NotNull(r.Last!.LiveValidLoss);
        Assert.True(Checkpoint.HasAverage(Checkpoint.Read(r.LastCheckpoint).Tensors));
    }
}
