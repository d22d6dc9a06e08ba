using System.Text;
using System.Text.Json;
using MusicGen.Training.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace MusicGen.Training.Training;

/// <summary>
/// One evaluation: the CSV row and a point of the curves. With <c>training.emaDecay</c> the valid figures are of the
/// averaged weights and <paramref name="LiveValidLoss"/> is the valid loss of the optimizer's own (live) weights.
/// </summary>
public sealed record EvalRecord(
    int Step, int Epoch, double LearningRate, double TrainLoss, double TrainAccuracy,
    double ValidLoss, double ValidAccuracy, double ValidPerplexity, double TokensPerSecond, double ElapsedSeconds,
    double? LiveValidLoss = null);

/// <summary>Everything besides tensors that a checkpoint stores (JSON).</summary>
public sealed class CheckpointMeta
{
    /// <summary>Format version (1).</summary>
    public int FormatVersion { get; set; } = 1;
    /// <summary>The model to rebuild.</summary>
    public ModelSpec Model { get; set; } = new();
    /// <summary>The full training config of the run.</summary>
    public TrainConfig? Config { get; set; }
    /// <summary>Tokenizer JSON configuration (null for synthetic data).</summary>
    public string? Tokenizer { get; set; }
    /// <summary>Data description.</summary>
    public string? Data { get; set; }
    /// <summary>Optimizer steps done.</summary>
    public int Step { get; set; }
    /// <summary>Current epoch (0-based).</summary>
    public int Epoch { get; set; }
    /// <summary>Windows of the current epoch already used.</summary>
    public int EpochPosition { get; set; }
    /// <summary>Best valid loss so far.</summary>
    public double BestValidLoss { get; set; } = double.PositiveInfinity;
    /// <summary>Step of the best valid loss.</summary>
    public int BestStep { get; set; }
    /// <summary>Evaluations since the best one.</summary>
    public int EvalsWithoutImprovement { get; set; }
    /// <summary>Training loss sum since the last evaluation.</summary>
    public double RunningLoss { get; set; }
    /// <summary>Correct training predictions since the last evaluation.</summary>
    public double RunningCorrect { get; set; }
    /// <summary>Training targets since the last evaluation.</summary>
    public double RunningTargets { get; set; }
    /// <summary>Training steps since the last evaluation.</summary>
    public int RunningSteps { get; set; }
    /// <summary>Wall seconds spent training before this checkpoint.</summary>
    public double ElapsedSeconds { get; set; }
    /// <summary>torch's default generator state (dropout), base64.</summary>
    public string? RngState { get; set; }
    /// <summary>Evaluations so far.</summary>
    public List<EvalRecord> History { get; set; } = [];
    /// <summary>Whether the run finished (max steps, time budget or early stop).</summary>
    public bool Finished { get; set; }
    /// <summary>Why it finished.</summary>
    public string? StopReason { get; set; }
    /// <summary>Factor the logits were multiplied by after training (<c>musicgen-train scale-logits</c>); 1: none.</summary>
    public double LogitScale { get; set; } = 1;
    /// <summary>The checkpoints whose weights were averaged into this one (<c>musicgen-train average-weights</c>); null: none.</summary>
    public List<string>? AveragedFrom { get; set; }
}

/// <summary>
/// Checkpoint file: <c>MGCKPT01</c>, int32 length + UTF-8 JSON <see cref="CheckpointMeta"/>, int32 tensor count, then
/// per tensor: name (length-prefixed UTF-8), int32 rank, int64 dims, float32 little-endian data. Tensor names:
/// <c>model/&lt;state_dict name&gt;</c>, <c>adam.m/&lt;name&gt;</c>, <c>adam.v/&lt;name&gt;</c>, and with
/// <c>training.emaDecay</c> the averaged weights <c>ema/&lt;name&gt;</c> (<see cref="WeightAverage"/>).
/// </summary>
public static class Checkpoint
{
    private static readonly byte[] Magic = "MGCKPT01"u8.ToArray();

    /// <summary>Name prefix of the averaged (EMA) weights in a checkpoint.</summary>
    public const string EmaPrefix = "ema/";

