using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using MusicGen.Core.Corpus;
using MusicGen.Core.Metrics;
using MusicGen.Core.Midi;
using MusicGen.Core.Packaging;
using MusicGen.Core.Tokenization;
using MusicGen.Evaluation;
using MusicGen.Inference;
using Spectre.Console;

namespace MusicGen.Cli.Commands;

/// <summary><c>musicgen eval nll</c>: negative log-likelihood, perplexity and accuracy of a model on held-out data.</summary>
internal static class EvalNllCommand
{
    internal static Command Create()
    {
        var model = GenerateCommands.ModelOption();
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
        cmd.SetAction((parse, ct) => EvalCommands.GuardAsync(() =>
        {
            var modelDir = ModelLocator.ResolvePackage(parse.GetValue(model)!);
            var (result, description) = ComputeNll(modelDir, parse.GetValue(data)!, parse.GetValue(split)!,
                parse.GetValue(framesPerQuarter), !parse.GetValue(noFirstFrame), parse.GetValue(threads), ct, parse.GetValue(graph));
            PrintNll(result, description);
            if (parse.GetValue(json) is { } file)
            {
                var obj = EvaluationReport.NllJson(result);
                obj["model"] = modelDir;
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
        : new NllOptions { EosToken = tokenizer.Eos, ScoreFirstFrame = scoreFirstFrame, Lead = WindowLead.ForKeys(tokenizer) };

    internal static Option<int> ThreadsOption() => new("--threads") { Description = "ONNX Runtime intra-op threads for scoring (0 = one per core).", DefaultValueFactory = _ => 0 };

    /// <summary>Scores <paramref name="data"/> (split <paramref name="split"/>) with the package in <paramref name="modelDir"/>.</summary>
    internal static (NllResult Result, string Description) ComputeNll(string modelDir, string data, string split, int framesPerQuarter, bool scoreFirstFrame, int threads, CancellationToken ct, GraphPreference graph = GraphPreference.Auto)
    {
        using var runner = OnnxSequenceLogits.Open(modelDir, threads, graph);
        var tokenizer = runner.Package.Tokenizer;
        var sequences = NllData.Load(data, split, tokenizer, framesPerQuarter, runner.Package.PrepareInput);
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

    internal static void PrintNll(NllResult r, string description)
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
}
