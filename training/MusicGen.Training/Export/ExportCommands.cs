using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using MusicGen.Core.Packaging;
using MusicGen.Core.Tokenization;
using MusicGen.Training.Models;
using MusicGen.Training.Training;

namespace MusicGen.Training.Export;

/// <summary>
/// <c>musicgen-train export</c> (checkpoint -> ONNX model package), <c>musicgen-train verify</c> (package logits vs the
/// TorchSharp model: full sequence, 512 cached steps, ragged batch of 4; fails above 1e-4 for fp32 graphs) and
/// <c>musicgen-train genai-config</c> (genai_config.json for an existing transformer package).
/// </summary>
internal static class ExportCommands
{
    /// <summary>Both commands, for the root command.</summary>
    public static IEnumerable<Command> Create() => [Export(), Verify(), GenAiConfigCommand(), RepackCommand.Create()];

    private static Command Export()
    {
        var checkpoint = new Option<FileInfo>("--checkpoint") { Description = "musicgen-train checkpoint (e.g. runs/<name>/best.ckpt).", Required = true };
        var output = new Option<DirectoryInfo>("--out") { Description = "Package folder to write, e.g. onnx/<name> (replaced atomically).", Required = true };
        var variant = new Option<string>("--variant") { Description = "Transformer graphs: portable, fast (fp32 + fp16 + int8) or all.", DefaultValueFactory = _ => "all" };
        variant.AcceptOnlyFromAmong(ModelExporter.VariantChoices);
        var context = new Option<int?>("--context") { Description = "Longest sequence the graphs accept (rotary tables, fast KV buffer). Default: max(training context, 1024)." };
        var tokenizer = new Option<FileInfo?>("--tokenizer") { Description = "Tokenizer JSON to embed when the checkpoint has none (synthetic data)." };
        var version = new Option<string>("--version") { Description = "Package version.", DefaultValueFactory = _ => "1" };
        var verify = new Option<bool>("--verify") { Description = "Run the verify checks right after exporting." };
        var sampling = new Option<string[]>("--sampling")
        {
            Description = "A sampling default NAME=VALUE for the package's \"sampling\" block (repeatable, e.g. --sampling minP=0.05); it wins over the "
                + $"same name in the checkpoint config's \"sampling\". Names: {string.Join(", ", MusicGen.Inference.GenerationOptions.PackageSamplingDefaults)}.",
            AllowMultipleArgumentsPerToken = true,
        };
        var cmd = new Command("export", "Export a checkpoint to an ONNX model package (onnx/<name>/: graphs + musicgen.json), validated by loading every graph in ONNX Runtime.")
        {
            checkpoint, output, variant, context, tokenizer, version, verify, sampling,
        };
        cmd.SetAction(parse => Guard(() =>
        {
            var ckpt = parse.GetValue(checkpoint)!;
            var outDir = parse.GetValue(output)!;
            var (model, meta) = Checkpoint.LoadModel(ckpt.FullName);
            using (model)
            {
                var tokenizerJson = parse.GetValue(tokenizer) is { } file ? File.ReadAllText(file.FullName)
                    : meta.Tokenizer ?? throw new ArgumentException($"{ckpt.Name} has no tokenizer (synthetic data?): pass --tokenizer <file.json>.");
                var tok = TokenizerJson.FromJson(tokenizerJson);
                if (tok.VocabularySize != model.VocabSize)
                    throw new ArgumentException($"tokenizer vocabulary ({tok.VocabularySize}) differs from the model's ({model.VocabSize}).");
                int trainContext = model.Spec.Architecture == "transformer" ? model.Spec.Transformer!.ContextLength : model.Spec.Lstm!.ContextLength;
                int ctx = parse.GetValue(context) ?? Math.Max(trainContext, 1024);
                var samplingDefaults = SamplingDefaults(meta.Config?.Sampling, parse.GetValue(sampling) ?? []);
                NoteSamplingChange(outDir.FullName, samplingDefaults);
                var sw = System.Diagnostics.Stopwatch.StartNew();
                var ort = OrtSessions.Instance;
                var manifest = ModelExporter.Export(model, outDir.FullName, parse.GetValue(variant)!, ctx, tokenizerJson,
                    new SpecialTokenIds { Pad = tok.Pad, Bos = tok.Bos, Eos = tok.Eos }, Summary(meta, ckpt.FullName), ort, Console.Out, parse.GetValue(version)!,
                    meta.Config?.Data.MeterMap, samplingDefaults, meta.Config?.Data.TrackPrograms, NormalizedKeys(meta.Config?.Data));
                Console.WriteLine($"wrote {outDir.FullName} ({manifest.Architecture}, context {manifest.ContextLength}) in {sw.Elapsed.TotalSeconds:F1} s:");
                foreach (var g in manifest.Graphs)
                    Console.WriteLine($"  {g.File,-22} {g.Variant,-10} {g.Precision} logits={g.Logits} {new FileInfo(Path.Combine(outDir.FullName, g.File)).Length / 1e6:F1} MB sha256 {g.Sha256[..12]}…");
                Console.WriteLine($"sampling defaults: {Describe(manifest.Sampling)}");
                Console.WriteLine("every graph loaded in ONNX Runtime (ORT_ENABLE_ALL) with no warning.");
                return parse.GetValue(verify) ? RunVerify(outDir.FullName, model, 1, ort) : 0;
            }
        }));
        return cmd;
    }

