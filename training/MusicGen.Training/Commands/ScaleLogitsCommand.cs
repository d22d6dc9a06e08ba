using System.CommandLine;
using System.Globalization;
using MusicGen.Training.Training;

namespace MusicGen.Training.Commands;

/// <summary>
/// <c>musicgen-train scale-logits</c>: temperature scaling of a trained model. Writes a checkpoint whose weights are
/// the input's evaluated weights (its EMA average when it has one) with every logit multiplied by a factor, through
/// <see cref="Models.TrainableMusicModel.ScaleLogits"/>; export, verify and <c>initFrom</c> read it like any other.
/// The factor is chosen by measurement (e.g. <c>musicgen eval nll</c> on the valid split; docs/training.md).
/// </summary>
public static class ScaleLogitsCommand
{
    /// <summary>The <c>scale-logits</c> command.</summary>
    public static Command Create()
    {
        var checkpoint = new Option<FileInfo>("--checkpoint") { Description = "Checkpoint to read (e.g. runs/<name>/best.ckpt).", Required = true };
        var factor = new Option<double>("--factor") { Description = "Multiplier of every logit, in (0, 10]: below 1 flattens the model's distributions (temperature 1/factor).", Required = true };
        var output = new Option<FileInfo>("--out") { Description = "Checkpoint to write (weights and metadata only, no optimizer state).", Required = true };
        var cmd = new Command("scale-logits", "Write a checkpoint whose logits are the input's times a factor (temperature scaling baked into the weights).")
        {
            checkpoint, factor, output,
        };
        cmd.SetAction(parse => TrainCommands.Guard(() =>
        {
            var f = parse.GetValue(factor);
            if (!(f > 0 && f <= 10)) throw new ArgumentException($"--factor {f.ToString(CultureInfo.InvariantCulture)} must be in (0, 10]");
            var input = parse.GetValue(checkpoint)!.FullName;
            var target = parse.GetValue(output)!.FullName;
            if (string.Equals(Path.GetFullPath(input), Path.GetFullPath(target), StringComparison.Ordinal))
                throw new ArgumentException($"--out {target} must differ from --checkpoint");
            var (model, meta) = Checkpoint.LoadModel(input);
            using (model)
            {
                model.ScaleLogits(f);
                meta.LogitScale *= f;
                Checkpoint.Save(target, meta, model, optimizer: null);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{target}: the weights of {input} (step {meta.Step}) with logits x {f} (x {meta.LogitScale} in all; {string.Join(", ", model.LogitWeights)} scaled)"));
            }
            return 0;
        }));
        return cmd;
    }
}
