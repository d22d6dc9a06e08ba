using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using MusicGen.Core.Metrics;
using MusicGen.Core.Packaging;
using MusicGen.Core.Tokenization;
using MusicGen.Evaluation;
using MusicGen.Inference;
using Spectre.Console;

namespace MusicGen.Cli.Commands;

/// <summary><c>musicgen eval report</c>: one Markdown report with figures (metrics, classifier test, piano rolls, NLL), generating the pieces when asked.</summary>
internal static class EvalReportCommand
{
    internal static Command Create()
    {
        var real = EvalCommands.RealOption();
        var generated = EvalCommands.GeneratedOption(required: false);
        var model = new Option<string?>("--model") { Description = "Model package (its folder, or a name as for generate): described in the report; generates the pieces when --generated is not given." };
        var output = new Option<DirectoryInfo>("--out") { Description = "Output folder for report.md, report.json and the PNGs.", DefaultValueFactory = _ => new DirectoryInfo("eval-report") };
        var nllData = new Option<string?>("--nll-data") { Description = "Data to compute the model's NLL on (a JSB-style .json or a MIDI folder)." };
        var split = new Option<string>("--split") { Description = "Split of --nll-data to score.", DefaultValueFactory = _ => "valid" };
        var title = new Option<string?>("--title") { Description = "Report title." };
        var rolls = new Option<int>("--piano-rolls") { Description = "Piano rolls of generated pieces to draw.", DefaultValueFactory = _ => 3 };
        var noC2st = new Option<bool>("--no-c2st") { Description = "Skip the classifier two-sample test." };
        var resolution = EvalCommands.ResolutionOption();
        var limit = EvalCommands.LimitOption();
        var seed = EvalCommands.SeedOption();
        var permutations = EvalCommands.PermutationsOption();
        var count = new Option<int>("--count") { Description = "Pieces to generate with --model when --generated is not given.", DefaultValueFactory = _ => 32 };
        var bars = new Option<int>("--bars") { Description = "Bars per generated piece.", DefaultValueFactory = _ => 16 };
        var sets = new Option<int>("--sets")
        {
            Description = $"With --model: independent sets of --count pieces to generate (1..{MaxSets}); the classifier test runs on each and the report gives the spread of its AUC. Set k takes seeds seed+(k-1)*count+1 .. seed+k*count and is saved in generated-k (the first, the report's set, in generated).",
            DefaultValueFactory = _ => 1,
        };
        var sampling = new GenerationFlags(o => SamplingFlags.Contains(o.Name));
        var threads = EvalNllCommand.ThreadsOption();
        var estimateKeys = EvalCommands.EstimateKeysOption();
        var cmd = new Command("report", "Write one Markdown report with PNG figures: metrics table, distribution plots, classifier AUC, piano rolls, NLL.")
        {
            real, generated, model, output, nllData, split, title, rolls, noC2st, resolution, limit, seed, permutations, count, bars, sets, threads, estimateKeys,
        };
        foreach (var flag in sampling.Options)
        {
            cmd.Options.Add(flag);
        }

        cmd.SetAction((parse, ct) => EvalCommands.GuardAsync(() =>
        {
            var options = EvalCommands.MetricOptionsFrom(parse.GetValue(resolution));
            var modelDir = parse.GetValue(model) is { } name ? ModelLocator.ResolvePackage(name) : null;
            ModelManifest? manifest = modelDir is null ? null : ModelManifest.Load(modelDir);
            var genDir = parse.GetValue(generated);
            var limitValue = parse.GetValue(limit);
            var outDir = parse.GetValue(output)!.FullName;
            var loader = EvalCommands.Loader(parse.GetValue(estimateKeys));
            var setCount = parse.GetValue(sets);
            if (setCount is < 1 or > MaxSets)
            {
                throw new ArgumentException($"--sets must be 1..{MaxSets} (got {setCount}).");
            }

            if (setCount > 1 && (genDir is not null || modelDir is null))
            {
                throw new ArgumentException("--sets needs --model (the sets are generated) and no --generated.");
            }

            if (setCount > 1 && parse.GetValue(noC2st))
            {
                throw new ArgumentException("--sets repeats the classifier test, which --no-c2st turns off.");
            }

            var c2stOptions = new C2stOptions { Seed = parse.GetValue(seed), Permutations = parse.GetValue(permutations) };
            if (setCount > 1 && parse.GetValue(count) < c2stOptions.Folds)
            {
                throw new ArgumentException($"--sets needs --count of at least {c2stOptions.Folds} (the classifier test's folds; got {parse.GetValue(count)}).");
            }

            var r = PieceSet.LoadDirectory("real", parse.GetValue(real)!.FullName, loader, options, limitValue, ct);
            if (setCount > 1 && r.Pieces.Count < c2stOptions.Folds)
            {
                throw new ArgumentException($"--sets needs at least {c2stOptions.Folds} real pieces (the classifier test's folds); {r.Pieces.Count} read from {parse.GetValue(real)!.FullName}.");
            }

            PieceSet g;
            var more = new List<PieceSet>();
            if (genDir is not null)
            {
                g = PieceSet.LoadDirectory("generated", genDir.FullName, loader, options, limitValue, ct);
            }
            else if (modelDir is not null)
            {
                var all = Generate(modelDir, outDir, parse.GetValue(count), parse.GetValue(bars), sampling.Read(parse).Sampling, parse.GetValue(seed), setCount, options, ct);
                g = all[0];
                more.AddRange(all.Skip(1));
            }
            else
            {
                throw new ArgumentException("Give --generated DIR (MIDI files to compare with --real), or --model to generate them.");
            }

            EvalCommands.RequirePieces(r, g);

            NllResult? nll = null;
            string? nllNote = "No model given (--model).";
            string? nllDataText = null;
            if (manifest is not null)
            {
                if (parse.GetValue(nllData) is { } data)
                {
                    (nll, nllDataText) = EvalNllCommand.ComputeNll(modelDir!, data, parse.GetValue(split)!, 1, true, parse.GetValue(threads), ct);
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
                C2st = c2stOptions,
                Spread = more.Count == 0 ? null : C2stSpread.Run(
                    r.Pieces.Select(p => p.Features()).ToArray(),
                    [g.Pieces.Select(p => p.Features()).ToArray(), .. more.Select(m => m.Pieces.Select(p => p.Features()).ToArray())],
                    c2stOptions,
                    ct),
                PianoRolls = parse.GetValue(rolls),
            };
            var summary = EvaluationReport.Write(outDir, r, g, reportOptions, ct);
            EvalCommands.PrintComparison(r, g, summary.Comparisons);
            EvalCommands.PrintC2st(summary.C2st, summary.C2stNote);
            if (reportOptions.Spread is { } spread)
            {
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"AUC over {spread.Sets.Count} sets of {spread.SetSize}: mean {EvaluationReport.Format(spread.Mean)}, median {EvaluationReport.Format(spread.Median)}, std {EvaluationReport.Format(spread.Std)}, range {EvaluationReport.Format(spread.Min)}-{EvaluationReport.Format(spread.Max)}, {spread.AtMost(C2stSpread.ReferenceAuc)} at or below {EvaluationReport.Format(C2stSpread.ReferenceAuc)}"));
            }

            foreach (var f in summary.Files)
            {
                Console.WriteLine($"wrote {f}");
            }

            return 0;
        }));
        return cmd;
    }


    /// <summary>The generation options <c>eval report</c> takes as flags: how tokens are sampled.</summary>
    private static readonly HashSet<string> SamplingFlags =
        ["temperature", "topK", "topP", "minP", "repetitionPenalty", "repetitionWindow", "noRepeatNgram", "scaleBias", "greedy"];

    /// <summary>The most sets <c>--sets</c> takes.</summary>
    private const int MaxSets = 100;

    /// <summary>
    /// Generates <paramref name="sets"/> sets of <paramref name="count"/> pieces with one engine (set k: seeds
    /// seed+(k-1)*count+1 .. seed+k*count), saves them as MIDI under <paramref name="outDir"/> (<c>generated</c>, then
    /// <c>generated-2</c>, ...) and measures them.
    /// </summary>
    private static List<PieceSet> Generate(string modelDir, string outDir, int count, int bars, MusicGen.Inference.SamplingOptions sampling, int seed, int sets, MetricOptions options, CancellationToken ct)
    {
        if (count < 1 || bars < 1)
        {
            throw new ArgumentException($"--count and --bars must be positive (got {count} and {bars}).");
        }

        using var generator = new MusicGen.Inference.MusicGenerator(MusicGen.Inference.MusicModel.Load(modelDir, new MusicGen.Inference.InferenceOptions()));
        var result = new List<PieceSet>();
        for (var k = 0; k < sets; k++)
        {
            var first = seed + (k * count);
            var label = k == 0 ? "generated" : string.Create(CultureInfo.InvariantCulture, $"generated-{k + 1}");
            var saveDir = Path.Combine(outDir, label);
            Directory.CreateDirectory(saveDir);
            var started = System.Diagnostics.Stopwatch.StartNew();
            var tasks = Enumerable.Range(1, count).Select(i => generator.GenerateAsync(new MusicGen.Inference.GenerationRequest
            {
                Bars = bars,
                Seed = first + i,
                Sampling = sampling.Clone(),
            }, ct)).ToArray();
            var results = Task.WhenAll(tasks).GetAwaiter().GetResult();
            var scores = new List<(string, MusicGen.Core.Music.Score)>();
            for (int i = 0; i < results.Length; i++)
            {
                string name = string.Create(CultureInfo.InvariantCulture, $"sample-{first + i + 1:D4}.mid");
                File.WriteAllBytes(Path.Combine(saveDir, name), results[i].Midi);
                scores.Add((name, results[i].Score));
            }

            Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"generated {count} pieces of {bars} bars with {generator.Package.Name} in {started.Elapsed.TotalSeconds:0.0} s into {saveDir}"));
            result.Add(PieceSet.FromScores(label, $"{generator.Package.Name} ({Describe(sampling.WithDefaults(generator.Package.Manifest.Sampling))}, {bars} bars, seeds {first + 1}..{first + count}; saved in {saveDir})", scores, options));
        }

        return result;
    }

    private static string Describe(MusicGen.Inference.SamplingOptions s) => string.Create(CultureInfo.InvariantCulture,
        $"temperature {s.Temperature}, top-k {s.TopK}, top-p {s.TopP}, min-p {s.MinP}, repetition penalty {s.RepetitionPenalty} over {s.RepetitionWindow}, no-repeat n-gram {s.NoRepeatNgramSize}, scale bias {s.ScaleBias}{(s.Greedy ? ", greedy" : "")}");

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
}
