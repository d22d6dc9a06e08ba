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
        midi.Subcommands.Add(Info());
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

    private static Command Info()
    {
        var file = FileArgument();
        var strict = StrictOption();
        var cmd = new Command("info", "Print a human summary of a MIDI file: format, tracks, duration, notes, tempos, signatures.") { file, strict };
        cmd.SetAction(parse => Guard(() =>
        {
            var path = parse.GetValue(file)!.FullName;
            var midi = MidiFile.ReadFile(path, parse.GetValue(strict) ? MidiReadingSettings.Strict : MidiReadingSettings.Lenient);
            Console.Out.Write(Describe(path, midi));
            return 0;
        }));
        return cmd;
    }

    /// <summary>The text printed by <c>midi info</c>.</summary>
    internal static string Describe(string path, MidiFile midi)
    {
        var score = ScoreConverter.ToScore(midi);
        var inv = System.Globalization.CultureInfo.InvariantCulture;
        var sb = new System.Text.StringBuilder();
        var tempo = TempoMap.For(score);
        var meter = MeterMap.For(score);
        long end = 0;
        foreach (var t in midi.Tracks) end = Math.Max(end, t.EndTick);
        long lastNote = score.EndTick;
        int notes = 0, low = 128, high = -1;
        foreach (var t in score.Tracks)
            foreach (var n in t.Notes) { notes++; low = Math.Min(low, n.Pitch); high = Math.Max(high, n.Pitch); }

        sb.Append(inv, $"file:        {path}\n");
        string division = midi.IsSmpte
            ? $"SMPTE {(midi.SmpteFramesPerSecond == 29 ? "29.97" : midi.SmpteFramesPerSecond.ToString(inv))} fps x {midi.SmpteTicksPerFrame} ticks per frame"
            : $"{midi.TicksPerQuarter} ticks per quarter";
        sb.Append(inv, $"format:      {midi.Format}, {division}, {midi.Tracks.Count} track(s)\n");
        sb.Append(inv, $"duration:    {tempo.ToSeconds(end):0.###} s, {meter.BarsAt(end):0.##} bars ({end} ticks; last note ends at {tempo.ToSeconds(lastNote):0.###} s)\n");
        sb.Append(inv, $"notes:       {notes}");
        if (notes > 0) sb.Append(inv, $", pitch range {GeneralMidi.PitchName(low)} ({low}) to {GeneralMidi.PitchName(high)} ({high})");
        sb.Append('\n');
        sb.Append("tempos:      ");
        AppendList(sb, score.Tempos, x => string.Create(inv, $"{x.BeatsPerMinute:0.##} BPM at bar {meter.BarsAt(x.Tick) + 1:0.##}"), "none (120 BPM)");
        sb.Append("time sigs:   ");
        AppendList(sb, score.TimeSignatures, x => string.Create(inv, $"{x.Numerator}/{x.Denominator} at bar {meter.BarsAt(x.Tick) + 1:0.##}"), "none (4/4)");
        sb.Append("key sigs:    ");
        AppendList(sb, score.KeySignatures, x => string.Create(inv, $"{KeyName(x)} at bar {meter.BarsAt(x.Tick) + 1:0.##}"), "none");
        sb.Append("tracks:\n");
        foreach (var t in score.Tracks)
        {
            var channels = new SortedSet<int>();
            foreach (var n in t.Notes) channels.Add(n.Channel + 1);
            string instrument = t.IsDrum ? "drums" : $"program {t.Program} ({GeneralMidi.ProgramName(t.Program)})";
            sb.Append(inv, $"  {t.Index,3}  {(t.Name is null ? "(no name)" : "\"" + t.Name + "\""),-24} {instrument,-40} {t.Notes.Count,6} notes");
            if (channels.Count > 0) sb.Append(inv, $"  channel(s) {string.Join(",", channels)}");
            sb.Append('\n');
        }
        if (midi.RepairCount > 0)
        {
            sb.Append(inv, $"repairs:     {midi.RepairCount} (lenient reading)\n");
            for (int i = 0; i < Math.Min(5, midi.Repairs.Count); i++)
                sb.Append(inv, $"  {midi.Repairs[i].Kind} at byte {midi.Repairs[i].Offset}: {midi.Repairs[i].Description}\n");
        }
        return sb.ToString();
    }

    private static void AppendList<T>(System.Text.StringBuilder sb, List<T> items, Func<T, string> format, string none)
    {
        if (items.Count == 0) { sb.Append(none).Append('\n'); return; }
        const int Max = 8;
        for (int i = 0; i < Math.Min(Max, items.Count); i++)
        {
            if (i > 0) sb.Append(", ");
            sb.Append(format(items[i]));
        }
        if (items.Count > Max) sb.Append(System.Globalization.CultureInfo.InvariantCulture, $", ... ({items.Count} in all)");
        sb.Append('\n');
    }

    private static string KeyName(KeySignature k)
    {
        string[] major = ["Cb", "Gb", "Db", "Ab", "Eb", "Bb", "F", "C", "G", "D", "A", "E", "B", "F#", "C#"];
        string[] minor = ["Ab", "Eb", "Bb", "F", "C", "G", "D", "A", "E", "B", "F#", "C#", "G#", "D#", "A#"];
        return (k.IsMinor ? minor : major)[k.SharpsFlats + 7] + (k.IsMinor ? " minor" : " major");
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
