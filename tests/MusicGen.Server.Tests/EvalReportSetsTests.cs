using System.Text.Json.Nodes;

namespace MusicGen.Server.Tests;

/// <summary><c>musicgen eval report --sets N</c> on a real (tiny) package against real MIDI files.</summary>
public sealed class EvalReportSetsTests
{
    [Fact]
    public void Sets_are_generated_with_consecutive_seeds_and_each_is_tested()
    {
        using var setup = new ListeningSetup(files: 12);
        using var dir = new TempDir();
        var model = Path.Combine(setup.ModelsPath, ListeningSetup.Model);
        var (exit, _, error) = ListeningSetup.RunCli("eval", "report", "--model", model, "--real", setup.RealPath, "--count", "5", "--bars", "2",
            "--sets", "3", "--seed", "10", "--piano-rolls", "0", "--out", dir.Path);
        Assert.True(exit == 0, error);

        // Set k holds seeds seed+(k-1)*count+1 .. seed+k*count; the first set is the report's own.
        string[] Names(string folder) => Directory.GetFiles(Path.Combine(dir.Path, folder)).Select(Path.GetFileName).Order(StringComparer.Ordinal).ToArray()!;
        Assert.Equal(Enumerable.Range(11, 5).Select(s => $"sample-{s:D4}.mid"), Names("generated"));
        Assert.Equal(Enumerable.Range(16, 5).Select(s => $"sample-{s:D4}.mid"), Names("generated-2"));
        Assert.Equal(Enumerable.Range(21, 5).Select(s => $"sample-{s:D4}.mid"), Names("generated-3"));

        var json = JsonNode.Parse(File.ReadAllText(Path.Combine(dir.Path, "report.json")))!;
        var sets = json["c2stSets"]!;
        Assert.Equal(3, sets["sets"]!.GetValue<int>());
        Assert.Equal(5, sets["setSize"]!.GetValue<int>());
        var aucs = sets["aucs"]!.AsArray().Select(a => a!["auc"]!.GetValue<double>()).ToArray();
        Assert.Equal(3, aucs.Length);
        Assert.All(aucs, a => Assert.InRange(a, 0, 1));
        Assert.Equal(json["c2st"]!["auc"]!.GetValue<double>(), aucs[0]);
        Assert.Equal(aucs.Average(), sets["mean"]!.GetValue<double>(), 12);
        Assert.Contains("3 independent generated sets of 5 pieces", File.ReadAllText(Path.Combine(dir.Path, "report.md")));
    }

    [Theory]
    [InlineData("0", false)]
    [InlineData("101", false)]
    [InlineData("2", true)]
    [InlineData("2", false, "4")]
    [InlineData("2", false, "5", 4)]
    public void Bad_set_counts_and_sets_the_classifier_cannot_test_are_refused_before_any_work(string sets, bool withGenerated, string count = "5", int realFiles = 6)
    {
        using var setup = new ListeningSetup(files: realFiles);
        using var dir = new TempDir();
        var args = new List<string> { "eval", "report", "--model", Path.Combine(setup.ModelsPath, ListeningSetup.Model), "--real", setup.RealPath, "--sets", sets, "--count", count, "--bars", "2", "--out", dir.Path };
        if (withGenerated) args.AddRange(["--generated", setup.RealPath]);
        var (exit, _, _) = ListeningSetup.RunCli([.. args]);
        Assert.Equal(1, exit);
        Assert.Empty(Directory.GetFileSystemEntries(dir.Path));
    }
}
