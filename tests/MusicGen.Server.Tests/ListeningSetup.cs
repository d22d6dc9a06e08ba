using System.CommandLine;
using MusicGen.Cli.Commands;
using MusicGen.Core.Midi;
using MusicGen.Core.Music;

namespace MusicGen.Server.Tests;

/// <summary>
/// A listening test on disk: a models folder with a tiny real package, a folder of real MIDI files (written with our
/// codec, named so that a leak of a name or a file is easy to spot), and the path of the SQLite database.
/// </summary>
internal sealed class ListeningSetup : IDisposable
{
    public const string Model = "tiny";
    public const string FilePrefix = "secret-real-tune-";
    public const string FolderName = "private-collection";

    private readonly TempDir _dir = new();

    public ListeningSetup(int files = 12, int pairs = 10, double seconds = 6)
    {
        ModelsPath = Path.Combine(_dir.Path, "models");
        TestPackages.Write(Path.Combine(ModelsPath, Model), Model, "1", seed: 1);
        RealPath = Path.Combine(_dir.Path, FolderName);
        Directory.CreateDirectory(Path.Combine(RealPath, "nested"));
        for (var i = 0; i < files; i++)
        {
            var path = Path.Combine(RealPath, i % 3 == 0 ? "nested" : "", $"{FilePrefix}{i:00}.mid");
            MidiScore.Save(Tune(i), path);
            RealFiles.Add(path);
        }
        DatabasePath = Path.Combine(_dir.Path, "answers", "listening.db");
        Directory.CreateDirectory(Path.GetDirectoryName(DatabasePath)!);
        Settings = new Dictionary<string, string?>
        {
            ["MusicGen:Listening:RealMidiPath"] = RealPath,
            ["MusicGen:Listening:Models:0"] = Model,
            ["MusicGen:Listening:DatabasePath"] = DatabasePath,
            ["MusicGen:Listening:PairsPerSession"] = pairs.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["MusicGen:Listening:ExcerptSeconds"] = seconds.ToString(System.Globalization.CultureInfo.InvariantCulture),
        };
    }

    public string Root => _dir.Path;
    public string ModelsPath { get; }
    public string RealPath { get; }
    public List<string> RealFiles { get; } = [];
    public string DatabasePath { get; }
    public Dictionary<string, string?> Settings { get; }

    /// <summary>A melody with a bass line over a few bars, different for every index (a key signature and names too, which must not reach the page).</summary>
    public static Score Tune(int index)
    {
        var rng = new Random(index);
        var score = new Score { TicksPerQuarter = 480 };
        score.Tempos.Add(new TempoChange(0, 500_000 + 20_000 * index));
        score.TimeSignatures.Add(new TimeSignature(0, 4, 4));
        score.KeySignatures.Add(new KeySignature(0, index % 5, false));
        var melody = new ScoreTrack { Index = 1, Name = $"melody of {FilePrefix}{index:00}", Program = 73 };
        var bass = new ScoreTrack { Index = 2, Name = "bass", Program = 32 };
        var pitch = 60 + index % 7;
        for (var q = 0; q < 4 * 6; q++)
        {
            pitch = Math.Clamp(pitch + rng.Next(-3, 4), 55, 79);
            melody.Notes.Add(new Note(q * 480L, q * 480L + 400, 0, pitch, 70 + rng.Next(40)));
            if (q % 4 == 0) bass.Notes.Add(new Note(q * 480L, q * 480L + 1800, 1, 36 + index % 12, 80));
        }
        score.Tracks.Add(melody);
        score.Tracks.Add(bass);
        return score;
    }

    /// <summary>Runs <c>musicgen eval listening --db PATH</c> through the CLI's own command tree; returns exit code and output.</summary>
    public static (int Exit, string Output, string Error) RunCli(params string[] args)
    {
        var root = new RootCommand("musicgen") { EvalCommands.Create() };
        using var output = new StringWriter();
        using var error = new StringWriter();
        var exit = root.Parse(args).Invoke(new InvocationConfiguration { Output = output, Error = error });
        return (exit, output.ToString(), error.ToString());
    }

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        _dir.Dispose();
    }
}
