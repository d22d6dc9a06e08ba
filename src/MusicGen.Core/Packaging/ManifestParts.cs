namespace MusicGen.Core.Packaging;

/// <summary>Architecture names used in <see cref="ModelManifest.Architecture"/>.</summary>
public static class ModelArchitectures
{
    /// <summary>Decoder-only Llama-style transformer.</summary>
    public const string Transformer = "transformer";
    /// <summary>Stacked LSTM.</summary>
    public const string Lstm = "lstm";
}

/// <summary>Graph variant names used in <see cref="GraphEntry.Variant"/>.</summary>
public static class GraphVariants
{
    /// <summary>Standard ONNX ops, concatenating KV cache (<c>model.onnx</c>).</summary>
    public const string Portable = "portable";
    /// <summary>com.microsoft GroupQueryAttention on a shared KV buffer, fp32 (<c>model.fast.onnx</c>).</summary>
    public const string Fast = "fast";
    /// <summary>As <see cref="Fast"/> in fp16, for CUDA (<c>model.fast.fp16.onnx</c>).</summary>
    public const string FastFp16 = "fast-fp16";
    /// <summary>
    /// As <see cref="Fast"/> with the linear layers' weights in int8 (com.microsoft MatMulNBits, blocks of 32, int8
    /// compute), for the CPU (<c>model.fast.int8.onnx</c>): 2.1-2.4x the fp32 graph at batch 1 on the d-256 bench
    /// shape, 1.1-1.2x on the small bundled pop model; logits within a few tenths of fp32.
    /// </summary>
    public const string FastInt8 = "fast-int8";
    /// <summary>LSTM graph (<c>model.onnx</c>).</summary>
    public const string Lstm = "lstm";
    /// <summary>Every variant name.</summary>
    public static IReadOnlyList<string> All { get; } = [Portable, Fast, FastFp16, FastInt8, Lstm];
}

/// <summary>Values of <see cref="GraphEntry.Logits"/>.</summary>
public static class LogitsMode
{
    /// <summary>Logits for every input position: <c>[batch, seq, vocab]</c>.</summary>
    public const string All = "all";
    /// <summary>Logits for the last real position of each row only: <c>[batch, 1, vocab]</c>.</summary>
    public const string Last = "last";
}

/// <summary>Network hyper-parameters; transformer and LSTM fields are used by their architecture only (others 0).</summary>
public sealed class ModelHyperParameters
{
    /// <summary>Vocabulary size V.</summary>
    public int VocabSize { get; set; }
    /// <summary>Transformer width d.</summary>
    public int DModel { get; set; }
    /// <summary>Transformer layers.</summary>
    public int Layers { get; set; }
    /// <summary>Query heads H.</summary>
    public int Heads { get; set; }
    /// <summary>Key/value heads (H is a multiple of it).</summary>
    public int KvHeads { get; set; }
    /// <summary>Size of one head hd.</summary>
    public int HeadSize { get; set; }
    /// <summary>Hidden size F of the SwiGLU feed-forward.</summary>
    public int FfnHidden { get; set; }
    /// <summary>Rotary theta (10000).</summary>
    public double RopeTheta { get; set; }
    /// <summary>RMSNorm epsilon (1e-5).</summary>
    public double NormEpsilon { get; set; }
    /// <summary>Context length the network was trained with (the manifest's own contextLength may be larger: graphs can be exported for longer sequences).</summary>
    public int ContextLength { get; set; }
    /// <summary>LSTM embedding size E.</summary>
    public int EmbeddingSize { get; set; }
    /// <summary>Stacked LSTM layers L.</summary>
    public int LstmLayers { get; set; }
    /// <summary>LSTM hidden units U.</summary>
    public int LstmUnits { get; set; }
    /// <summary>Dense layer width D after the LSTM.</summary>
    public int DenseUnits { get; set; }
}

/// <summary>Ids of the special tokens.</summary>
public sealed class SpecialTokenIds
{
    /// <summary>Padding.</summary>
    public int Pad { get; set; }
    /// <summary>Beginning of sequence.</summary>
    public int Bos { get; set; }
    /// <summary>End of sequence.</summary>
    public int Eos { get; set; }
}

/// <summary>One ONNX graph of a package.</summary>
public sealed class GraphEntry
{
    /// <summary>One of <see cref="GraphVariants"/>.</summary>
    public string Variant { get; set; } = "";
    /// <summary>File name inside the package folder.</summary>
    public string File { get; set; } = "";
    /// <summary>Lower-case hex sha256 of the file.</summary>
    public string Sha256 { get; set; } = "";
    /// <summary>
    /// <c>fp32</c>, <c>fp16</c> (weights and KV cache) or <c>int8</c> (linear-layer weights; KV cache fp32); logits are
    /// always fp32.
    /// </summary>
    public string Precision { get; set; } = "fp32";
    /// <summary>Graph inputs, in order.</summary>
    public List<TensorSpec> Inputs { get; set; } = [];
    /// <summary>Graph outputs, in order.</summary>
    public List<TensorSpec> Outputs { get; set; } = [];
    /// <summary><see cref="LogitsMode.All"/> or <see cref="LogitsMode.Last"/>.</summary>
    public string Logits { get; set; } = LogitsMode.All;
    /// <summary>KV-cache layout (transformer graphs), or null (LSTM).</summary>
    public KvCacheLayout? KvLayout { get; set; }
    /// <summary>Execution providers the graph is meant for, e.g. ["cpu"] or ["cuda"].</summary>
    public List<string> Providers { get; set; } = [];
}

