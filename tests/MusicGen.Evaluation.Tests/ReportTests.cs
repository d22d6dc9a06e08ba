using System.Text.Json.Nodes;
using MusicGen.Core.Metrics;

namespace MusicGen.Evaluation.Tests;

public sealed class ReportTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "musicgen-eval-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_dir))
        {
            Directory.Delete(_dir, recursive: true);
        }
    }

    [Fact]
    public void Report_has_tables_figures_and_json()
    {
        var rng = new Random(5);
        var real = PieceSet.FromScores("real", "fixtures", Enumerable.Range(0, 12).Select(i => ($"r{i}", Scores.Random(rng))));
        var gen = PieceSet.FromScores("generated", "fixtures", Enumerable.Range(0, 10).Select(i => ($"g{i}", Scores.Random(rng, chromatic: true))));
        var nll = new NllResult(3, 300, 1.2, Math.Exp(1.2), 0.6, 40, 4.9, 0, true);
        var summary = EvaluationReport.Write(_dir, real, gen, new ReportOptions { Nll = nll, NllData = "toy", PianoRolls = 2, C2st = new C2stOptions { Trees = 20 } });

        var md = File.ReadAllText(summary.MarkdownPath);
        Assert.Contains("| pitch_class_entropy |", md);
        Assert.Contains("**AUC", md);
        Assert.Contains("| 3 | 300 | 1.200 |", md);
        Assert.Contains("![metric distributions](metrics.png)", md);
        Assert.Contains("pianoroll-generated-2.png", md);
        Assert.Contains("pianoroll-real-1.png", md);
        foreach (var f in summary.Files)
        {
            Assert.True(new FileInfo(f).Length > 0, f);
        }

        var png = File.ReadAllBytes(Path.Combine(_dir, "metrics.png"));
        Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' }, png[..4]);
        var json = JsonNode.Parse(File.ReadAllText(Path.Combine(_dir, "report.json")))!;
        Assert.Equal(MusicMetrics.Names.Count, json["metrics"]!.AsArray().Count);
        Assert.Equal(4.9, json["nll"]!["nllPerFrame"]!.GetValue<double>());
        Assert.NotNull(json["c2st"]!["auc"]);
        Assert.Equal(FeatureVector.Names.Count, json["c2st"]!["featureGains"]!.AsObject().Count);
        Assert.Contains("Features the trees split on most", md);
        // Drum metrics are undefined without drums: null in JSON, n/a in the table.
        Assert.Null(json["metrics"]!.AsArray().First(m => m!["name"]!.GetValue<string>() == "drum_pattern_consistency")!["real"]!["mean"]);
        Assert.Contains("| drum_pattern_consistency | n/a | n/a | n/a | n/a |", md);
    }

    [Fact]
    public void Small_sets_skip_the_classifier_with_a_reason()
    {
        var rng = new Random(6);
        var real = PieceSet.FromScores("real", "a", Enumerable.Range(0, 3).Select(i => ($"r{i}", Scores.Random(rng))));
        var gen = PieceSet.FromScores("generated", "b", Enumerable.Range(0, 2).Select(i => ($"g{i}", Scores.Random(rng))));
        var summary = EvaluationReport.Write(_dir, real, gen, new ReportOptions { PianoRolls = 1, NllNote = "No model given." });
        Assert.Null(summary.C2st);
        var md = File.ReadAllText(summary.MarkdownPath);
        Assert.Contains("Not run: 5-fold cross-validation needs at least 5 pieces per set.", md);
        Assert.Contains("No model given.", md);
    }

    [Fact]
    public void Directory_loading_skips_unreadable_files_with_the_reason()
    {
        Directory.CreateDirectory(Path.Combine(_dir, "sub"));
        File.WriteAllText(Path.Combine(_dir, "b.mid"), "x");
        File.WriteAllText(Path.Combine(_dir, "sub", "a.MID"), "x");
        File.WriteAllText(Path.Combine(_dir, "notes.txt"), "x");
        var set = PieceSet.LoadDirectory("real", _dir, path => path.EndsWith("b.mid", StringComparison.Ordinal)
            ? Scores.Random(new Random(1))
            : throw new InvalidDataException("bad header at byte 0"));
        Assert.Single(set.Pieces);
        Assert.Equal("b.mid", set.Pieces[0].Name);
        Assert.Equal([Path.Combine("sub", "a.MID") + ": bad header at byte 0"], set.Skipped);
        Assert.Throws<DirectoryNotFoundException>(() => PieceSet.LoadDirectory("x", Path.Combine(_dir, "none"), _ => new()));
    }
}
