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
        eval.Subcommands.Add(Report());
        eval.Subcommands.Add(Nll());
        eval.Subcommands.Add(ListeningCommand.Create());
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
        var count = new Option<int>("--count") { Description = "Pieces to generate with --model when --generated is not given.", DefaultValueFactory = _ => 32 };
        var bars = new Option<int>("--bars") { Description = "Bars per generated piece.", DefaultValueFactory = _ => 16 };
        var temperature = new Option<float>("--temperature") { Description = "Sampling temperature of generated pieces.", DefaultValueFactory = _ => 1.0f };
        var threads = ThreadsOption();
        var cmd = new Command("report", "Write one Markdown report with PNG figures: metrics table, distribution plots, classifier AUC, piano rolls, NLL.")
        {
            real, generated, model, output, nllData, split, title, rolls, noC2st, resolution, limit, seed, permutations, count, bars, temperature, threads,
        };
        cmd.SetAction((parse, ct) => GuardAsync(() =>
        {
            var options = MetricOptionsFrom(parse.GetValue(resolution));
            var modelDir = parse.GetValue(model);
            ModelManifest? manifest = modelDir is null ? null : ModelManifest.Load(modelDir.FullName);
            var genDir = parse.GetValue(generated);
            var limitValue = parse.GetValue(limit);
            var outDir = parse.GetValue(output)!.FullName;
            var r = PieceSet.LoadDirectory("real", parse.GetValue(real)!.FullName, path => MidiScore.Load(path), options, limitValue, ct);
            PieceSet g;
            if (genDir is not null)
            {
                g = PieceSet.LoadDirectory("generated", genDir.FullName, path => MidiScore.Load(path), options, limitValue, ct);
            }
            else if (modelDir is not null)
            {
                g = Generate(modelDir.FullName, Path.Combine(outDir, "generated"), parse.GetValue(count), parse.GetValue(bars), parse.GetValue(temperature), parse.GetValue(seed), options, ct);
            }
            else
            {
                throw new ArgumentException("Give --generated DIR (MIDI files to compare with --real), or --model to generate them.");
            }

            RequirePieces(r, g);

            NllResult? nll = null;
            string? nllNote = "No model given (--model).";
            string? nllDataText = null;
            if (manifest is not null)
            {
                if (parse.GetValue(nllData) is { } data)
                {
                    (nll, nllDataText) = ComputeNll(modelDir!.FullName, data, parse.GetValue(split)!, 1, true, parse.GetValue(threads), ct);
                }
                else
                {
                    nllNote = "Not computed: give --nll-data (a JSB-style .json or a MIDI folder) and --split.";
                }
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
            var summary = EvaluationReport.Write(outDir, r, g, reportOptions, ct);
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
        var threads = ThreadsOption();
        var graph = new Option<GraphPreference>("--graph")
        {
            Description = "Graph that scores: Auto (the portable graph, all positions per run), or Fast / FastInt8 (that graph fed one token per run, to measure what its numerics cost).",
            DefaultValueFactory = _ => GraphPreference.Auto,
        };
        var cmd = new Command("nll", "Negative log-likelihood (nats per token and per frame), perplexity and accuracy of a model on held-out data.")
        {
            model, data, split, framesPerQuarter, noFirstFrame, json, threads, graph,
        };
        cmd.SetAction((parse, ct) => GuardAsync(() =>
        {
            var (result, description) = ComputeNll(parse.GetValue(model)!.FullName, parse.GetValue(data)!, parse.GetValue(split)!,
                parse.GetValue(framesPerQuarter), !parse.GetValue(noFirstFrame), parse.GetValue(threads), ct, parse.GetValue(graph));
            PrintNll(result, description);
            if (parse.GetValue(json) is { } file)
            {
                var obj = EvaluationReport.NllJson(result);
                obj["model"] = parse.GetValue(model)!.FullName;
                obj["data"] = description;
                File.WriteAllText(file.FullName, obj.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
                Console.WriteLine($"wrote {file.FullName}");
            }

            return 0;
        }));
        return cmd;
    }

    /// <summary>The options of the NLL scorer for a tokenizer: per-frame figures for a chorale (frame) tokenizer.</summary>
    internal static NllOptions NllOptionsFor(IMusicTokenizer tokenizer, bool scoreFirstFrame) => tokenizer is ChoraleTokenizer chorale
        ? new NllOptions { FrameEndToken = chorale.FrameEnd, EosToken = chorale.Eos, ScoreFirstFrame = scoreFirstFrame }
        : new NllOptions { EosToken = tokenizer.Eos, ScoreFirstFrame = scoreFirstFrame };

    private static Option<int> ThreadsOption() => new("--threads") { Description = "ONNX Runtime intra-op threads for scoring (0 = one per core).", DefaultValueFactory = _ => 0 };

    /// <summary>Scores <paramref name="data"/> (split <paramref name="split"/>) with the package in <paramref name="modelDir"/>.</summary>
    private static (NllResult Result, string Description) ComputeNll(string modelDir, string data, string split, int framesPerQuarter, bool scoreFirstFrame, int threads, CancellationToken ct, GraphPreference graph = GraphPreference.Auto)
    {
        using var runner = OnnxSequenceLogits.Open(modelDir, threads, graph);
        var tokenizer = runner.Package.Tokenizer;
        var sequences = NllData.Load(data, split, tokenizer, framesPerQuarter, runner.Package.Meters);
        if (sequences.Count == 0)
        {
            throw new InvalidDataException($"{data}: no sequence to score{(Directory.Exists(data) ? "" : $" in split \"{split}\"")}.");
        }

        var started = System.Diagnostics.Stopwatch.StartNew();
        var result = NllEvaluator.Evaluate(sequences, runner, () => new GrammarConstraint(tokenizer.CreateGrammar()), NllOptionsFor(tokenizer, scoreFirstFrame), ct);
        string what = Directory.Exists(data) ? $"{data} (all MIDI files)" : $"{Path.GetFileName(data)}, split {split}";
        Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"scored {result.Tokens} tokens of {result.Sequences} sequences with {runner.Package.Name} ({runner.Graph.Variant} graph) in {started.Elapsed.TotalSeconds:0.0} s"));
        return (result, what);
    }

    private static void PrintNll(NllResult r, string description)
    {
        var table = new Table().Border(TableBorder.Rounded);
        table.Title = new TableTitle(Markup.Escape(description));
        table.AddColumn("figure");
        table.AddColumn(new TableColumn("value").RightAligned());
        table.AddRow("sequences", r.Sequences.ToString(CultureInfo.InvariantCulture));
        table.AddRow("tokens scored", r.Tokens.ToString(CultureInfo.InvariantCulture));
        table.AddRow("NLL per token (nats)", r.NllPerToken.ToString("0.0000", CultureInfo.InvariantCulture));
        table.AddRow("perplexity", r.Perplexity.ToString("0.000", CultureInfo.InvariantCulture));
        table.AddRow("accuracy", r.Accuracy.ToString("0.0000", CultureInfo.InvariantCulture));
        if (r.Frames > 0)
        {
            table.AddRow("frames scored", r.Frames.ToString(CultureInfo.InvariantCulture));
            table.AddRow("NLL per frame (nats)", r.NllPerFrame.ToString("0.000", CultureInfo.InvariantCulture));
            table.AddRow("first frame", r.FirstFrameScored ? "scored" : "not scored");
        }

        if (r.MaskViolations > 0)
        {
            table.AddRow("grammar violations in data", r.MaskViolations.ToString(CultureInfo.InvariantCulture));
        }

        AnsiConsole.Write(table);
        if (r.Frames > 0)
        {
            AnsiConsole.WriteLine("JSB chorales, published NLL per frame (nats, test split): RNN 8.71, LSTM 8.45, TCN 8.10, RNN-NADE 5.19.");
        }
    }

    /// <summary>Generates <paramref name="count"/> pieces (seeds seed+1 .. seed+count) with the engine, saves them as MIDI and measures them.</summary>
    private static PieceSet Generate(string modelDir, string saveDir, int count, int bars, float temperature, int seed, MetricOptions options, CancellationToken ct)
    {
        if (count < 1 || bars < 1)
        {
            throw new ArgumentException($"--count and --bars must be positive (got {count} and {bars}).");
        }

        Directory.CreateDirectory(saveDir);
        var started = System.Diagnostics.Stopwatch.StartNew();
        using var generator = new MusicGen.Inference.MusicGenerator(MusicGen.Inference.MusicModel.Load(modelDir, new MusicGen.Inference.InferenceOptions()));
        var tasks = Enumerable.Range(1, count).Select(i => generator.GenerateAsync(new MusicGen.Inference.GenerationRequest
        {
            Bars = bars,
            Seed = seed + i,
            Sampling = new MusicGen.Inference.SamplingOptions { Temperature = temperature },
        }, ct)).ToArray();
        var results = Task.WhenAll(tasks).GetAwaiter().GetResult();
        var scores = new List<(string, MusicGen.Core.Music.Score)>();
        for (int i = 0; i < results.Length; i++)
        {
            string name = string.Create(CultureInfo.InvariantCulture, $"sample-{seed + i + 1:D4}.mid");
            File.WriteAllBytes(Path.Combine(saveDir, name), results[i].Midi);
            scores.Add((name, results[i].Score));
        }

        Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"generated {count} pieces of {bars} bars with {generator.Package.Name} in {started.Elapsed.TotalSeconds:0.0} s into {saveDir}"));
        return PieceSet.FromScores("generated", $"{generator.Package.Name} (temperature {temperature.ToString(CultureInfo.InvariantCulture)}, {bars} bars, seeds {seed + 1}..{seed + count}; saved in {saveDir})", scores, options);
    }

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

    private static Task<int> GuardAsync(Func<int> body)
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
