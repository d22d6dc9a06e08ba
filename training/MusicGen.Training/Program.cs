using System.CommandLine;
using MusicGen.Training.Commands;
using MusicGen.Training.Export;

var root = new RootCommand("musicgen-train: train LSTM and Transformer music models with TorchSharp and export them to ONNX (run through training/musicgen-train.sh).");
root.Subcommands.Add(TrainCommands.Create());
root.Subcommands.Add(BenchCommands.Create());
foreach (var command in ExportCommands.Create()) root.Subcommands.Add(command);
return root.Parse(args).Invoke();
