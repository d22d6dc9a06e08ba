using MusicGen.Training.Commands;
using MusicGen.Training.Data;
using MusicGen.Training.Training;
using static TorchSharp.torch;

namespace MusicGen.Training.Tests;

/// <summary><c>musicgen-train scale-logits</c>: a checkpoint whose logits are the input's (EMA) logits times a factor.</summary>
public sealed class ScaleLogitsTests : IDisposable
{
    private readonly string dir = Path.Combine(Path.GetTempPath(), "mgscale-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
    }

    private string TrainTiny(string architecture)
    {
        var cfg = TrainConfig.Load(Path.Combine(TrainerTests.RepoRoot(), "training", "configs", "tiny.json"));
        cfg.Model.Architecture = architecture;
        cfg.Training.MaxSteps = 12;
        cfg.Training.EmaDecay = 0.9;
        cfg.Out = Path.Combine(dir, architecture);
        var data = SyntheticCorpus.Load(cfg.Data.Synthetic!, cfg.Training.SeqLen, cfg.Training.EffectiveStride);
        using var trainer = Trainer.Create(cfg, data);
        return trainer.Run().LastCheckpoint;
    }

    private static float[] Logits(string checkpoint)
    {
        var (model, _) = Checkpoint.LoadModel(checkpoint);
        using (model)
        using (no_grad())
        {
            using var ids = tensor(new long[] { 1, 5, 9, 3, 7, 7, 2, 11, 4, 6 }, [1, 10]);
            using var logits = model.call(ids);
            return logits.data<float>().ToArray();
        }
    }

    [Theory]
    [InlineData("transformer")]
    [InlineData("lstm")]
    public void The_written_checkpoint_gives_the_evaluated_logits_times_the_factor(string architecture)
    {
        var ckpt = TrainTiny(architecture);
        Assert.True(Checkpoint.HasAverage(Checkpoint.Read(ckpt).Tensors));
        var scaled = Path.Combine(dir, architecture + "-scaled.ckpt");
        var rc = ScaleLogitsCommand.Create().Parse(["--checkpoint", ckpt, "--factor", "0.8", "--out", scaled]).Invoke();
        Assert.Equal(0, rc);

        var before = Logits(ckpt);
        var after = Logits(scaled);
        Assert.Equal(before.Length, after.Length);
        Assert.Contains(before, x => Math.Abs(x) > 0.1f);
        for (var i = 0; i < before.Length; i++) Assert.Equal(0.8 * before[i], after[i], 1e-4 + (1e-5 * Math.Abs(before[i])));

        var (meta, tensors) = Checkpoint.Read(scaled);
        Assert.Equal(0.8, meta.LogitScale, 12);
        Assert.False(Checkpoint.HasAverage(tensors));
        Assert.DoesNotContain(tensors.Keys, k => k.StartsWith("adam.", StringComparison.Ordinal));
    }

    [Fact]
    public void A_factor_outside_0_to_10_is_an_error_and_writes_nothing()
    {
        var ckpt = TrainTiny("transformer");
        var scaled = Path.Combine(dir, "bad.ckpt");
        foreach (var factor in new[] { "0", "-1", "10.5", "NaN" })
        {
            var rc = ScaleLogitsCommand.Create().Parse(["--checkpoint", ckpt, "--factor", factor, "--out", scaled]).Invoke();
            Assert.Equal(1, rc);
            Assert.False(File.Exists(scaled));
        }

        Assert.Equal(0, ScaleLogitsCommand.Create().Parse(["--checkpoint", ckpt, "--factor", "10", "--out", scaled]).Invoke());
        Assert.True(File.Exists(scaled));
    }
}
