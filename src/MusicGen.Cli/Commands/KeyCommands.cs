using System.CommandLine;
using System.Globalization;
using MusicGen.Core.Midi;
using MusicGen.Core.Music;
using Spectre.Console;

namespace MusicGen.Cli.Commands;

/// <summary>
/// <c>musicgen eval keys DIR</c> and <c>musicgen eval chords DIR</c>: the key finder against the files' key
/// signatures, the chord recognizer against a track that states the chords.
/// </summary>
public static class KeyCommands
{
    /// <summary>The <c>chords</c> command (under <c>eval</c>).</summary>
    public static Command Chords()
    {
        var dir = new Argument<DirectoryInfo>("DIR") { Description = "Folder of MIDI files (searched recursively)." };
        var track = new Option<int>("--reference-track") { Description = "0-based track that plays the chords (Nottingham: 1).", DefaultValueFactory = _ => 1 };
        var cmd = new Command("chords", "Chord recognition: agreement, per harmony segment (half a measure; a measure in odd meters), of the chords recognised on all tracks and on the other tracks with those recognised on a track that plays the chords.")
        {
            dir, track,
        };
        cmd.SetAction((parse, ct) =>
        {
            var root = parse.GetValue(dir)!;
            if (!root.Exists)
            {
                Console.Error.WriteLine($"error: folder '{root.FullName}' does not exist.");
                return Task.FromResult(1);
            }

            var a = ChordAgreement.Measure(Load(root, ct).Select(s => s.Score), parse.GetValue(track));
            var ci = CultureInfo.InvariantCulture;
            string Pct(int x) => a.Segments == 0 ? "-" : $"{x} ({(100.0 * x / a.Segments).ToString("0.0", ci)} %)";
            Console.WriteLine($"files with the reference track: {a.Scores}, segments where it sounds: {a.Segments}");
            Console.WriteLine($"reference clean (its notes all in its chord): {Pct(a.ReferenceClean)}");
            Console.WriteLine($"all tracks, same chord:  {Pct(a.AllTracksAgree)}");
            Console.WriteLine($"all tracks, same root:   {Pct(a.AllTracksSameRoot)}");
            Console.WriteLine($"other tracks (melody) alone, same chord: {Pct(a.OtherTracksAgree)}");
            return Task.FromResult(0);
        });
        return cmd;
    }

    private static List<(string Path, Score Score)> Load(DirectoryInfo root, CancellationToken ct)
    {
        var scores = new List<(string Path, Score Score)>();
        foreach (var path in Directory.EnumerateFiles(root.FullName, "*", SearchOption.AllDirectories)
                     .Where(p => p.EndsWith(".mid", StringComparison.OrdinalIgnoreCase) || p.EndsWith(".midi", StringComparison.OrdinalIgnoreCase))
                     .Order(StringComparer.Ordinal))
        {
            ct.ThrowIfCancellationRequested();
            try
            {
                scores.Add((Path.GetRelativePath(root.FullName, path), MidiScore.Load(path)));
            }
            catch (MidiFormatException e)
            {
                Console.Error.WriteLine($"warning: skipped {path}: {e.Message}");
            }
        }

        return scores;
    }

    /// <summary>The <c>keys</c> command (under <c>eval</c>).</summary>
    public static Command Keys()
    {
        var dir = new Argument<DirectoryInfo>("DIR") { Description = "Folder of MIDI files (searched recursively)." };
        var list = new Option<bool>("--list") { Description = "Also print every file's signature key, its estimate and the key map's choice." };
        var cmd = new Command("keys", "Key finding: agreement of the Krumhansl–Schmuckler estimate (each profile) with the files' key signatures, and how many signatures are plausible.")
        {
            dir, list,
        };
        cmd.SetAction((parse, ct) =>
        {
            var root = parse.GetValue(dir)!;
            if (!root.Exists)
            {
                Console.Error.WriteLine($"error: folder '{root.FullName}' does not exist.");
                return Task.FromResult(1);
            }

            var scores = Load(root, ct);
            if (parse.GetValue(list))
            {
                foreach (var (path, score) in scores)
                {
                    var sigs = KeyFinder.NormalizedSignatures(score);
                    var estimate = KeyFinder.Estimate(KeyFinder.PitchClassWeights(score, long.MinValue, long.MaxValue));
                    var map = KeyFinder.KeyMap(score);
                    Console.WriteLine($"{path}\tsignature {(sigs.Count == 0 ? "-" : string.Join(" ", sigs.Select(s => s.Key.ShortName)))}\testimate {estimate?.ShortName ?? "-"}\tkey {string.Join(" ", map.Select(k => k.Key.ShortName))} ({map[0].Source})");
                }
            }

            var ci = CultureInfo.InvariantCulture;
            string Pct(int a, int b) => b == 0 ? "-" : $"{a} ({(100.0 * a / b).ToString("0.0", ci)} %)";
            var table = new Table().Border(TableBorder.Rounded);
            table.Title = new TableTitle(Markup.Escape($"{scores.Count} files in {root.FullName}"));
            foreach (var c in new[] { "profile", "compared", "signature plausible", "exact key", "same signature", "parallel", "a fifth off" })
            {
                table.AddColumn(new TableColumn(c).RightAligned());
            }

            foreach (var profile in Enum.GetValues<KeyProfile>())
            {
                var a = KeyAgreement.Measure(scores.Select(s => s.Score), profile);
                table.AddRow(profile.ToString(), a.Compared.ToString(ci), Pct(a.Plausible, a.Compared), Pct(a.Exact, a.Compared), Pct(a.SameSignature, a.Compared), Pct(a.Parallel, a.Compared), Pct(a.Fifth, a.Compared));
            }

            AnsiConsole.Write(table);
            var sources = scores.Select(s => KeyFinder.KeyMap(s.Score)[0].Source).GroupBy(s => s).OrderBy(g => g.Key).Select(g => $"{g.Key} {g.Count()}");
            Console.WriteLine($"key map ({KeyFinder.DefaultProfile} estimates): " + string.Join(", ", sources));
            return Task.FromResult(0);
        });
        return cmd;
    }
}
