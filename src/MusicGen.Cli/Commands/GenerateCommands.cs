using System.CommandLine;
using System.Diagnostics;
using MusicGen.Core.Packaging;
using MusicGen.Inference;
using MusicGen.Inference.Errors;
using Spectre.Console;

namespace MusicGen.Cli.Commands;

/// <summary><c>musicgen generate</c>: compose MIDI with a model package.</summary>
public static class GenerateCommands
{
    /// <summary>The <c>generate</c> command.</summary>
    public static Command Create()
    {
        var model = ModelOption();
        var models = ModelsOption();
        var output = new Option<FileInfo>("--out", "-o") { Description = "Where to write the MIDI file (with --count N: name-1.mid ... name-N.mid).", Required = true };
        var flags = new GenerationFlags();
        var count = new Option<int>("--count") { Description = "How many pieces (generated together in one batch; seeds seed, seed+1, ...).", DefaultValueFactory = _ => 1 };
        var device = DeviceOption();
        var graph = new Option<GraphPreference>("--graph") { Description = "Transformer graph: Auto, Fast, FastInt8 (int8 linear-layer weights, CPU) or Portable.", DefaultValueFactory = _ => GraphPreference.Auto };
        var threads = ThreadsOption();
        var (parallel, parallelMin) = ParallelOptions();
        var cmd = new Command("generate", "Generate MIDI with a model package (KV-cached ONNX Runtime engine).")
        {
            model, models, output, count, device, graph, threads, parallel, parallelMin,
        };
        foreach (var flag in flags.Options) cmd.Options.Add(flag);
        cmd.SetAction(parse => Guard(() =>
        {
            var options = EngineOptions(parse.GetValue(device)!, parse.GetValue(threads), parse.GetValue(graph));
            options.ParallelDecodeThreads = parse.GetValue(parallel);
            options.ParallelDecodeMinRows = parse.GetValue(parallelMin);
            int n = parse.GetValue(count);
            if (n < 1) throw new ArgumentException("--count must be >= 1.");
            options.MaxBatchSize = n;
            var template = flags.Read(parse); // bad flags fail before the model loads
            using var loaded = MusicModel.Load(ModelLocator.ResolvePackage(parse.GetValue(model)!, parse.GetValue(models)), options, new StderrLogger());
            long baseSeed = template.Seed ?? Random.Shared.NextInt64(1, 1L << 40);
            var requests = new List<GenerationRequest>();
            for (int i = 0; i < n; i++)
            {
                var r = flags.Read(parse); // each piece its own request (and sampling options)
                r.Seed = baseSeed + i;
                requests.Add(r);
            }
            var started = Stopwatch.GetTimestamp();
            // The library's generator: the one continuous-batching loop, all pieces in one batch.
            using var generator = new MusicGenerator(loaded, ownsModel: false);
            var jobs = requests.Select(r => generator.Submit(r)).ToList();
            var results = RunWithProgress(loaded, jobs, template.MaxTokens, template.Bars, template.Seconds);
            var elapsed = Stopwatch.GetElapsedTime(started).TotalSeconds;
            var outFile = parse.GetValue(output)!;
            long generated = 0;
            int exit = 0;
            for (int i = 0; i < n; i++)
            {
                var result = results[i];
                generated += result.Timing.GeneratedTokens;
                var path = n == 1 ? outFile.FullName
                    : Path.Combine(outFile.DirectoryName ?? ".", $"{Path.GetFileNameWithoutExtension(outFile.Name)}-{i + 1}{outFile.Extension}");
                if (result.NoteCount == 0)
                {
                    Console.Error.WriteLine($"error: {path} not written: {new EmptyPieceException(result).Message}");
                    exit = 1;
                    continue;
                }
                Directory.CreateDirectory(Path.GetDirectoryName(path)!);
                File.WriteAllBytes(path, result.Midi);
                Console.WriteLine($"wrote {path}: {result.NoteCount} notes, {result.DurationSeconds:F1} s of music, {result.Timing.GeneratedTokens} tokens ({result.StopReason}), seed {result.Seed}");
            }
            Console.WriteLine($"{generated} tokens in {elapsed:F2} s = {generated / elapsed:F1} tokens/s ({loaded.Package.Name}, graph {loaded.DefaultVariant}, {loaded.ExecutionProvider}, batch {n})");
            return exit;
        }));
        return cmd;
    }