    /// <summary>Writes a checkpoint atomically (temp file + rename).</summary>
    public static void Save(string path, CheckpointMeta meta, TrainableMusicModel model, AdamW? optimizer, WeightAverage? average = null)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        var tmp = path + ".tmp";
        using (var fs = File.Create(tmp))
        using (var w = new BinaryWriter(fs, Encoding.UTF8))
        {
            w.Write(Magic);
            var json = JsonSerializer.SerializeToUtf8Bytes(meta, TrainConfig.Json);
            w.Write(json.Length);
            w.Write(json);
            var tensors = new List<(string, Tensor)>();
            tensors.AddRange(model.state_dict().Select(kv => ("model/" + kv.Key, kv.Value)));
            if (optimizer is not null)
                foreach (var (name, m, v) in optimizer.State)
                {
                    tensors.Add(("adam.m/" + name, m));
                    tensors.Add(("adam.v/" + name, v));
                }
            if (average is not null) tensors.AddRange(average.State.Select(s => (EmaPrefix + s.Name, s.Shadow)));
            w.Write(tensors.Count);
            foreach (var (name, t) in tensors) WriteTensor(w, name, t);
        }
        File.Move(tmp, path, overwrite: true);
    }

    private static void WriteTensor(BinaryWriter w, string name, Tensor t)
    {
        using var c = t.detach().cpu().to_type(ScalarType.Float32).contiguous();
        w.Write(name);
        w.Write((int)c.dim());
        foreach (var d in c.shape) w.Write(d);
        var data = c.data<float>().ToArray();
        var bytes = new byte[data.Length * 4];
        Buffer.BlockCopy(data, 0, bytes, 0, bytes.Length);
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("big-endian hosts are not supported");
        w.Write(bytes);
    }

    /// <summary>Reads a checkpoint's metadata and tensors.</summary>
    public static (CheckpointMeta Meta, Dictionary<string, (float[] Data, long[] Shape)> Tensors) Read(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"checkpoint {path} does not exist", path);
        using var fs = File.OpenRead(path);
        using var r = new BinaryReader(fs, Encoding.UTF8);
        try
        {
            var magic = r.ReadBytes(Magic.Length);
            if (!magic.AsSpan().SequenceEqual(Magic)) throw new InvalidDataException($"{path} is not a musicgen-train checkpoint (bad magic)");
            var meta = JsonSerializer.Deserialize<CheckpointMeta>(r.ReadBytes(r.ReadInt32()), TrainConfig.Json)
                ?? throw new InvalidDataException($"{path}: empty metadata");
            var n = r.ReadInt32();
            var tensors = new Dictionary<string, (float[], long[])>(StringComparer.Ordinal);
            for (var i = 0; i < n; i++)
            {
                var name = r.ReadString();
                var rank = r.ReadInt32();
                if (rank is < 0 or > 8) throw new InvalidDataException($"{path}: tensor {name} has rank {rank}");
                var shape = new long[rank];
                for (var j = 0; j < rank; j++) shape[j] = r.ReadInt64();
                var count = shape.Aggregate(1L, (a, b) => a * b);
                var bytes = r.ReadBytes(checked((int)(count * 4)));
                if (bytes.Length != count * 4) throw new InvalidDataException($"{path}: tensor {name} is truncated");
                var data = new float[count];
                Buffer.BlockCopy(bytes, 0, data, 0, bytes.Length);
                tensors[name] = (data, shape);
            }
            return (meta, tensors);
        }
        catch (EndOfStreamException e)
        {
            throw new InvalidDataException($"{path} is truncated", e);
        }
    }

    /// <summary>
    /// Copies the <c>model/</c> tensors into <paramref name="model"/>; every weight must be present with its shape.
    /// With <paramref name="vocabulary"/> (From &lt; To) a weight whose first dimension is From in the source and To in
    /// the model (embedding and output rows), the rest equal, fills its first From rows and keeps the others.
    /// </summary>
    public static void LoadWeights(TrainableMusicModel model, Dictionary<string, (float[] Data, long[] Shape)> tensors, string source,
        (int From, int To)? vocabulary = null, int? growLayersFrom = null)
    {
        using var _ = no_grad();
        foreach (var (name, target) in model.state_dict())
        {
            if (growLayersFrom is int first && LayerIndex(name) is int layer && layer >= first)
            {
                // An added layer: fresh weights, output projections zero so the layer starts as an identity.
                if (name.EndsWith(".wo.weight", StringComparison.Ordinal) || name.EndsWith(".w2.weight", StringComparison.Ordinal))
                    target.zero_();
                continue;
            }
            if (!tensors.TryGetValue("model/" + name, out var t)) throw new InvalidDataException($"{source} has no weight {name}");
            using var src = tensor(t.Data, t.Shape);
            if (t.Shape.SequenceEqual(target.shape))
                target.copy_(src);
            else if (vocabulary is { } v && t.Shape.Length == target.shape.Length && t.Shape.Length > 0
                     && t.Shape[0] == v.From && target.shape[0] == v.To && t.Shape.AsSpan(1).SequenceEqual(target.shape.AsSpan(1)))
                target.narrow(0, 0, v.From).copy_(src);
            else
                throw new InvalidDataException($"{source}: weight {name} is [{string.Join(",", t.Shape)}], model wants [{string.Join(",", target.shape)}]");
        }
    }

    /// <summary>The layer index of a transformer weight name (<c>layers.N.*</c>), or null.</summary>
    internal static int? LayerIndex(string name)
    {
        if (!name.StartsWith("layers.", StringComparison.Ordinal)) return null;
        int dot = name.IndexOf('.', "layers.".Length);
        return dot > 0 && int.TryParse(name.AsSpan("layers.".Length, dot - "layers.".Length), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int i) ? i : null;
    }

    /// <summary>
    /// The weights a checkpoint's evaluations were of: its <c>model/</c> tensors, each replaced by its <c>ema/</c>
    /// average when the run kept one. Export and <c>initFrom</c> read these; resume reads both.
    /// </summary>
    public static Dictionary<string, (float[] Data, long[] Shape)> EvaluatedWeights(Dictionary<string, (float[] Data, long[] Shape)> tensors)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        var result = new Dictionary<string, (float[] Data, long[] Shape)>(StringComparer.Ordinal);
        foreach (var (name, t) in tensors)
            if (name.StartsWith("model/", StringComparison.Ordinal))
                result[name] = tensors.TryGetValue(EmaPrefix + name["model/".Length..], out var avg) ? avg : t;
        return result;
    }

    /// <summary>Whether a checkpoint's tensors include EMA weights.</summary>
    public static bool HasAverage(Dictionary<string, (float[] Data, long[] Shape)> tensors) =>
        tensors.Keys.Any(k => k.StartsWith(EmaPrefix, StringComparison.Ordinal));

    /// <summary>Rebuilds the model stored in a checkpoint (eval mode) with its <see cref="EvaluatedWeights"/>. Used by the exporter.</summary>
    public static (TrainableMusicModel Model, CheckpointMeta Meta) LoadModel(string path)
    {
        var (meta, tensors) = Read(path);
        var model = meta.Model.Build();
        LoadWeights(model, EvaluatedWeights(tensors), path);
        model.eval();
        return (model, meta);
    }
}
