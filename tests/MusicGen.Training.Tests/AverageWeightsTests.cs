using MusicGen.Training.Commands;
using MusicGen.Training.Data;
using MusicGen.Training.Training;

namespace MusicGen.Training.Tests;

/// <summary><c>musicgen-train average-weights</c>: a checkpoint whose weights are the mean of several checkpoints' evaluated weights.</summary>
public sealed class AverageWeightsTests : IDisposable
{
    private readonly string dir = Path.Combine(Path.GetTempPath(), "mgavg-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
    }

    private string TrainTiny(string architecture, long seed, double emaDecay)
    {
        var cfg = TrainConfig.Load(Path.Combine(TrainerTests.RepoRoot(), "training", "configs", "tiny.json"));
        cfg.Model.Architecture = architecture;
        cfg.Training.MaxSteps = 8;
        cfg.Training.Seed = seed;
        cfg.Training.EmaDecay = emaDecay;
        cfg.Out = Path.Combine(dir, $"{architecture}-{seed}");
        var data = SyntheticCorpus.Load(cfg.Data.Synthetic!, cfg.Training.SeqLen, cfg.Training.EffectiveStride);
        using var trainer = Trainer.Create(cfg, data);
        return trainer.Run().LastCheckpoint;
    }

    private static int Run(params string[] args) => AverageWeightsCommand.Create().Parse(args).Invoke();

    [Fact]
    public void The_written_weights_are_the_mean_of_the_evaluated_weights()
    {
        var a = TrainTiny("transformer", 1, 0.9);   // evaluated weights: its EMA average
        var b = TrainTiny("transformer", 2, 0);     // its live weights
        var c = TrainTiny("transformer", 3, 0);
        var soup = Path.Combine(dir, "soup.ckpt");
        Assert.Equal(0, Run("--checkpoint", a, "--checkpoint", b, "--checkpoint", c, "--out", soup));

        var parts = new[] { a, b, c }.Select(p => Checkpoint.EvaluatedWeights(Checkpoint.Read(p).Tensors)).ToArray();
        var (meta, tensors) = Checkpoint.Read(soup);
        Assert.Equal(3, meta.AveragedFrom!.Count);
        Assert.False(Checkpoint.HasAverage(tensors));
        var (model, _) = Checkpoint.LoadModel(soup);
        using (model)
        {
            var got = model.ExportWeights();
            Assert.Equal(parts[0].Count, got.Count);
            var differing = 0;
            foreach (var (name, w) in got)
            {
                var x = parts.Select(p => p["model/" + name].Data).ToArray();
                for (var i = 0; i < w.Data.Length; i++)
                {
                    Assert.Equal((x[0][i] + x[1][i] + x[2][i]) / 3f, w.Data[i], 1e-6f);
                    if (x[0][i] != x[1][i]) differing++;
                }
            }

            Assert.True(differing > 100, "the runs differ, so the mean is a new point");
        }
    }

    [Fact]
    public void Different_models_or_one_checkpoint_or_scaled_logits_are_errors_and_write_nothing()
    {
        var t = TrainTiny("transformer", 1, 0);
        var l = TrainTiny("lstm", 1, 0);
        var scaled = Path.Combine(dir, "scaled.ckpt");
        Assert.Equal(0, ScaleLogitsCommand.Create().Parse(["--checkpoint", t, "--factor", "0.9", "--out", scaled]).Invoke());
        var soup = Path.Combine(dir, "soup.ckpt");
        Assert.Equal(1, Run("--checkpoint", t, "--checkpoint", l, "--out", soup));
        Assert.Equal(1, Run("--checkpoint", t, "--out", soup));
        Assert.Equal(1, Run("--checkpoint", t, "--checkpoint", scaled, "--out", soup));
        Assert.False(File.Exists(soup));
    }
}
