using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using MusicGen.Core.Metrics;
using MusicGen.Core.Midi;
using MusicGen.Core.Packaging;
using MusicGen.Core.Tokenization;
using MusicGen.Evaluation;
using Spectre.Console;

namespace MusicGen.Cli.Commands;

/// <summary><c>musicgen eval ...</c>: likelihood, musical metrics, real-vs-generated classifier test, reports.</summary>
public static class EvalCommands
{
    /// <summary>The <c>eval</c> command group.</summary>
    public static Command Create()
    {
        var eval = new Command("eval", "Evaluate models and generated music: metrics, classifier two-sample test, NLL, reports.");
        eval.Subcommands.Add(Metrics());
        eval.Subcommands.Add(C2st());
        eval.Subcommands.Add(Report());
        eval.Subcommands.Add(Nll());
        return eval;
    }

    private static Option<DirectoryInfo> RealOption() => new("--real") { Description = "Folder of real MIDI files (searched recursively).", Required = true };

    private static Option<DirectoryInfo> GeneratedOption(bool required) => new("--generated") { Description = "Folder of generated MIDI files (searched recursively).", Required = required };

    private static Option<int?> ResolutionOption() => new("--resolution") { Description = "Metric time steps per quarter note (default 24, MusPy's default; 0 = each file's own ticks per quarter)." };

    private static Option<int?> LimitOption() => new("--limit") { Description = "Read at most this many files per folder (the first in path order)." };

    private static Option<int> SeedOption() => new("--seed") { Description = "Seed of the classifier test's folds and permutations.", DefaultValueFactory = _ => 42 };

