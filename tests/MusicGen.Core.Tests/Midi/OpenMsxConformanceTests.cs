using System.Diagnostics;
using System.Text.Json.Nodes;
using MusicGen.Cli.Commands;
using MusicGen.Core.Midi;
using Xunit.Abstractions;

namespace MusicGen.Core.Tests.Midi;

/// <summary>A fact skipped unless mido, apt-get and dpkg-deb are all present.</summary>
public sealed class DebianMidoFactAttribute : FactAttribute
{
    public DebianMidoFactAttribute()
    {
        if (!MidoReference.IsAvailable(out string why)) Skip = $"needs python3-mido: {why}";
        else if (!File.Exists("/usr/bin/apt-get") || !File.Exists("/usr/bin/dpkg-deb")) Skip = "needs apt-get and dpkg-deb to fetch openttd-openmsx";
    }
}

/// <summary>Real files from another authoring tool: the 31 MIDI files of Debian's openttd-openmsx, fetched at test
/// time, must dump exactly as mido reads them.</summary>
public class OpenMsxConformanceTests(ITestOutputHelper output)
{
    [DebianMidoFact]
    public void Dump_agrees_with_mido_on_openttd_openmsx()
    {
        string dir = Path.Combine(Path.GetTempPath(), $"musicgen-openmsx-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        try
        {
            if (!Run("apt-get", dir, "download", "openttd-openmsx"))
            {
                output.WriteLine("apt-get download openttd-openmsx failed (no network or package index): nothing compared");
                return;
            }
            string deb = Directory.GetFiles(dir, "*.deb").Single();
            Assert.True(Run("dpkg-deb", dir, "-x", deb, Path.Combine(dir, "x")), "dpkg-deb -x failed");
            var files = MidiCommands.FindMidiFiles([Path.Combine(dir, "x")]);
            Assert.NotEmpty(files);
            var errors = new Dictionary<string, string>();
            var reference = MidoReference.Run(files, errors);
            long notes = 0;
            foreach (var f in files)
            {
                Assert.True(reference[f] is not null, $"mido failed on {f}: {errors.GetValueOrDefault(f)}");
                var ours = JsonNode.Parse(MidiScore.ToDumpJson(MidiScore.Load(f)))!;
                var theirs = JsonNode.Parse(reference[f]!)!;
                var c = DumpComparison.Compare(ours, theirs);
                notes += c.NotesReference;
                Assert.True(JsonNode.DeepEquals(ours, theirs), $"{Path.GetFileName(f)}: {c.Summary}");
            }
            output.WriteLine($"{files.Count} files, {notes} notes: identical to mido");
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private static bool Run(string tool, string dir, params string[] args)
    {
        var psi = new ProcessStartInfo(tool, args) { WorkingDirectory = dir, RedirectStandardError = true, RedirectStandardOutput = true };
        using var p = Process.Start(psi)!;
        var err = p.StandardError.ReadToEndAsync();
        p.StandardOutput.ReadToEnd();
        if (!p.WaitForExit(180_000)) { p.Kill(); return false; }
        _ = err.Result;
        return p.ExitCode == 0;
    }
}