    /// <summary>
    /// For a run on pieces moved to C major / A minor (<c>normalizeKey</c>), the training pieces per original key
    /// signature (relative major C..B), read from the corpus cache's index; else null.
    /// </summary>
    internal static int[]? NormalizedKeys(DataConfig? data)
    {
        if (data is not { NormalizeKey: true }) return null;
        var index = Path.Combine(data.Cache ?? "", MusicGen.Core.Corpus.CorpusBuilder.IndexFile);
        if (!File.Exists(index))
            throw new ArgumentException($"the run moved its pieces to C major / A minor, but its corpus cache index {index} is gone, and the package's normalizedKeys must record the keys the pieces were in: rebuild the cache with the run's config.");
        var counts = new int[12];
        foreach (var d in MusicGen.Core.Corpus.TokenCorpus.Open(data.Cache!).Entries("train"))
            if (d.Augmentation is null && d.KeyShift is int shift) counts[((-shift % 12) + 12) % 12]++;
        return counts.Any(c => c > 0) ? counts : throw new ArgumentException($"corpus cache {data.Cache} records no key shifts: was it built with normalizeKey?");
    }

    private static Command Verify()
    {
        var package = new Option<DirectoryInfo>("--package") { Description = "Package folder (onnx/<name>).", Required = true };
        var checkpoint = new Option<FileInfo?>("--checkpoint") { Description = "Checkpoint to compare with (default: the manifest's training.checkpoint)." };
        var seed = new Option<int>("--seed") { Description = "Seed of the random sequences.", DefaultValueFactory = _ => 1 };
        var weightsFrom = new Option<DirectoryInfo?>("--weights-from")
        {
            Description = "Instead of a checkpoint: a TorchSharp model holding the weights read back from this package's graph (portable or LSTM), e.g. a copy of the package before a repack.",
        };
        var cmd = new Command("verify", "Compare a package's ONNX Runtime logits with the TorchSharp model: full sequence, 512 cached steps, ragged batch of 4. Fails above 1e-4 (fp32).")
        {
            package, checkpoint, seed, weightsFrom,
        };
        cmd.SetAction(parse => Guard(() =>
        {
            var dir = parse.GetValue(package)!.FullName;
            if (parse.GetValue(weightsFrom) is { } source)
            {
                using var fromPackage = ModelFromPackage(source.FullName);
                return RunVerify(dir, fromPackage, parse.GetValue(seed), OrtSessions.Instance);
            }
            var manifest = ModelManifest.Load(dir);
            var ckpt = parse.GetValue(checkpoint)?.FullName ?? manifest.Training?.Checkpoint
                ?? throw new ArgumentException($"{dir}: the manifest names no checkpoint; pass --checkpoint.");
            var (model, _) = Checkpoint.LoadModel(ckpt);
            using (model) return RunVerify(dir, model, parse.GetValue(seed), OrtSessions.Instance);
        }));
        return cmd;
    }