    private static Option<int> PermutationsOption() => new("--permutations") { Description = "Label permutations for a p-value of the classifier test (0 = none).", DefaultValueFactory = _ => 0 };

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
        var cmd = new Command("metrics", "Compare the musical metrics of real and generated pieces: mean ± std per set, overlapping areas (Yang & Lerch 2020), classifier two-sample AUC.")
        {
            real, generated, json, noC2st, resolution, limit, seed, permutations,
        };
        cmd.SetAction((parse, ct) => GuardAsync(() =>
        {
            var options = MetricOptionsFrom(parse.GetValue(resolution));
            var (r, g) = LoadSets(parse.GetValue(real)!, parse.GetValue(generated)!, options, parse.GetValue(limit), ct);
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

    private static Command C2st()
    {
        var real = RealOption();
        var generated = GeneratedOption(required: true);
        var limit = LimitOption();
        var seed = SeedOption();
        var permutations = PermutationsOption();
        var folds = new Option<int>("--folds") { Description = "Cross-validation folds.", DefaultValueFactory = _ => 5 };
        var cmd = new Command("c2st", "Classifier two-sample test: can a FastTree classifier tell generated from real pieces? (5-fold AUC, DeLong interval, optional permutation p-value)")
        {
            real, generated, limit, seed, permutations, folds,
        };
        cmd.SetAction((parse, ct) => GuardAsync(() =>
        {
            var (r, g) = LoadSets(parse.GetValue(real)!, parse.GetValue(generated)!, MetricOptions.Default, parse.GetValue(limit), ct);
            var (c2st, note) = RunC2st(r, g, new C2stOptions { Seed = parse.GetValue(seed), Permutations = parse.GetValue(permutations), Folds = parse.GetValue(folds) }, ct);
            PrintC2st(c2st, note);
            return c2st is null ? 1 : 0;
        }));
        return cmd;
    }

    private static Command Report()
    {
        var real = RealOption();
        var generated = GeneratedOption(required: false);
        var model = new Option<DirectoryInfo?>("--model") { Description = "Model package folder (onnx/<name>): described in the report; generates the pieces when --generated is not given." };
        var output = new Option<DirectoryInfo>("--out") { Description = "Output folder for report.md, report.json and the PNGs.", DefaultValueFactory = _ => new DirectoryInfo("eval-report") };
        var nllData = new Option<string?>("--nll-data") { Description = "Data to compute the model's NLL on (a JSB-style .json or a MIDI folder)." };
        var split = new Option<string>("--split") { Description = "Split of --nll-data to score.", DefaultValueFactory = _ => "valid" };
        var title = new Option<string?>("--title") { Description = "Report title." };
        var rolls = new Option<int>("--piano-rolls") { Description = "Piano rolls of generated pieces to draw.", DefaultValueFactory = _ => 3 };
        var noC2st = new Option<bool>("--no-c2st") { Description = "Skip the classifier two-sample test." };
        var resolution = ResolutionOption();
        var limit = LimitOption();
        var seed = SeedOption();
        var permutations = PermutationsOption();
        var cmd = new Command("report", "Write one Markdown report with PNG figures: metrics table, distribution plots, classifier AUC, piano rolls, NLL.")
        {
            real, generated, model, output, nllData, split, title, rolls, noC2st, resolution, limit, seed, permutations,
        };
        cmd.SetAction((parse, ct) => GuardAsync(() =>
        {
            var options = MetricOptionsFrom(parse.GetValue(resolution));
            var modelDir = parse.GetValue(model);
            ModelManifest? manifest = modelDir is null ? null : ModelManifest.Load(modelDir.FullName);
            var genDir = parse.GetValue(generated);
            if (genDir is null)
            {
                if (manifest is null)
                {
                    throw new ArgumentException("Give --generated DIR (MIDI files to compare with --real), or --model to generate them.");
                }

                throw new InvalidOperationException(
                    "Generating pieces for the report needs the inference engine, which this build does not have yet; "
                    + "generate pieces with the model into a folder and pass it with --generated DIR.");
            }

            var limitValue = parse.GetValue(limit);
            var r = PieceSet.LoadDirectory("real", parse.GetValue(real)!.FullName, path => MidiScore.Load(path), options, limitValue, ct);
            var g = PieceSet.LoadDirectory("generated", genDir.FullName, path => MidiScore.Load(path), options, limitValue, ct);
            RequirePieces(r, g);

            NllResult? nll = null;
            string? nllNote = "No model given (--model).";
            string? nllDataText = null;
            if (manifest is not null)
            {
                nllNote = parse.GetValue(nllData) is { } data
                    ? NllUnavailable(manifest, data)
                    : "Not computed: give --nll-data (a JSB-style .json or a MIDI folder) and --split.";
            }

            var reportOptions = new ReportOptions
            {
                Title = parse.GetValue(title) ?? (manifest is null ? "MusicGen evaluation" : $"MusicGen evaluation: {manifest.Name}"),
                Command = "musicgen " + string.Join(' ', Environment.GetCommandLineArgs().Skip(1)),
                Model = manifest is null ? [] : Describe(manifest),
                Nll = nll,
                NllNote = nllNote,
                NllData = nllDataText,
                RunC2st = !parse.GetValue(noC2st),
                C2st = new C2stOptions { Seed = parse.GetValue(seed), Permutations = parse.GetValue(permutations) },
                PianoRolls = parse.GetValue(rolls),
            };
            var summary = EvaluationReport.Write(parse.GetValue(output)!.FullName, r, g, reportOptions, ct);
            PrintComparison(r, g, summary.Comparisons);
            PrintC2st(summary.C2st, summary.C2stNote);
            foreach (var f in summary.Files)
            {
                Console.WriteLine($"wrote {f}");
            }

            return 0;
        }));
        return cmd;
    }

    private static Command Nll()
    {
        var model = new Option<DirectoryInfo>("--model") { Description = "Model package folder (onnx/<name>).", Required = true };
        var data = new Option<string>("--data") { Description = "A JSB-style .json ({\"train\"|\"valid\"|\"test\": [piece, ...]}) or a folder of MIDI files.", Required = true };
        var split = new Option<string>("--split") { Description = "Key of the JSON file to score (ignored for a folder).", DefaultValueFactory = _ => "valid" };
        var framesPerQuarter = new Option<int>("--frames-per-quarter") { Description = "Frames per quarter note of the JSON file (1 = quarter-note JSB, 4 = 16th notes); used when the model's tokenizer is not a chorale tokenizer.", DefaultValueFactory = _ => 1 };
        var noFirstFrame = new Option<bool>("--skip-first-frame") { Description = "Leave each piece's first frame out of the per-frame NLL (it is scored by default)." };
        var json = new Option<FileInfo?>("--json") { Description = "Also write the figures as JSON to this file." };
        var cmd = new Command("nll", "Negative log-likelihood (nats per token and per frame), perplexity and accuracy of a model on held-out data.")
        {
            model, data, split, framesPerQuarter, noFirstFrame, json,
        };
        cmd.SetAction((parse, ct) => GuardAsync(() =>
        {
            var manifest = ModelManifest.Load(parse.GetValue(model)!.FullName);
            var tokenizer = TokenizerJson.FromJson(manifest.TokenizerJson);
            var sequences = NllData.Load(parse.GetValue(data)!, parse.GetValue(split)!, tokenizer, parse.GetValue(framesPerQuarter));
            long tokens = sequences.Sum(s => (long)s.Length - 1);
            Console.WriteLine($"{manifest.Name}: {sequences.Count} sequences, {tokens} tokens to score ({tokenizer.Kind} tokenizer, vocabulary {tokenizer.VocabularySize}).");
            Console.Error.WriteLine("error: " + NllUnavailable(manifest, parse.GetValue(data)!));
            _ = noFirstFrame;
            _ = json;
            return 2;
        }));
        return cmd;
    }

    /// <summary>The options of the NLL scorer for a tokenizer: per-frame figures for a chorale (frame) tokenizer.</summary>
    internal static NllOptions NllOptionsFor(IMusicTokenizer tokenizer, bool scoreFirstFrame) => tokenizer is ChoraleTokenizer chorale
        ? new NllOptions { FrameEndToken = chorale.FrameEnd, EosToken = chorale.Eos, ScoreFirstFrame = scoreFirstFrame }
        : new NllOptions { EosToken = tokenizer.Eos, ScoreFirstFrame = scoreFirstFrame };

    private static string NllUnavailable(ModelManifest manifest, string data) =>
        $"NLL of {manifest.Name} on {data} is not computed: scoring needs the model's logits at every position of a sequence, "
        + "and the inference engine in this build has no full-sequence runner yet (MusicGen.Evaluation.NllEvaluator is ready for it).";

    private static List<string> Describe(ModelManifest m)
    {
        var h = m.HyperParameters;
        var lines = new List<string>
        {
            $"name `{m.Name}` version {m.Version}, architecture {m.Architecture}, vocabulary {h.VocabSize}, context {m.ContextLength}",
            m.Architecture == ModelArchitectures.Lstm
                ? $"LSTM: embedding {h.EmbeddingSize}, {h.LstmLayers} layers of {h.LstmUnits} units, dense {h.DenseUnits}"
                : $"Transformer: d_model {h.DModel}, {h.Layers} layers, {h.Heads} heads ({h.KvHeads} KV), head size {h.HeadSize}, FFN {h.FfnHidden}",
        };
        if (m.Training is { } t)
        {
            lines.Add($"training: {JsonSerializer.Serialize(t)}");
        }

        return lines;
    }

    private static MetricOptions MetricOptionsFrom(int? resolution) => resolution switch
    {
        null => MetricOptions.Default,
        0 => new MetricOptions { Resolution = null },
        _ => new MetricOptions { Resolution = resolution },
    };

    private static (PieceSet Real, PieceSet Generated) LoadSets(DirectoryInfo real, DirectoryInfo generated, MetricOptions options, int? limit, CancellationToken ct)
    {
        var r = PieceSet.LoadDirectory("real", real.FullName, path => MidiScore.Load(path), options, limit, ct);
        var g = PieceSet.LoadDirectory("generated", generated.FullName, path => MidiScore.Load(path), options, limit, ct);
        RequirePieces(r, g);
        return (r, g);
    }

    private static void RequirePieces(PieceSet r, PieceSet g)
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

    private static (C2stResult? Result, string? Note) RunC2st(PieceSet r, PieceSet g, C2stOptions options, CancellationToken ct)
    {
        if (r.Pieces.Count < options.Folds || g.Pieces.Count < options.Folds)
        {
            return (null, $"not run: {options.Folds}-fold cross-validation needs at least {options.Folds} pieces per set");
        }

        return (ClassifierTwoSampleTest.Run(r.Pieces.Select(p => p.Features()).ToArray(), g.Pieces.Select(p => p.Features()).ToArray(), options, ct), null);
    }

    private static void PrintComparison(PieceSet r, PieceSet g, IReadOnlyList<MetricComparison> comparisons)
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

    private static void PrintC2st(C2stResult? c, string? note)
    {
        if (c is null)
        {
            Console.WriteLine($"classifier two-sample test {note}");
            return;
        }

        var ci = CultureInfo.InvariantCulture;
        string folds = string.Join(" ", c.FoldAucs.Select(a => a.ToString("0.000", ci)));
        string line = string.Create(ci, $"classifier two-sample test: AUC {c.Auc:0.000} ({c.Confidence:P0} DeLong CI {c.CiLow:0.000}-{c.CiHigh:0.000}), folds {folds} (mean {c.FoldMean:0.000}, std {c.FoldStd:0.000}), {c.RealCount} real vs {c.GeneratedCount} generated");
        if (c.PValue is double p)
        {
            line += string.Create(ci, $", permutation p = {p:0.###} ({c.Permutations} permutations)");
        }

        Console.WriteLine(line + "; 0.5 = indistinguishable");
    }

    private static Task<int> GuardAsync(Func<int> body)
    {
        try
        {
            return Task.FromResult(body());
        }
        catch (Exception e) when (e is MidiFormatException or IOException or UnauthorizedAccessException or ArgumentException or InvalidOperationException or InvalidDataException or JsonException or KeyNotFoundException)
        {
            Console.Error.WriteLine("error: " + e.Message.ReplaceLineEndings(" "));
            return Task.FromResult(1);
        }
    }
}
