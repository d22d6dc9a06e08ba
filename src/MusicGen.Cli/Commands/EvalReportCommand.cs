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
        var sampling = new GenerationFlags(o => SamplingFlags.Contains(o.Name));
        var threads = EvalNllCommand.ThreadsOption();
        var estimateKeys = EvalCommands.EstimateKeysOption();
        var cmd = new Command("report", "Write one Markdown report with PNG figures: metrics table, distribution plots, classifier AUC, piano rolls, NLL.")
        {
            real, generated, model, output, nllData, split, title, rolls, noC2st, resolution, limit, seed, permutations, count, bars, threads, estimateKeys,
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
            var r = PieceSet.LoadDirectory("real", parse.GetValue(real)!.FullName, loader, options, limitValue, ct);
            PieceSet g;
            if (genDir is not null)
            {
                g = PieceSet.LoadDirectory("generated", genDir.FullName, loader, options, limitValue, ct);
            }
            else if (modelDir is not null)
            {
                g = Generate(modelDir, Path.Combine(outDir, "generated"), parse.GetValue(count), parse.GetValue(bars), sampling.Read(parse).Sampling, parse.GetValue(seed), options, ct);
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
                C2st = new C2stOptions { Seed = parse.GetValue(seed), Permutations = parse.GetValue(permutations) },
                PianoRolls = parse.GetValue(rolls),
            };
            var summary = EvaluationReport.Write(outDir, r, g, reportOptions, ct);
            EvalCommands.PrintComparison(r, g, summary.Comparisons);
            EvalCommands.PrintC2st(summary.C2st, summary.C2stNote);
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

    /// <summary>Generates <paramref name="count"/> pieces (seeds seed+1 .. seed+count) with the engine, saves them as MIDI and measures them.</summary>
    private static PieceSet Generate(string modelDir, string saveDir, int count, int bars, MusicGen.Inference.SamplingOptions sampling, int seed, MetricOptions options, CancellationToken ct)
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
            Sampling = sampling.Clone(),
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
        return PieceSet.FromScores("generated", $"{generator.Package.Name} ({Describe(sampling.WithDefaults(generator.Package.Manifest.Sampling))}, {bars} bars, seeds {seed + 1}..{seed + count}; saved in {saveDir})", scores, options);
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