    private static Command GenAiConfigCommand()
    {
        var package = new Option<DirectoryInfo>("--package") { Description = "Transformer package folder (onnx/<name>) with a portable graph.", Required = true };
        var cmd = new Command("genai-config", "Write genai_config.json into an existing transformer package (export writes it too), so ONNX Runtime GenAI can load its portable graph.")
        {
            package,
        };
        cmd.SetAction(parse => Guard(() =>
        {
            var dir = parse.GetValue(package)!.FullName;
            var manifest = ModelManifest.Load(dir);
            manifest.VerifyFiles(dir);
            Console.WriteLine($"wrote {MusicGen.Onnx.GenAiConfig.Write(dir, manifest)}");
            return 0;
        }));
        return cmd;
    }

    /// <summary>A TorchSharp model of a package's shape holding the weights read back from its graph (<see cref="InitialWeights"/>).</summary>
    private static TrainableMusicModel ModelFromPackage(string source)
    {
        var m = ModelManifest.Load(source);
        var h = m.HyperParameters;
        TrainableMusicModel model = m.Architecture == ModelArchitectures.Lstm
            ? new LstmMusicModel(new Models.LstmConfig { VocabSize = h.VocabSize, EmbeddingSize = h.EmbeddingSize, Layers = h.LstmLayers, Units = h.LstmUnits, DenseUnits = h.DenseUnits, ContextLength = h.ContextLength })
            : new TransformerMusicModel(new Models.TransformerConfig
            {
                VocabSize = h.VocabSize, DModel = h.DModel, Layers = h.Layers, Heads = h.Heads, KvHeads = h.KvHeads, FfnHidden = h.FfnHidden,
                ContextLength = h.ContextLength, RopeTheta = h.RopeTheta,
            });
        Console.WriteLine(InitialWeights.Load(model, source, m.TokenizerJson.Length == 0 ? null : m.TokenizerJson));
        return model;
    }

    private static int RunVerify(string dir, TrainableMusicModel model, int seed, OrtSessions ort)
    {
        var manifest = ModelManifest.Load(dir);
        manifest.VerifyFiles(dir);
        if (manifest.Architecture != model.Architecture || manifest.HyperParameters.VocabSize != model.VocabSize)
            throw new ArgumentException($"package is a {manifest.Architecture} with vocabulary {manifest.HyperParameters.VocabSize}; the checkpoint is a {model.Architecture} with {model.VocabSize}.");
        Console.WriteLine($"verify {dir} against the TorchSharp model (seed {seed}); sha256 of every file checked.");
        var sw = System.Diagnostics.Stopwatch.StartNew();
        var checks = new PackageVerifier(dir, manifest, ModelExporter.Reference(model), ort).Run(seed, c =>
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  {(c.Passed ? "ok  " : "FAIL")} {c.Graph,-34} {c.Scenario,-58} max |Δlogit| {c.MaxAbsDiff:E2} (bound {c.Tolerance:G2}){(c.Warning is null ? "" : "  ORT warning: " + c.Warning)}")));
        double worst32 = checks.Where(c => c.Tolerance == PackageVerifier.Fp32Tolerance).Select(c => c.MaxAbsDiff).DefaultIfEmpty(0).Max();
        int failed = checks.Count(c => !c.Passed);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{checks.Count - failed}/{checks.Count} checks passed in {sw.Elapsed.TotalSeconds:F1} s; max abs diff over fp32 graphs {worst32:E2} (bound {PackageVerifier.Fp32Tolerance:G1})."));
        return failed == 0 ? 0 : 1;
    }

    /// <summary>
    /// The package's sampling block: the checkpoint config's <c>sampling</c>, then each <c>--sampling NAME=VALUE</c> over
    /// it; null when empty. Names and limits are checked by the exporter.
    /// </summary>
    internal static Dictionary<string, double>? SamplingDefaults(IReadOnlyDictionary<string, double>? fromConfig, IEnumerable<string> overrides)
    {
        var result = new Dictionary<string, double>(fromConfig ?? new Dictionary<string, double>(), StringComparer.Ordinal);
        foreach (var item in overrides)
        {
            var eq = item.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0 || !double.TryParse(item.AsSpan(eq + 1), NumberStyles.Float, CultureInfo.InvariantCulture, out var value))
                throw new ArgumentException($"--sampling '{item}': expected NAME=VALUE with a number, e.g. minP=0.05.");
            result[item[..eq].Trim()] = value;
        }
        return result.Count > 0 ? result : null;
    }

