using System.CommandLine;
using System.Diagnostics;
using System.Text.Json;
using MusicGen.Cli.Commands;
using MusicGen.Core.Midi;

namespace MusicGen.Core.Tests.Midi;

public class MidiCliTests
{
    private static (int Code, string Out, string Err) Run(params string[] args)
    {
        var root = new RootCommand();
        root.Subcommands.Add(MidiCommands.Create());
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int code = root.Parse(args).Invoke(new InvocationConfiguration { Output = stdout, Error = stderr });
        return (code, stdout.ToString(), stderr.ToString());
    }

    private static string Temp(byte[] bytes)
    {
        string path = Path.Combine(Path.GetTempPath(), $"musicgen-cli-{Guid.NewGuid():N}.mid");
        File.WriteAllBytes(path, bytes);
        return path;
    }

    [Fact]
    public void Dump_prints_the_documented_shape()
    {
        string path = Temp(Smf.File(1, 480,
            [0x00, 0xFF, 0x51, 0x03, 0x07, 0xA1, 0x20, 0x00, 0xFF, 0x58, 0x04, 4, 2, 24, 8, 0x00, 0xFF, 0x2F, 0x00],
            [0x00, 0xFF, 0x03, 0x05, (byte)'P', (byte)'i', (byte)'a', (byte)'n', (byte)'o', 0x00, 0x90, 60, 100, 0x83, 0x60, 0x80, 60, 0, 0x00, 0xFF, 0x2F, 0x00],
            [0x00, 0xFF, 0x2F, 0x00]));
        try
        {
            var (code, stdout, stderr) = Run("midi", "dump", path);
            Assert.Equal(0, code);
            Assert.Equal("", stderr);
            Assert.Equal(
                """{"format":1,"ticksPerQuarter":480,"tracks":[{"index":0,"name":null,"notes":[]},{"index":1,"name":"Piano","notes":[{"start":0,"end":480,"channel":0,"pitch":60,"velocity":100}]},{"index":2,"name":null,"notes":[]}],"tempos":[{"tick":0,"microsecondsPerQuarter":500000}],"timeSignatures":[{"tick":0,"numerator":4,"denominator":4}]}""",
                stdout.Trim());
            using var _ = JsonDocument.Parse(stdout);
        }
        finally { File.Delete(path); }
    }

    [Fact]
    public void Info_summarises_the_file()
    {
        string path = Temp(MidiScore.ToBytes(ScoreFixtures.Piece()));
        try
        {
            var (code, stdout, _) = Run("midi", "info", path);
            Assert.Equal(0, code);
            Assert.Contains("format:      1, 480 ticks per quarter, 3 track(s)", stdout);
            Assert.Contains("\"Bass\"", stdout);
            Assert.Contains("program 33 (Electric Bass (finger))", stdout);
            Assert.Contains("drums", stdout);
            Assert.Contains("120 BPM at bar 1, 150 BPM at bar 3", stdout);
            Assert.Contains("4/4 at bar 1, 3/4 at bar 3", stdout);
            Assert.Contains("Bb major", stdout);
            Assert.Matches(@"notes:\s+\d+, pitch range C2 \(36\) to F#6 \(90\)", stdout);
        }
        finally { File.Delete(path); }
    }

    [Theory]
    [InlineData("dump")]
    [InlineData("info")]
    public void Unreadable_file_exits_non_zero_with_one_line_on_stderr(string command)
    {
        string path = Temp("MThd\0\0\0\u0006\0\u0009"u8.ToArray());
        try
        {
            var (code, stdout, stderr) = Run("midi", command, path);
            Assert.NotEqual(0, code);
            Assert.Equal("", stdout);
            Assert.Single(stderr.TrimEnd('\n').Split('\n'));
            Assert.Contains(path, stderr);
            Assert.Contains("byte", stderr);
        }
        finally { File.Delete(path); }
    }

    [Fact]
    public void The_real_executable_reports_errors_without_a_stack_trace()
    {
        string exe = Path.Combine(AppContext.BaseDirectory, "musicgen.dll");
        Assert.True(File.Exists(exe), exe);
        string missing = Path.Combine(Path.GetTempPath(), $"missing-{Guid.NewGuid():N}.mid");
        var psi = new ProcessStartInfo("dotnet", [exe, "midi", "dump", missing]) { RedirectStandardError = true, RedirectStandardOutput = true };
        using var p = Process.Start(psi)!;
        string stderr = p.StandardError.ReadToEnd();
        string stdout = p.StandardOutput.ReadToEnd();
        Assert.True(p.WaitForExit(60_000));
        Assert.NotEqual(0, p.ExitCode);
        Assert.Equal("", stdout);
        Assert.Single(stderr.TrimEnd('\n').Split('\n'));
        Assert.DoesNotContain(" at ", stderr);
    }

    [MidoFact]
    public void Conform_command_compares_with_mido_and_counts_agreement()
    {
        string dir = Path.Combine(Path.GetTempPath(), $"musicgen-conform-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        try
        {
            File.WriteAllBytes(Path.Combine(dir, "a.mid"), MidiScore.ToBytes(ScoreFixtures.Piece()));
            File.WriteAllBytes(Path.Combine(dir, "bad.mid"), "MThd"u8.ToArray());
            var (code, stdout, _) = Run("midi", "conform", dir);
            Assert.Equal(0, code);
            Assert.Contains("files: 2; read by both: 1; identical dumps: 1/1; mido failed: 0 (we read them), we failed: 0, both failed: 1", stdout);
            int notes = ScoreFixtures.Piece().AllNotes.Count();
            Assert.Contains($"notes agreeing: {notes}/{notes}", stdout);
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    [Fact]
    public void Fuzz_and_bench_commands_run_on_a_small_directory()
    {
        string dir = Path.Combine(Path.GetTempPath(), $"musicgen-fuzz-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        try
        {
            File.WriteAllBytes(Path.Combine(dir, "a.mid"), MidiScore.ToBytes(ScoreFixtures.Piece()));
            File.WriteAllBytes(Path.Combine(dir, "b.midi"), MidiScore.ToBytes(ScoreFixtures.Piece(96)));
            var (code, stdout, _) = Run("midi", "fuzz", "--input", dir, "--mutations", "300", "--seed", "3");
            Assert.Contains("other exceptions: 0", stdout);
            Assert.Equal(0, code);
            (code, stdout, _) = Run("midi", "bench", dir, "--repeat", "1");
            Assert.Equal(0, code);
            Assert.Contains("2 files", stdout);
        }
        finally { Directory.Delete(dir, recursive: true); }
    }
}