/// <summary>
/// The package weights file (<c>model.weights</c>): the fp32 initializers the package's graphs share, each stored once,
/// which the graphs reference as ONNX external data (location, offset, length). The fp16 graph stays self-contained.
/// </summary>
public sealed class WeightsFileEntry
{
    /// <summary>File name inside the package folder (the location the graphs' external data names).</summary>
    public string File { get; set; } = "";
    /// <summary>Lower-case hex sha256 of the file.</summary>
    public string Sha256 { get; set; } = "";
    /// <summary>Size of the file in bytes (a truncated copy is refused before its hash is computed).</summary>
    public long Size { get; set; }
}

/// <summary>Name, element type and shape of a graph input or output.</summary>
public sealed class TensorSpec
{
    /// <summary>Tensor name.</summary>
    public string Name { get; set; } = "";
    /// <summary>Element type: float32, float16, int64 or int32.</summary>
    public string ElementType { get; set; } = "";
    /// <summary>Dimensions: a number or a symbolic name (batch, seq, past, total, max_len, ...).</summary>
    public List<string> Shape { get; set; } = [];

    /// <inheritdoc/>
    public override string ToString() => $"{Name} {ElementType}[{string.Join(", ", Shape)}]";
}

/// <summary>How a transformer graph's KV cache is named and laid out.</summary>
public sealed class KvCacheLayout
{
    /// <summary>Number of layers (one key and one value tensor each).</summary>
    public int Layers { get; set; }
    /// <summary>Key/value heads.</summary>
    public int KvHeads { get; set; }
    /// <summary>Head size.</summary>
    public int HeadSize { get; set; }
    /// <summary>Dimension order of every cache tensor, "batch,kv_heads,seq,head_size".</summary>
    public string Dims { get; set; } = "batch,kv_heads,seq,head_size";
    /// <summary>Element type of the cache: float32 or float16.</summary>
    public string ElementType { get; set; } = "float32";
    /// <summary>Input name pattern of a layer's past key; <c>{i}</c> is the layer index.</summary>
    public string PastKey { get; set; } = "past_key_values.{i}.key";
    /// <summary>Input name pattern of a layer's past value.</summary>
    public string PastValue { get; set; } = "past_key_values.{i}.value";
    /// <summary>Output name pattern of a layer's present key.</summary>
    public string PresentKey { get; set; } = "present.{i}.key";
    /// <summary>Output name pattern of a layer's present value.</summary>
    public string PresentValue { get; set; } = "present.{i}.value";
    /// <summary>
    /// True: past and present are one buffer of <see cref="MaxLength"/> positions bound as both input and output
    /// and written in place (fast graph). False: present = concat(past, new) along seq (portable graph).
    /// </summary>
    public bool SharedBuffer { get; set; }
    /// <summary>Length of the shared buffer (the context length); 0 when not shared.</summary>
    public int MaxLength { get; set; }
    /// <summary>
    /// How rows of a ragged batch are aligned: "any" (portable: attention_mask marks the real slots, position_ids
    /// given by the caller) or "left-aligned" (fast: each row's tokens start at slot 0, seqlens_k says how many).
    /// </summary>
    public string Padding { get; set; } = "any";

    /// <summary>The name of layer <paramref name="layer"/> from a pattern.</summary>
    public static string Format(string pattern, int layer) => pattern.Replace("{i}", layer.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal);
}

/// <summary>How a model was trained.</summary>
public sealed class TrainingSummary
{
    /// <summary>Training data (corpus path or name, documents, tokens).</summary>
    public string Data { get; set; } = "";
    /// <summary>The command line that trained it.</summary>
    public string Command { get; set; } = "";
    /// <summary>Optimizer steps.</summary>
    public long Steps { get; set; }
    /// <summary>Validation loss (mean cross-entropy, nats per token).</summary>
    public double? ValidLoss { get; set; }
    /// <summary>Validation next-token accuracy.</summary>
    public double? ValidAccuracy { get; set; }
    /// <summary>Training wall time in seconds.</summary>
    public double WallTimeSeconds { get; set; }
    /// <summary>The checkpoint the package was exported from (what <c>musicgen-train verify</c> compares against), or null.</summary>
    public string? Checkpoint { get; set; }
}
