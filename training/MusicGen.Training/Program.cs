using System.CommandLine;
using MusicGen.Training.Commands;
using MusicGen.Training.Export;

// libtorch's OpenMP runtime reads OMP_WAIT_POLICY when it loads; unset, its idle threads spin (measured 5x slower
// training on the shared machine, docs/training.md "Thread settings"). Only the launcher can set it for the process.
if (string.IsNullOrEmpty(Environment.GetEnvironmentVariable("OMP_WAIT_POLICY")))
    Console.Error.WriteLine("note: OMP_WAIT_POLICY is not set, so libtorch's idle threads spin (5x slower training on a loaded machine); "
        + "training/musicgen-train.sh sets OMP_WAIT_POLICY=PASSIVE.");
var root = new RootCommand("musicgen-train: train LSTM and Transformer music models with TorchSharp and export them to ONNX (run through training/musicgen-train.sh).");
root.Subcommands.Add(TrainCommands.Create());
root.Subcommands.Add(BenchCommands.Create());
root.Subcommands.Add(ScaleLogitsCommand.Create());
root.Subcommands.Add(AverageWeightsCommand.Create());
foreach (var command in ExportCommands.Create()) root.Subcommands.Add(command);
return root.Parse(args).Invoke();
