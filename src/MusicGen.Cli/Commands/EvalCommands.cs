using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using MusicGen.Core.Metrics;
using MusicGen.Core.Midi;
using MusicGen.Core.Packaging;
using MusicGen.Core.Tokenization;
using MusicGen.Evaluation;
using MusicGen.Inference;
using Spectre.Console;

namespace MusicGen.Cli.Commands;

/// <summary><c>musicgen eval ...</c>: likelihood, musical metrics, real-vs-generated classifier test, reports.</summary>
public static class EvalCommands
{
    /// <summary>The <c>eval</c> command group.</summary>
    public static Command Create()
    {
        var eval = new Command("eval", "Evaluate models and generated music: metrics, classifier two-sample test, NLL, reports.");
        eval.Subcommands.Add(Piece());
        eval.Subcommands.Add(Metrics());
        eval.Subcommands.Add(C2st());
        eval.Subcommands.Add(EvalReportCommand.Create());
        eval.Subcommands.Add(EvalNllCommand.Create());
        eval.Subcommands.Add(ListeningCommand.Create());
        eval.Subcommands.Add(KeyCommands.Keys());
        eval.Subcommands.Add(KeyCommands.Chords());
        return eval;
    }

    internal static Option<DirectoryInfo> RealOption() => new("--real") { Description = "Folder of real MIDI files (searched recursively).", Required = true };

    internal static Option<DirectoryInfo> GeneratedOption(bool required) => new("--generated") { Description = "Folder of generated MIDI files (searched recursively).", Required = required };

    internal static Option<int?> ResolutionOption() => new("--resolution") { Description = "Metric time steps per quarter note (default 24, MusPy's default; 0 = each file's own ticks per quarter)." };

    internal static Option<int?> LimitOption() => new("--limit") { Description = "Read at most this many files per folder (the first in path order)." };

    internal static Option<int> SeedOption() => new("--seed") { Description = "Seed of the classifier test's folds and permutations.", DefaultValueFactory = _ => 42 };

    internal static Option<bool> EstimateKeysOption() => new("--estimate-keys")
    {
        Description = "Give every piece without a key signature the key KeyFinder estimates from its notes, as generated MIDI gets, so pitch_in_scale_rate compares like with like.",
    };

    /// <summary>Reads a MIDI file for the metrics; with <paramref name="estimateKeys"/> a piece without a key signature gets the estimated one.</summary>
    internal static Func<string, MusicGen.Core.Music.Score> Loader(bool estimateKeys) =>
        estimateKeys ? path => MusicGen.Core.Music.KeyFinder.WithKeySignature(MidiScore.Load(path)) : path => MidiScore.Load(path);

    internal static Option<int> PermutationsOption() => new("--permutations") { Description = "Label permutations for a p-value of the classifier test (0 = none).", DefaultValueFactory = _ => 0 };