    /// <summary>Waits for the jobs, showing their progress on an interactive terminal; returns their results in order.</summary>
    private static GenerationResult[] RunWithProgress(MusicModel model, List<GenerationJob> jobs, int? tokens, int? bars, double? seconds)
    {
        double Fraction(GenerationJob job)
        {
            var s = job.Sequence; // read while the loop writes it: a progress estimate only
            if (job.Completion.IsCompleted) return 1;
            double f = 0;
            if (tokens is int t) f = Math.Max(f, s.GeneratedCount / (double)t);
            if (bars is int b) f = Math.Max(f, s.Bars / (double)b);
            if (seconds is double sec) f = Math.Max(f, s.Seconds / sec);
            if (tokens is null && bars is null && seconds is null) f = s.GeneratedCount / (double)model.Options.DefaultMaxTokens;
            return Math.Min(1, f);
        }
        var all = Task.WhenAll(jobs.Select(j => j.Completion));
        if (!Console.IsErrorRedirected && AnsiConsole.Profile.Capabilities.Interactive)
        {
            AnsiConsole.Progress().AutoClear(true).Start(ctx =>
            {
                var task = ctx.AddTask("generating", maxValue: 100);
                while (!all.Wait(200)) task.Value = jobs.Average(Fraction) * 100;
                task.Value = 100;
            });
        }
        return all.GetAwaiter().GetResult();
    }

    /// <summary>Warnings and errors of the engine (e.g. the CUDA fallback) as one line each on stderr.</summary>
    internal sealed class StderrLogger : Microsoft.Extensions.Logging.ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(Microsoft.Extensions.Logging.LogLevel logLevel) => logLevel >= Microsoft.Extensions.Logging.LogLevel.Warning;

        public void Log<TState>(Microsoft.Extensions.Logging.LogLevel logLevel, Microsoft.Extensions.Logging.EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel)) Console.Error.WriteLine($"{logLevel.ToString().ToLowerInvariant()}: {formatter(state, exception)}");
        }
    }

    internal static Option<string> ModelOption() => new("--model", "-m")
    {
        Description = $"Model package: its folder, or a name looked for in --models, ${ModelLocator.EnvironmentVariable}, ./onnx, then onnx/ beside musicgen.",
        Required = true,
    };

    internal static Option<string?> ModelsOption() => new("--models") { Description = "Folder of model packages, searched first for a --model name." };

    internal static Option<string> DeviceOption() => new("--device") { Description = "Execution provider: cpu or cuda (falls back to cpu with a warning when the native library lacks CUDA).", DefaultValueFactory = _ => "cpu" };

    internal static Option<int> ThreadsOption() => new("--threads") { Description = "ONNX Runtime intra-op threads (default 1; 0 = one per core).", DefaultValueFactory = _ => 1 };

    internal static (Option<int> Threads, Option<int> MinRows) ParallelOptions() =>
    (
        new("--parallel") { Description = "Threads that share a decode step of at least --parallel-min-rows rows, each running a slice of the rows (0 = one per core, 1 = off).", DefaultValueFactory = _ => 0 },
        new("--parallel-min-rows") { Description = "Fewest rows in a decode step for it to be split across --parallel threads.", DefaultValueFactory = _ => 8 }
    );

    internal static InferenceOptions EngineOptions(string device, int threads, GraphPreference graph) => new()
    {
        ExecutionProvider = device,
        IntraOpThreads = threads,
        Graph = graph,
    };

    /// <summary>Runs a command body; bad input gives exit code 1 and one line on stderr.</summary>
    internal static int Guard(Func<int> body)
    {
        try
        {
            return body();
        }
        catch (ArgumentException e)
        {
            foreach (var line in GenerationFlags.Describe(e)) Console.Error.WriteLine("error: " + line.ReplaceLineEndings(" "));
            return 1;
        }
        catch (Exception e) when (e is ModelPackageException or InvalidOperationException or IOException
                                      or UnauthorizedAccessException or Microsoft.Extensions.Options.OptionsValidationException
                                      or MusicGen.Inference.Errors.PrimerException or MusicGen.Core.Limits.InputLimitExceededException)
        {
            Console.Error.WriteLine("error: " + e.Message.ReplaceLineEndings(" "));
            return 1;
        }
    }
}
