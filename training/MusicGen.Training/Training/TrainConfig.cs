using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using MusicGen.Training.Data;
using MusicGen.Training.Models;

namespace MusicGen.Training.Training;

/// <summary>
/// A training run as a JSON file (<c>training/configs/*.json</c>): data, model, trainer settings, output folder.
/// Relative paths are resolved against the repository root (the nearest ancestor of the config file holding
/// <c>MusicGen.sln</c>), or the config's own folder when there is none.
/// </summary>
public sealed class TrainConfig
{
    /// <summary>Run name (used in logs and as the default output folder <c>runs/&lt;name&gt;</c>).</summary>
    public string Name { get; set; } = "run";
    /// <summary>Where the tokens come from.</summary>
    public DataConfig Data { get; set; } = new();
    /// <summary>The model to train.</summary>
    public ModelSpec Model { get; set; } = new();
    /// <summary>Optimisation and bookkeeping.</summary>
    public TrainerOptions Training { get; set; } = new();
    /// <summary>Output folder (checkpoints, metrics.csv, curves.png); default <c>runs/&lt;name&gt;</c>.</summary>
    public string? Out { get; set; }
    /// <summary>
    /// Sampling defaults the exported package carries (manifest <c>sampling</c>, e.g. <c>{"minP": 0.05}</c>), chosen by
    /// measurement (docs/models/); null for none. Checked at load with the inference library's rules
    /// (<see cref="MusicGen.Inference.SamplingOptions.CheckDefaults"/>); <c>musicgen-train export --sampling</c> overrides names.
    /// </summary>
    public Dictionary<string, double>? Sampling { get; set; }

    /// <summary>JSON options used for configs and checkpoint metadata (camelCase, comments and trailing commas allowed).</summary>
    public static JsonSerializerOptions Json { get; } = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
    };

    /// <summary>Reads a config file; paths inside are made absolute.</summary>
    public static TrainConfig Load(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"config file {path} does not exist", path);
        TrainConfig cfg;
        try
        {
            cfg = JsonSerializer.Deserialize<TrainConfig>(File.ReadAllText(path), Json)
                ?? throw new InvalidDataException($"{path}: empty config");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: {e.Message}", e);
        }
        if (MusicGen.Inference.SamplingOptions.CheckDefaults(cfg.Sampling) is [var problem, ..])
            throw new InvalidDataException($"{path}: {problem}");
        var root = FindRoot(Path.GetDirectoryName(Path.GetFullPath(path))!);
        cfg.ResolvePaths(root);
        return cfg;
    }

    /// <summary>Makes every relative path absolute against <paramref name="root"/>.</summary>
    public void ResolvePaths(string root)
    {
        string? R(string? p) => p is null ? null : Path.GetFullPath(Path.IsPathRooted(p) ? p : Path.Combine(root, p));
        Data.Path = R(Data.Path);
        Data.Cache = R(Data.Cache);
        Out = R(Out ?? Path.Combine("runs", Name));
        Training.InitFrom = R(Training.InitFrom);
    }

    private static string FindRoot(string dir)
    {
        for (var d = new DirectoryInfo(dir); d is not null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "MusicGen.sln"))) return d.FullName;
        return dir;
    }

    /// <summary>Deep copy through JSON.</summary>
    public TrainConfig Clone() => JsonSerializer.Deserialize<TrainConfig>(JsonSerializer.Serialize(this, Json), Json)!;
}

/// <summary>Data section of a config.</summary>
public sealed class DataConfig
{
    /// <summary>MIDI folder or JSB <c>.json</c> file the cache is built from (when the cache is missing).</summary>
    public string? Path { get; set; }
    /// <summary>Tokenizer: a kind name (<c>remi</c>, <c>performance</c>, <c>chorale</c>) or a full tokenizer JSON object.</summary>
    public JsonNode? Tokenizer { get; set; }
    /// <summary>Corpus cache folder (built on the fly when missing).</summary>
    public string? Cache { get; set; }
    /// <summary>Share of MIDI files held out for validation when the cache is built.</summary>
    public double ValidFraction { get; set; } = 0.1;
    /// <summary>Seed of the split (cache build).</summary>
    public ulong SplitSeed { get; set; } = 1;
    /// <summary>Augment the training split by transposition when the cache is built (semitones either way; 0 = none).</summary>
    public int Transpose { get; set; }
    /// <summary>Augmented copies per training piece when <see cref="Transpose"/> is set.</summary>
    public int AugmentCopies { get; set; } = 2;
    /// <summary>
    /// Move every piece to C major / A minor when the cache is built (<see cref="MusicGen.Core.Corpus.KeyNormalization"/>);
    /// the package then records the keys the pieces were in, and generated pieces are moved to one of them.
    /// </summary>
    public bool NormalizeKey { get; set; }
    /// <summary>Time signatures rewritten before tokenizing (cache build), e.g. <c>{"1/4": "4/4"}</c>; see <see cref="MusicGen.Core.Corpus.CorpusBuildOptions.MeterMap"/>.</summary>
    public Dictionary<string, string>? MeterMap { get; set; }
    /// <summary>Programs given to named tracks before tokenizing (cache build), e.g. <c>{"MELODY": 1}</c>; see <see cref="MusicGen.Core.Corpus.CorpusBuildOptions.TrackPrograms"/>.</summary>
    public Dictionary<string, int>? TrackPrograms { get; set; }
    /// <summary>
    /// Start every window cut from inside a song with the key in force there (its latest key token; the tokenizer
    /// needs key tokens), so that every window, like the engine's context, knows the key (<see cref="MusicGen.Core.Corpus.WindowLead"/>).
    /// </summary>
    public bool RestateKey { get; set; }
    /// <summary>
    /// Train and validate on each song's first window only (its opening, from the BOS token on) instead of every
    /// window: a model that starts pieces from scratch learns how songs begin rather than how they go on.
    /// </summary>
    public bool OpeningsOnly { get; set; }
    /// <summary>Use a generated corpus instead of files (tests, benchmarks).</summary>
    public SyntheticCorpusOptions? Synthetic { get; set; }
}