    private static Command Metrics()
    {
        var real = RealOption();
        var generated = GeneratedOption(required: true);
        var json = new Option<FileInfo?>("--json") { Description = "Also write the comparison (and classifier test) as JSON to this file." };
        var noC2st = new Option<bool>("--no-c2st") { Description = "Skip the classifier two-sample test." };
        var resolution = ResolutionOption();
        var limit = LimitOption();
        var seed = SeedOption();
        var permutations = PermutationsOption();
        var estimateKeys = EstimateKeysOption();
        var cmd = new Command("metrics", "Compare the musical metrics of real and generated pieces: mean ± std per set, overlapping areas (Yang & Lerch 2020), classifier two-sample AUC.")
        {
            real, generated, json, noC2st, resolution, limit, seed, permutations, estimateKeys,
        };
        cmd.SetAction((parse, ct) => GuardAsync(() =>
        {
            var options = MetricOptionsFrom(parse.GetValue(resolution));
            var (r, g) = LoadSets(parse.GetValue(real)!, parse.GetValue(generated)!, options, parse.GetValue(limit), parse.GetValue(estimateKeys), ct);
            var comparisons = SetComparison.Compare(MusicMetrics.Names, r.MetricRows, g.MetricRows);
            PrintComparison(r, g, comparisons);
            C2stResult? c2st = null;
            string? note = null;
            if (!parse.GetValue(noC2st))
            {
                (c2st, note) = RunC2st(r, g, new C2stOptions { Seed = parse.GetValue(seed), Permutations = parse.GetValue(permutations) }, ct);
                PrintC2st(c2st, note);
            }
            else
            {
                note = "not run (--no-c2st)";
            }

            if (parse.GetValue(json) is { } file)
            {
                File.WriteAllText(file.FullName, EvaluationReport.ToJson(r, g, comparisons, c2st, note, null).ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
                Console.WriteLine($"wrote {file.FullName}");
            }

            return 0;
        }));
        return cmd;
    }

    private static Command Piece()
    {
        var files = new Argument<FileInfo[]>("FILE") { Description = "MIDI files.", Arity = ArgumentArity.OneOrMore };
        var json = new Option<bool>("--json") { Description = "Print one JSON object per line ({\"file\", \"metrics\": {name: value|null}}) instead of a table." };
        var resolution = ResolutionOption();
        var cmd = new Command("piece", "Print the musical metrics of MIDI files.") { files, json, resolution };
        cmd.SetAction((parse, ct) => GuardAsync(() =>
        {
            var options = MetricOptionsFrom(parse.GetValue(resolution));
            var asJson = parse.GetValue(json);
            foreach (var file in parse.GetValue(files)!)
            {
                ct.ThrowIfCancellationRequested();
                var values = MusicMetrics.Compute(MidiScore.Load(file.FullName), options);
                if (asJson)
                {
                    var metrics = new System.Text.Json.Nodes.JsonObject();
                    for (int i = 0; i < values.Length; i++)
                    {
                        metrics[MusicMetrics.Names[i]] = double.IsFinite(values[i]) ? values[i] : null;
                    }

                    Console.WriteLine(new System.Text.Json.Nodes.JsonObject { ["file"] = file.FullName, ["metrics"] = metrics }.ToJsonString());
                    continue;
                }

                var table = new Table().Border(TableBorder.Rounded);
                table.Title = new TableTitle(Markup.Escape(file.Name));
                table.AddColumn("metric");
                table.AddColumn(new TableColumn("value").RightAligned());
                table.AddColumn("meaning");
                for (int i = 0; i < values.Length; i++)
                {
                    table.AddRow(new Text(MusicMetrics.Names[i]), new Text(EvaluationReport.Format(values[i])), new Text(MusicMetrics.All[i].Description));
                }

                AnsiConsole.Write(table);
            }

            return 0;
        }));
        return cmd;
    }

    private static Command C2st()
    {
        var real = RealOption();
        var generated = GeneratedOption(required: true);
        var limit = LimitOption();
        var seed = SeedOption();
        var permutations = PermutationsOption();
        var folds = new Option<int>("--folds") { Description = "Cross-validation folds.", DefaultValueFactory = _ => 5 };
        var estimateKeys = EstimateKeysOption();
        var cmd = new Command("c2st", "Classifier two-sample test: can a FastTree classifier tell generated from real pieces? (5-fold AUC, DeLong interval, optional permutation p-value)")
        {
            real, generated, limit, seed, permutations, folds, estimateKeys,
        };
        cmd.SetAction((parse, ct) => GuardAsync(() =>
        {
            var (r, g) = LoadSets(parse.GetValue(real)!, parse.GetValue(generated)!, MetricOptions.Default, parse.GetValue(limit), parse.GetValue(estimateKeys), ct);
            var (c2st, note) = RunC2st(r, g, new C2stOptions { Seed = parse.GetValue(seed), Permutations = parse.GetValue(permutations), Folds = parse.GetValue(folds) }, ct);
            PrintC2st(c2st, note);
            return c2st is null ? 1 : 0;
        }));
        return cmd;
    }

    internal static MetricOptions MetricOptionsFrom(int? resolution) => resolution switch
    {
        null => MetricOptions.Default,
        0 => new MetricOptions { Resolution = null },
        _ => new MetricOptions { Resolution = resolution },
    };

    internal static (PieceSet Real, PieceSet Generated) LoadSets(DirectoryInfo real, DirectoryInfo generated, MetricOptions options, int? limit, bool estimateKeys, CancellationToken ct)
    {
        var r = PieceSet.LoadDirectory("real", real.FullName, Loader(estimateKeys), options, limit, ct);
        var g = PieceSet.LoadDirectory("generated", generated.FullName, Loader(estimateKeys), options, limit, ct);
        RequirePieces(r, g);
        return (r, g);
    }

    internal static void RequirePieces(PieceSet r, PieceSet g)
    {
        foreach (var set in new[] { r, g })
        {
            foreach (var s in set.Skipped.Take(5))
            {
                Console.Error.WriteLine($"warning: {set.Label}: skipped {s}");
            }

            if (set.Skipped.Count > 5)
            {
                Console.Error.WriteLine($"warning: {set.Label}: {set.Skipped.Count - 5} more files skipped");
            }

            if (set.Pieces.Count == 0)
            {
                throw new InvalidOperationException($"No readable MIDI file in {set.Source}.");
            }
        }
    }

    internal static (C2stResult? Result, string? Note) RunC2st(PieceSet r, PieceSet g, C2stOptions options, CancellationToken ct)
    {
        if (r.Pieces.Count < options.Folds || g.Pieces.Count < options.Folds)
        {
            return (null, $"not run: {options.Folds}-fold cross-validation needs at least {options.Folds} pieces per set");
        }

        return (ClassifierTwoSampleTest.Run(r.Pieces.Select(p => p.Features()).ToArray(), g.Pieces.Select(p => p.Features()).ToArray(), options, ct), null);
    }

    internal static void PrintComparison(PieceSet r, PieceSet g, IReadOnlyList<MetricComparison> comparisons)
    {
        if (Console.IsOutputRedirected)
        {
            AnsiConsole.Profile.Width = Math.Max(AnsiConsole.Profile.Width, 120);
        }

        var table = new Table().Border(TableBorder.Rounded);
        table.Title = new TableTitle($"{r.Pieces.Count} real ({Markup.Escape(r.Source)}) vs {g.Pieces.Count} generated ({Markup.Escape(g.Source)})");
        table.AddColumn("metric");
        table.AddColumn(new TableColumn("real mean ± std").RightAligned());
        table.AddColumn(new TableColumn("generated mean ± std").RightAligned());
        table.AddColumn(new TableColumn("OA values").RightAligned());
        table.AddColumn(new TableColumn("OA intra/inter").RightAligned());
        foreach (var c in comparisons)
        {
            table.AddRow(new Text(c.Name), new Text(EvaluationReport.Format(c.Real)), new Text(EvaluationReport.Format(c.Generated)),
                new Text(EvaluationReport.Format(c.ValueOverlap)), new Text(EvaluationReport.Format(c.RealIntraVsInterOverlap)));
        }

        table.AddRow(new Text("mean"), new Text(""), new Text(""),
            new Text(EvaluationReport.Format(EvaluationReport.MeanDefined(comparisons.Select(c => c.ValueOverlap)))),
            new Text(EvaluationReport.Format(EvaluationReport.MeanDefined(comparisons.Select(c => c.RealIntraVsInterOverlap)))));
        AnsiConsole.Write(table);
        AnsiConsole.WriteLine("OA = overlapping area of kernel density estimates (1 = same distribution): per-piece values, and the real set's intra-set distances vs the inter-set distances (Yang & Lerch 2020).");
    }

    internal static void PrintC2st(C2stResult? c, string? note)
    {
        if (c is null)
        {
            Console.WriteLine($"classifier two-sample test {note}");
            return;
        }

        var ci = CultureInfo.InvariantCulture;
        string folds = string.Join(" ", c.FoldAucs.Select(a => a.ToString("0.000", ci)));
        string line = string.Create(ci, $"classifier two-sample test: AUC {c.Auc:0.000} ({c.Confidence * 100:0}% DeLong CI {c.CiLow:0.000}-{c.CiHigh:0.000}), folds {folds} (mean {c.FoldMean:0.000}, std {c.FoldStd:0.000}), {c.RealCount} real vs {c.GeneratedCount} generated");
        if (c.PValue is double p)
        {
            line += string.Create(ci, $", permutation p = {p:0.###} ({c.Permutations} permutations)");
        }

        Console.WriteLine(line + "; 0.5 = indistinguishable");
        var top = ClassifierTwoSampleTest.TopFeatures(c, FeatureVector.Names);
        if (top.Count > 0)
        {
            Console.WriteLine("  features it split on most (share of gain): " + string.Join(", ", top.Select(f => f.Name + " " + (f.Share * 100).ToString("0", ci) + "%")));
        }
    }

    internal static Task<int> GuardAsync(Func<int> body)
    {
        try
        {
            return Task.FromResult(body());
        }
        catch (Exception e) when (e is MidiFormatException or ModelPackageException or Microsoft.ML.OnnxRuntime.OnnxRuntimeException or IOException or UnauthorizedAccessException or ArgumentException or InvalidOperationException or InvalidDataException or JsonException or KeyNotFoundException or MusicGen.Core.Limits.InputLimitExceededException)
        {
            Console.Error.WriteLine("error: " + e.Message.ReplaceLineEndings(" "));
            return Task.FromResult(1);
        }
    }
}
