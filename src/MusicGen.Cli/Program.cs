using System.CommandLine;
using MusicGen.Cli.Commands;

var root = new RootCommand("musicgen: composes music as MIDI with LSTM and Transformer models.");
root.Subcommands.Add(MidiCommands.Create());
root.Subcommands.Add(TokensCommands.Create());
root.Subcommands.Add(CorpusCommands.Create());
root.Subcommands.Add(EvalCommands.Create());
root.Subcommands.Add(GenerateCommands.Create());
root.Subcommands.Add(RenderCommand.Create());
root.Subcommands.Add(BenchCommands.Create());
root.Subcommands.Add(BenchCommands.CreatePackageCommand());
return root.Parse(args).Invoke();
