using System.CommandLine;
using System.Globalization;
using MusicGen.Training.Data;
using MusicGen.Training.Training;
using Spectre.Console;

namespace MusicGen.Training.Commands;

/// <summary><c>musicgen-train train</c>: trains a model from a JSON config, with a progress bar, CSV log and curves.</summary>
public static class TrainCommands
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>The <c>train</c> command.</summary>
    public static Command Create()
    {
        var config = new Option<FileInfo>("--config", "-c") { Description = "Training config (training/configs/*.json)." };
        var resume = new Option<FileInfo?>("--resume") { Description = "Continue exactly from a checkpoint (e.g. runs/<name>/last.ckpt); its saved config is used." };
        var maxSteps = new Option<int?>("--max-steps") { Description = "Override the number of optimizer steps." };
        var maxMinutes = new Option<double?>("--max-minutes") { Description = "Override the wall-clock budget in minutes." };
        var threads = new Option<int?>("--threads") { Description = "Override TorchSharp's intra-op thread count." };
        var emaDecay = new Option<double?>("--ema-decay") { Description = "Override training.emaDecay (exponential moving average of the weights; 0 = off). On --resume, an average the checkpoint lacks starts at its weights." };
        var output = new Option<string?>("--out") { Description = "Override the output folder (default runs/<name>)." };
        var cmd = new Command("train", "Train an LSTM or Transformer music model from a JSON config.")
        {
            config, resume, maxSteps, maxMinutes, threads, emaDecay, output,
        };
        cmd.SetAction(parse => Guard(() =>
        {
            var resumeFile = parse.GetValue(resume);
            var configFile = parse.GetValue(config);
            if (resumeFile is null && configFile is null) throw new ArgumentException("give --config <file.json> or --resume <checkpoint>");
            TrainConfig cfg;
            if (resumeFile is not null)
            {
                var (meta, _) = Checkpoint.Read(resumeFile.FullName);
                cfg = meta.Config ?? throw new ArgumentException($"{resumeFile} holds no training config");
            }
            else cfg = TrainConfig.Load(configFile!.FullName);
            if (parse.GetValue(threads) is { } t) cfg.Training.Threads = t;
            if (parse.GetValue(output) is { } o) cfg.Out = Path.GetFullPath(o);
            if (resumeFile is null)
            {
                if (parse.GetValue(maxSteps) is { } s) cfg.Training.MaxSteps = s;
                if (parse.GetValue(maxMinutes) is { } m) cfg.Training.MaxMinutes = m;
                if (parse.GetValue(emaDecay) is { } e) cfg.Training.EmaDecay = e;
            }
            var data = CorpusData.Load(cfg, msg => AnsiConsole.MarkupLineInterpolated($"[grey]{msg}[/]"));
            using var trainer = resumeFile is null
                ? Trainer.Create(cfg, data)
                : Trainer.Resume(resumeFile.FullName, data, parse.GetValue(maxSteps), parse.GetValue(maxMinutes), cfg.Out, parse.GetValue(emaDecay));
            var spec = trainer.Model.Spec;
            AnsiConsole.WriteLine(
                $"{cfg.Name}: {spec.Architecture}, {trainer.Model.ParameterCount():N0} parameters, vocabulary {data.VocabSize}; " +
                $"{data.TrainCount:N0} train / {data.ValidCount:N0} valid windows of {cfg.Training.SeqLen}; batch {cfg.Training.BatchSize}; " +
                $"{TorchSharp.torch.get_num_threads()} threads; output {trainer.RunDirectory}");
            foreach (var m in trainer.StartupMessages) AnsiConsole.WriteLine(m);
            return Run(trainer, cfg);
        }));
        return cmd;
    }

    private static int Run(Trainer trainer, TrainConfig cfg)
    {
        using var cts = new CancellationTokenSource();
        ConsoleCancelEventHandler onCancel = (_, e) => { e.Cancel = true; cts.Cancel(); };
        Console.CancelKeyPress += onCancel;
        trainer.OnMessage = m => AnsiConsole.MarkupLineInterpolated($"[yellow]{m}[/]");
        trainer.OnEval = r => AnsiConsole.WriteLine(string.Create(Inv,
            $"step {r.Step,6}  epoch {r.Epoch,3}  lr {r.LearningRate:E2}  train {r.TrainLoss:F4} ({r.TrainAccuracy:P1})  " +
            $"valid {r.ValidLoss:F4} ({r.ValidAccuracy:P1}, ppl {r.ValidPerplexity:F2}){(r.LiveValidLoss is { } l ? $"  live {l:F4}" : "")}  {r.TokensPerSecond:N0} tok/s  {r.ElapsedSeconds:F0} s"));
        TrainingResult result;
        try
        {
            if (AnsiConsole.Profile.Capabilities.Interactive)
            {
                result = AnsiConsole.Progress()
                    .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn())
                    .Start(ctx =>
                    {
                        var task = ctx.AddTask(cfg.Name, maxValue: cfg.Training.MaxSteps);
                        task.Value = trainer.State.Step;
                        trainer.OnStep = s =>
                        {
                            task.Value = s.Step;
                            task.Description = $"{cfg.Name} loss {s.Loss:F3}";
                        };
                        return trainer.Run(cancellationToken: cts.Token);
                    });
            }
            else
            {
                var lastPrint = DateTime.UtcNow;
                trainer.OnStep = s =>
                {
                    if ((DateTime.UtcNow - lastPrint).TotalSeconds < 30) return;
                    lastPrint = DateTime.UtcNow;
                    var eta = s.Step > 0 ? TimeSpan.FromSeconds(s.ElapsedSeconds / s.Step * (s.MaxSteps - s.Step)) : TimeSpan.Zero;
                    Console.WriteLine(string.Create(Inv, $"  step {s.Step}/{s.MaxSteps} loss {s.Loss:F4} lr {s.LearningRate:E2} elapsed {s.ElapsedSeconds:F0} s, ETA {eta:hh\\:mm\\:ss}"));
                };
                result = trainer.Run(cancellationToken: cts.Token);
            }
        }
        finally
        {
            Console.CancelKeyPress -= onCancel;
        }

        var last = result.Last;
        var best = result.Best;
        var table = new Table().AddColumns("", "step", "valid loss", "valid accuracy", "valid perplexity");
        if (last is not null) table.AddRow("last", last.Step.ToString(Inv), last.ValidLoss.ToString("F4", Inv), last.ValidAccuracy.ToString("P2", Inv), last.ValidPerplexity.ToString("F3", Inv));
        if (best is not null) table.AddRow("best", best.Step.ToString(Inv), best.ValidLoss.ToString("F4", Inv), best.ValidAccuracy.ToString("P2", Inv), best.ValidPerplexity.ToString("F3", Inv));
        AnsiConsole.Write(table);
        AnsiConsole.WriteLine(
            $"{result.Steps} steps in {result.WallSeconds:F0} s ({result.StopReason ?? "paused"}); checkpoints {result.LastCheckpoint}{(result.BestCheckpoint is null ? "" : ", " + result.BestCheckpoint)}; " +
            $"log {Path.Combine(result.RunDirectory, "metrics.csv")}; curves {Path.Combine(result.RunDirectory, "curves.png")}");
        return result.StopReason == "cancelled" ? 130 : 0;
    }

    /// <summary>Runs a command body, turning expected failures into a one-line error and exit code 1.</summary>
    internal static int Guard(Func<int> body)
    {
        try
        {
            return body();
        }
        catch (Exception e) when (e is ArgumentException or InvalidDataException or FileNotFoundException or DirectoryNotFoundException or IOException or FormatException
                                      or MusicGen.Core.Packaging.ModelPackageException)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return 1;
        }
    }
}