    /// <summary>Says so when the package being replaced had other sampling defaults (a re-export must not drop them silently).</summary>
    private static void NoteSamplingChange(string directory, IReadOnlyDictionary<string, double>? next)
    {
        if (!File.Exists(Path.Combine(directory, ModelManifest.FileName))) return;
        Dictionary<string, double>? previous;
        try
        {
            previous = ModelManifest.Load(directory).Sampling;
        }
        catch (ModelPackageException)
        {
            return;
        }
        if (Describe(previous) != Describe(next))
            Console.Error.WriteLine($"note: {directory} had sampling defaults {Describe(previous)}; the new package gets {Describe(next)} "
                + "(set \"sampling\" in the training config or pass --sampling NAME=VALUE to keep them).");
    }

    private static string Describe(IReadOnlyDictionary<string, double>? sampling) => sampling is { Count: > 0 }
        ? string.Join(", ", sampling.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => string.Create(CultureInfo.InvariantCulture, $"{kv.Key}={kv.Value}")))
        : "none";

    private static TrainingSummary Summary(CheckpointMeta meta, string checkpointPath)
    {
        var best = meta.History.LastOrDefault(h => h.Step == meta.BestStep) ?? meta.History.LastOrDefault();
        return new TrainingSummary
        {
            Data = RepoRelative(meta.Data ?? ""),
            Command = (meta.Config is null ? "" : RepoRelative("musicgen-train train " + JsonSerializer.Serialize(meta.Config, new JsonSerializerOptions(TrainConfig.Json) { WriteIndented = false })))
                + (meta.AveragedFrom is { Count: > 0 } a ? $"; then musicgen-train average-weights of {string.Join(", ", a)} (the run above is the first)" : "")
                + (meta.LogitScale != 1 ? string.Create(CultureInfo.InvariantCulture, $"; then musicgen-train scale-logits --factor {meta.LogitScale} (the valid figures are of the unscaled weights)") : ""),
            Steps = meta.Step,
            ValidLoss = double.IsFinite(meta.BestValidLoss) ? meta.BestValidLoss : best?.ValidLoss,
            ValidAccuracy = best?.ValidAccuracy,
            WallTimeSeconds = meta.ElapsedSeconds,
            Checkpoint = RepoRelative(Path.GetFullPath(checkpointPath)),
        };
    }

    /// <summary>
    /// Provenance text with this checkout's absolute paths made relative to the repository root (the folder with
    /// MusicGen.sln above the working directory): <c>/r/main/runs/x</c> becomes <c>runs/x</c> and
    /// <c>/r/shared/datasets</c> becomes <c>../shared/datasets</c>, so a package does not record one machine's layout.
    /// </summary>
    internal static string RepoRelative(string text)
    {
        for (var dir = new DirectoryInfo(Directory.GetCurrentDirectory()); dir is not null; dir = dir.Parent)
        {
            if (!File.Exists(Path.Combine(dir.FullName, "MusicGen.sln"))) continue;
            var root = dir.FullName.TrimEnd('/') + "/";
            text = text.Replace(root, "", StringComparison.Ordinal);
            if (dir.Parent is { } parent && parent.FullName != "/")
                text = text.Replace(parent.FullName.TrimEnd('/') + "/", "../", StringComparison.Ordinal);
            return text;
        }
        return text;
    }

    /// <summary>Runs a command's action; a bad argument, package or graph prints "error: ..." and exits 1.</summary>
    internal static int Guard(Func<int> action)
    {
        try
        {
            return action();
        }
        catch (Exception e) when (e is ArgumentException or ModelPackageException or InvalidDataException or FileNotFoundException or FormatException
                                      or InvalidOperationException or Microsoft.ML.OnnxRuntime.OnnxRuntimeException)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return 1;
        }
    }
}
