using System.CommandLine;
using MusicGen.Training.Training;

namespace MusicGen.Training.Commands;

/// <summary>
/// <c>musicgen-train average-weights</c>: a "model soup". Writes a checkpoint whose weights are the element-wise mean
/// of several checkpoints' evaluated weights (each one's EMA average when it has one). They must be the same model:
/// the same architecture, weight names and shapes, and tokenizer (fine-tunes of one starting point, whose weights
/// stay close enough for their mean to be a good model; that is measured, not assumed). The first checkpoint gives the
/// metadata (model spec, config, history); export, verify, <c>scale-logits</c> and <c>initFrom</c> read the result like
/// any checkpoint.
/// </summary>
public static class AverageWeightsCommand
{
    /// <summary>The <c>average-weights</c> command.</summary>
    public static Command Create()
    {
        var checkpoints = new Option<FileInfo[]>("--checkpoint") { Description = "A checkpoint to average (give two or more).", Required = true, AllowMultipleArgumentsPerToken = false };
        var output = new Option<FileInfo>("--out") { Description = "Checkpoint to write (weights and metadata only, no optimizer state).", Required = true };
        var cmd = new Command("average-weights", "Write a checkpoint whose weights are the mean of several checkpoints' evaluated weights (same model).")
        {
            checkpoints, output,
        };
        cmd.SetAction(parse => TrainCommands.Guard(() =>
        {
            var inputs = parse.GetValue(checkpoints)!.Select(f => f.FullName).ToArray();
            var target = parse.GetValue(output)!.FullName;
            if (inputs.Length < 2) throw new ArgumentException($"--checkpoint: give two or more checkpoints to average, not {inputs.Length}");
            if (inputs.Any(i => string.Equals(i, target, StringComparison.Ordinal))) throw new ArgumentException($"--out {target} must differ from every --checkpoint");
            var (meta, sum) = Read(inputs[0]);
            foreach (var path in inputs.Skip(1))
            {
                var (m, weights) = Read(path);
                if (m.Model.Architecture != meta.Model.Architecture)
                    throw new ArgumentException($"{path} is a {m.Model.Architecture} model, {inputs[0]} a {meta.Model.Architecture} one");
                if (m.Tokenizer != meta.Tokenizer) throw new ArgumentException($"{path} has another tokenizer than {inputs[0]}");
                if (weights.Count != sum.Count || weights.Keys.Any(k => !sum.ContainsKey(k)))
                    throw new ArgumentException($"{path} and {inputs[0]} have different weight names");
                foreach (var (name, (data, shape)) in weights)
                {
                    var acc = sum[name];
                    if (!shape.SequenceEqual(acc.Shape))
                        throw new ArgumentException($"{path}: weight {name} is [{string.Join(",", shape)}], {inputs[0]} has [{string.Join(",", acc.Shape)}]");
                    for (var i = 0; i < data.Length; i++) acc.Data[i] += data[i];
                }
            }

            foreach (var (_, (data, _)) in sum)
                for (var i = 0; i < data.Length; i++) data[i] /= inputs.Length;
            using var model = meta.Model.Build();
            Checkpoint.LoadWeights(model, sum, target);
            meta.AveragedFrom = [.. inputs.Select(i => Path.GetRelativePath(Directory.GetCurrentDirectory(), i))];
            Checkpoint.Save(target, meta, model, optimizer: null);
            Console.WriteLine($"{target}: the mean of the weights of {string.Join(", ", meta.AveragedFrom)}");
            return 0;
        }));
        return cmd;
    }

    private static (CheckpointMeta Meta, Dictionary<string, (float[] Data, long[] Shape)> Weights) Read(string path)
    {
        var (meta, tensors) = Checkpoint.Read(path);
        if (meta.LogitScale != 1) throw new ArgumentException($"{path} has scaled logits (scale-logits): average the unscaled checkpoints, then scale");
        return (meta, Checkpoint.EvaluatedWeights(tensors));
    }
}