/// <summary>Trainer settings.</summary>
public sealed class TrainerOptions
{
    /// <summary>Tokens per training sequence T (windows hold T+1 tokens: inputs and shifted targets).</summary>
    public int SeqLen { get; set; } = 256;
    /// <summary>Tokens between window starts (0 = SeqLen / 2).</summary>
    public int Stride { get; set; }
    /// <summary>Sequences per batch.</summary>
    public int BatchSize { get; set; } = 16;
    /// <summary>Optimizer steps.</summary>
    public int MaxSteps { get; set; } = 2000;
    /// <summary>Wall-clock budget in minutes (0 = none); the run ends with an evaluation when it is spent.</summary>
    public double MaxMinutes { get; set; }
    /// <summary>Peak learning rate.</summary>
    public double LearningRate { get; set; } = 1e-3;
    /// <summary>Learning rate at the end of the cosine decay.</summary>
    public double MinLearningRate { get; set; } = 1e-4;
    /// <summary>Linear warm-up steps.</summary>
    public int WarmupSteps { get; set; } = 100;
    /// <summary>Decoupled weight decay (AdamW) of matrices (norm weights and biases are not decayed).</summary>
    public double WeightDecay { get; set; } = 0.1;
    /// <summary>Adam beta1.</summary>
    public double Beta1 { get; set; } = 0.9;
    /// <summary>Adam beta2.</summary>
    public double Beta2 { get; set; } = 0.95;
    /// <summary>Adam epsilon.</summary>
    public double Epsilon { get; set; } = 1e-8;
    /// <summary>Global gradient-norm clip (0 = off).</summary>
    public double GradClip { get; set; } = 1.0;
    /// <summary>Label smoothing of the training loss (the reported losses are plain cross-entropy).</summary>
    public double LabelSmoothing { get; set; }
    /// <summary>Evaluate every N steps (and at the end).</summary>
    public int EvalEvery { get; set; } = 200;
    /// <summary>Validation batches per evaluation (0 = the whole valid split).</summary>
    public int EvalBatches { get; set; }
    /// <summary>Write <c>last.ckpt</c> every N steps (0 = only at the end).</summary>
    public int CheckpointEvery { get; set; } = 500;
    /// <summary>Stop after this many evaluations without a better valid loss (0 = never).</summary>
    public int Patience { get; set; }
    /// <summary>Seed of weights, dropout and data order.</summary>
    public long Seed { get; set; } = 1234;
    /// <summary>Intra-op threads for TorchSharp (0 = TorchSharp's default).</summary>
    public int Threads { get; set; }
    /// <summary>
    /// Checkpoint file or transformer package folder to start from (fine-tuning / transfer learning); its model must
    /// have the same shapes, except a vocabulary the run's extends (<see cref="InitialWeights"/>).
    /// </summary>
    public string? InitFrom { get; set; }
    /// <summary>
    /// Decay of an exponential moving average of the weights (<see cref="WeightAverage"/>; 0 = off, e.g. 0.998 averages
    /// over about the last 500 steps). When on, evaluations, <c>best.ckpt</c> and the export use the averaged weights.
    /// </summary>
    public double EmaDecay { get; set; }
    /// <summary>Weight-name prefixes kept frozen (e.g. <c>tok_embeddings</c>, <c>layers.0.</c>, <c>lstm</c>).</summary>
    public List<string> Freeze { get; set; } = [];

    /// <summary>Effective stride.</summary>
    [JsonIgnore] public int EffectiveStride => Stride > 0 ? Stride : Math.Max(1, SeqLen / 2);

    /// <summary>Throws <see cref="ArgumentException"/> naming the first invalid setting.</summary>
    public void Validate()
    {
        static void Req(bool ok, string what) { if (!ok) throw new ArgumentException($"training config: {what}"); }
        Req(SeqLen >= 2, "seqLen must be at least 2");
        Req(Stride >= 0 && Stride <= SeqLen, "stride must be 0..seqLen");
        Req(BatchSize >= 1, "batchSize must be positive");
        Req(MaxSteps >= 1, "maxSteps must be positive");
        Req(MaxMinutes >= 0, "maxMinutes must not be negative");
        Req(LearningRate > 0 && MinLearningRate >= 0 && MinLearningRate <= LearningRate, "need 0 <= minLearningRate <= learningRate, learningRate > 0");
        Req(WarmupSteps >= 0, "warmupSteps must not be negative");
        Req(WeightDecay >= 0, "weightDecay must not be negative");
        Req(Beta1 is >= 0 and < 1 && Beta2 is >= 0 and < 1, "beta1 and beta2 must be in [0, 1)");
        Req(Epsilon > 0, "epsilon must be positive");
        Req(GradClip >= 0, "gradClip must not be negative");
        Req(LabelSmoothing is >= 0 and < 1, "labelSmoothing must be in [0, 1)");
        Req(EvalEvery >= 1, "evalEvery must be positive");
        Req(EmaDecay is >= 0 and < 1, "emaDecay must be in [0, 1) (0 = off)");
        Req(EvalBatches >= 0 && CheckpointEvery >= 0 && Patience >= 0 && Threads >= 0, "evalBatches, checkpointEvery, patience and threads must not be negative");
    }
}
