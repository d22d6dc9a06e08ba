using System.CommandLine;
using MusicGen.Core.Midi;
using MusicGen.Core.Music;

namespace MusicGen.Cli.Commands;

/// <summary><c>musicgen midi ...</c>: inspect, check and measure Standard MIDI Files.</summary>
public static class MidiCommands
{
    /// <summary>The <c>midi</c> command group.</summary>
    public static Command Create()
    {
        var midi = new Command("midi", "Read, inspect and check Standard MIDI Files.");
        midi.Subcommands.Add(Dump());
        return midi;
    }

    private static Argument<FileInfo> FileArgument() => new("FILE") { Description = "A Standard MIDI File (.mid)." };

    private static Option<bool> StrictOption() => new("--strict") { Description = "Throw on every rule violation instead of repairing (lenient is the default)." };

    private static Command Dump()
    {
        var file = FileArgument();
        var strict = StrictOption();
        var cmd = new Command("dump", "Print the notes, tempos and time signatures of a MIDI file as JSON.") { file, strict };
        cmd.SetAction(parse => Guard(() =>
        {
            var score = Load(parse.GetValue(file)!, parse.GetValue(strict));
            using var stdout = Console.OpenStandardOutput();
            var buffer = new System.Buffers.ArrayBufferWriter<byte>(1 << 16);
            MidiScore.WriteDumpJson(score, buffer);
            stdout.Write(buffer.WrittenSpan);
            stdout.Write("\n"u8);
            return 0;
        }));
        return cmd;
    }

    private static Score Load(FileInfo file, bool strict) =>
        MidiScore.Load(file.FullName, strict ? MidiReadingSettings.Strict : MidiReadingSettings.Lenient);

    /// <summary>Runs a command body; an unreadable input gives exit code 1 and one line on stderr, no stack trace.</summary>
    internal static int Guard(Func<int> body)
    {
        try
        {
            return body();
        }
        catch (Exception e) when (e is MidiFormatException or IOException or UnauthorizedAccessException or ArgumentException or InvalidOperationException)
        {
            Console.Error.WriteLine("error: " + OneLine(e.Message));
            return 1;
        }
    }

    private static string OneLine(string s) => s.ReplaceLineEndings(" ");
}
