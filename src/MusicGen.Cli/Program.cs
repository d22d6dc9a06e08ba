using System.CommandLine;
using MusicGen.Cli.Commands;

var root = new RootCommand("musicgen: composes music as MIDI with LSTM and Transformer models.");
root.Subcommands.Add(MidiCommands.Create());
root.Subcommands.Add(EvalCommands.Create());
root.Subcommands.Add(TokensCommands.Create());
root.Subcommands.Add(CorpusCommands.Create());
return root.Parse(args).Invoke();
