using System.CommandLine;
using MusicGen.Training.Commands;

var root = new RootCommand("musicgen-train: train LSTM and Transformer music models with TorchSharp (run through training/musicgen-train.sh).");
root.Subcommands.Add(TrainCommands.Create());
root.Subcommands.Add(BenchCommands.Create());
foreach (var command in MusicGen.Training.Export.ExportCommands.Create()) root.Subcommands.Add(command);
return root.Parse(args).Invoke();
