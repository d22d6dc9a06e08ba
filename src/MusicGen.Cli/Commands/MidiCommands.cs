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
        midi.Subcommands.Add(Conform());
        midi.Subcommands.Add(Fuzz());
        midi.Subcommands.Add(Bench());
        return midi;
    }

    private static Argument<FileInfo> FileArgument() => new("FILE") { Description = "A Standard MIDI File (.mid)." };

    private static Option<bool> StrictOption() => new("--strict") { Description = "Throw on every rule violation instead of repairing (lenient is the default)." };

    private static Command Dump()
    {
        var file = FileArgument();
        var strict = StrictOption();
        var cmd = new Command("dump", "Print the notes, tempos and time signatures of a MIDI file as JSON.") { file, strict };
        cmd.SetAction(parse => Guard(parse, output =>
        {
            var score = Load(parse.GetValue(file)!, parse.GetValue(strict));
            output.Write(MidiScore.ToDumpJson(score));
            output.Write('\n');
            return 0;
        }));
        return cmd;
    }

    private static Command Info()
    {
        var file = FileArgument();
        var strict = StrictOption();
        var cmd = new Command("info", "Print a human summary of a MIDI file: format, tracks, duration, notes, tempos, signatures.") { file, strict };
        cmd.SetAction(parse => Guard(parse, output =>
        {
            var path = parse.GetValue(file)!.FullName;
            var midi = ReadMidi(path, parse.GetValue(strict));
            output.Write(Describe(path, midi));
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

    private static Argument<string[]> InputsArgument() =>
        new("INPUT") { Description = "MIDI files or directories (searched recursively for .mid/.midi/.kar).", Arity = ArgumentArity.OneOrMore };

    /// <summary>MIDI files named by <paramref name="inputs"/> (directories searched recursively), sorted.</summary>
    internal static List<string> FindMidiFiles(IEnumerable<string> inputs)
    {
        var files = new List<string>();
        foreach (var input in inputs)
        {
            if (File.Exists(input)) { files.Add(Path.GetFullPath(input)); continue; }
            if (!Directory.Exists(input)) throw new IOException($"no such file or directory: {input}");
            foreach (var f in Directory.EnumerateFiles(input, "*", SearchOption.AllDirectories))
            {
                string ext = Path.GetExtension(f).ToLowerInvariant();
                if (ext is ".mid" or ".midi" or ".kar" or ".smf") files.Add(Path.GetFullPath(f));
            }
        }
        files.Sort(StringComparer.Ordinal);
        return files;
    }

    private static Command Conform()
    {
        var inputs = InputsArgument();
        var show = new Option<int>("--show") { Description = "How many disagreeing files to describe.", DefaultValueFactory = _ => 10 };
        var cmd = new Command("conform", "Compare `midi dump` with an independent reader (mido, via /usr/bin/python3) on MIDI files.") { inputs, show };
        cmd.SetAction((parse, cancel) => Task.FromResult(Guard(parse, output =>
        {
            var files = FindMidiFiles(parse.GetValue(inputs)!);
            if (!MidoReference.IsAvailable(out string why)) throw new InvalidOperationException(why);
            var errors = new Dictionary<string, string>();
            var reference = MidoReference.Run(files, errors, cancel);
            int both = 0, same = 0, midoFailed = 0, oursFailed = 0, bothFailed = 0, shown = 0;
            long notesRef = 0, notesSame = 0, temposRef = 0, temposSame = 0, sigsRef = 0, sigsSame = 0;
            foreach (var f in files)
            {
                string? theirs = reference.GetValueOrDefault(f);
                string? ours = null;
                string? ourError = null;
                try { ours = MidiScore.ToDumpJson(MidiScore.Load(f)); }
                catch (MidiFormatException e) { ourError = e.Message; }
                if (theirs is null && ours is null) { bothFailed++; continue; }
                if (theirs is null) { midoFailed++; continue; }
                if (ours is null)
                {
                    oursFailed++;
                    if (shown++ < parse.GetValue(show)) output.WriteLine($"ours failed where mido read it: {ourError}");
                    continue;
                }
                both++;
                var a = System.Text.Json.Nodes.JsonNode.Parse(ours)!;
                var b = System.Text.Json.Nodes.JsonNode.Parse(theirs)!;
                var c = DumpComparison.Compare(a, b);
                notesRef += c.NotesReference; notesSame += c.NotesSame;
                temposRef += c.TemposReference; temposSame += c.TemposSame;
                sigsRef += c.SignaturesReference; sigsSame += c.SignaturesSame;
                if (System.Text.Json.Nodes.JsonNode.DeepEquals(a, b)) same++;
                else if (shown++ < parse.GetValue(show)) output.WriteLine($"differs: {f}: {c.Summary}");
            }
            output.WriteLine($"files: {files.Count}; read by both: {both}; identical dumps: {same}/{both}; mido failed: {midoFailed} (we read them), we failed: {oursFailed}, both failed: {bothFailed}");
            output.WriteLine($"notes agreeing: {notesSame}/{notesRef}; tempos: {temposSame}/{temposRef}; time signatures: {sigsSame}/{sigsRef}");
            return same == both && oursFailed == 0 ? 0 : 2;
        })));
        return cmd;
    }

    private static Command Fuzz()
    {
        var input = new Option<string[]>("--input") { Description = "Directories or files of real MIDI files to mutate.", Required = true, AllowMultipleArgumentsPerToken = true };
        var mutations = new Option<int>("--mutations") { Description = "Number of mutated files to read.", DefaultValueFactory = _ => 100_000 };
        var seed = new Option<int>("--seed") { Description = "Random seed.", DefaultValueFactory = _ => 1 };
        var cmd = new Command("fuzz", "Read randomly corrupted copies of real MIDI files: any exception other than MidiFormatException, or a file taking 100 ms or more, fails.") { input, mutations, seed };
        cmd.SetAction(parse => Guard(parse, output =>
        {
            var files = FindMidiFiles(parse.GetValue(input)!);
            if (files.Count == 0) throw new IOException("no MIDI files found");
            var sources = files.ConvertAll(File.ReadAllBytes);
            var report = MidiFuzz.Run(sources, files, parse.GetValue(mutations), parse.GetValue(seed), output);
            output.WriteLine(report.ToString());
            return report.Passed ? 0 : 1;
        }));
        return cmd;
    }

    private static Command Bench()
    {
        var inputs = InputsArgument();
        var repeat = new Option<int>("--repeat") { Description = "Timed passes after the first.", DefaultValueFactory = _ => 5 };
        var cmd = new Command("bench", "Time reading every MIDI file (disk read, parse, musical view), first pass and best of --repeat.") { inputs, repeat };
        cmd.SetAction(parse => Guard(parse, output =>
        {
            var files = FindMidiFiles(parse.GetValue(inputs)!);
            var process = System.Diagnostics.Process.GetCurrentProcess();
            double firstCpu = 0, bestCpu = double.MaxValue;
            double first = 0, best = double.MaxValue, bestParse = double.MaxValue, bestScore = double.MaxValue;
            long bytes = 0, notes = 0;
            int failed = 0;
            for (int pass = 0; pass <= Math.Max(0, parse.GetValue(repeat)); pass++)
            {
                bytes = 0; notes = 0; failed = 0;
                process.Refresh();
                var cpu0 = process.TotalProcessorTime;
                var sw = System.Diagnostics.Stopwatch.StartNew();
                foreach (var f in files)
                {
                    try
                    {
                        var score = MidiScore.Load(f);
                        foreach (var t in score.Tracks) notes += t.Notes.Count;
                    }
                    catch (MidiFormatException) { failed++; }
                }
                double s = sw.Elapsed.TotalSeconds;
                process.Refresh();
                double cpu = (process.TotalProcessorTime - cpu0).TotalSeconds;
                if (pass == 0) { first = s; firstCpu = cpu; } else { best = Math.Min(best, s); bestCpu = Math.Min(bestCpu, cpu); }
                var data = files.ConvertAll(File.ReadAllBytes);
                sw.Restart();
                var parsed = new List<MidiFile>(data.Count);
                foreach (var d in data) { bytes += d.Length; try { parsed.Add(MidiFile.Read(d)); } catch (MidiFormatException) { } }
                bestParse = Math.Min(bestParse, sw.Elapsed.TotalSeconds);
                sw.Restart();
                foreach (var m in parsed) ScoreConverter.ToScore(m);
                bestScore = Math.Min(bestScore, sw.Elapsed.TotalSeconds);
            }
            var inv = System.Globalization.CultureInfo.InvariantCulture;
            output.WriteLine(string.Create(inv, $"{files.Count} files, {bytes / 1024.0 / 1024.0:0.00} MiB, {notes} notes, {failed} unreadable"));
            output.WriteLine(string.Create(inv, $"read + musical view (MidiScore.Load): first pass {first * 1000:0} ms wall, {firstCpu * 1000:0} ms CPU (includes JIT); best of {parse.GetValue(repeat)} {(best == double.MaxValue ? first : best) * 1000:0} ms wall, {(bestCpu == double.MaxValue ? firstCpu : bestCpu) * 1000:0} ms CPU"));
            output.WriteLine(string.Create(inv, $"parse only from memory (MidiFile.Read): best {bestParse * 1000:0} ms, {bytes / 1024.0 / 1024.0 / bestParse:0} MiB/s; musical view only (ScoreConverter.ToScore): best {bestScore * 1000:0} ms"));
            return 0;
        }));
        return cmd;
    }

    private static Score Load(FileInfo file, bool strict) =>
        ScoreConverter.ToScore(ReadMidi(file.FullName, strict));

    private static MidiFile ReadMidi(string path, bool strict)
    {
        if (Directory.Exists(path)) throw new IOException($"{path} is a directory, not a MIDI file");
        return MidiFile.ReadFile(path, strict ? MidiReadingSettings.Strict : MidiReadingSettings.Lenient);
    }

    /// <summary>Runs a command body; an unreadable input gives exit code 1 and one line on stderr, no stack trace.</summary>
    internal static int Guard(ParseResult parse, Func<TextWriter, int> body)
    {
        var output = parse.InvocationConfiguration.Output;
        try
        {
            return body(output);
        }
        catch (Exception e) when (e is MidiFormatException or IOException or UnauthorizedAccessException or ArgumentException or InvalidOperationException)
        {
            parse.InvocationConfiguration.Error.WriteLine("error: " + OneLine(e.Message));
            return 1;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // A bug, not bad input: still one line (the type says where to look), exit code 2.
            parse.InvocationConfiguration.Error.WriteLine($"internal error: {e.GetType().Name}: {OneLine(e.Message)}");
            return 2;
        }
    }

    private static string OneLine(string s) => s.ReplaceLineEndings(" ");
}
