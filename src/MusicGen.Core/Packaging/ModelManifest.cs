using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace MusicGen.Core.Packaging;

/// <summary>
/// The manifest of a model package (<c>musicgen.json</c> beside the ONNX files in <c>onnx/&lt;name&gt;/</c>).
/// The service and the library load only this and the files it names. See <c>docs/model-package.md</c>.
/// </summary>
public sealed class ModelManifest
{
    /// <summary>File name of the manifest inside a package folder.</summary>
    public const string FileName = "musicgen.json";

    /// <summary>The manifest format this code reads and writes.</summary>
    public const int CurrentFormatVersion = 1;

    /// <summary>Manifest format version (1).</summary>
    public int FormatVersion { get; set; } = CurrentFormatVersion;

    /// <summary>Model name (usually the package folder's name).</summary>
    public string Name { get; set; } = "";

    /// <summary>Model version, free text (e.g. "1.0.0" or a date).</summary>
    public string Version { get; set; } = "1";

    /// <summary><see cref="ModelArchitectures.Transformer"/> or <see cref="ModelArchitectures.Lstm"/>.</summary>
    public string Architecture { get; set; } = "";

    /// <summary>Hyper-parameters of the network.</summary>
    public ModelHyperParameters HyperParameters { get; set; } = new();

    /// <summary>The tokenizer's JSON configuration (an object; <c>TokenizerJson.FromJson(TokenizerJson)</c> rebuilds it).</summary>
    public JsonElement Tokenizer { get; set; }

    /// <summary>Special token ids.</summary>
    public SpecialTokenIds SpecialTokens { get; set; } = new();

    /// <summary>Longest sequence (prompt + generated tokens) the model was built for.</summary>
    public int ContextLength { get; set; }

    /// <summary>The ONNX graphs of the package.</summary>
    public List<GraphEntry> Graphs { get; set; } = [];

    /// <summary>
    /// Time signatures rewritten in the training data before tokenizing (e.g. <c>{"1/4": "4/4"}</c>), or null. The
    /// engine rewrites primers and the evaluation rewrites MIDI data the same way (<see cref="Music.MeterRewrite"/>).
    /// </summary>
    public Dictionary<string, string>? MeterMap { get; set; }

    /// <summary>How the model was trained, or null when unknown.</summary>
    public TrainingSummary? Training { get; set; }

    /// <summary>When the package was written (UTC).</summary>
    public DateTimeOffset CreatedUtc { get; set; }

    /// <summary>The tokenizer configuration as compact JSON text (what <c>TokenizerJson.FromJson</c> takes).</summary>
    [JsonIgnore]
    public string TokenizerJson => Tokenizer.ValueKind == JsonValueKind.Undefined ? "" : JsonSerializer.Serialize(Tokenizer);

    /// <summary>The graph of a variant, or null when the package has none.</summary>
    public GraphEntry? FindGraph(string variant) =>
        Graphs.FirstOrDefault(g => string.Equals(g.Variant, variant, StringComparison.Ordinal));

    /// <summary>Serializes to indented JSON (camelCase).</summary>
    public string ToJson() => JsonSerializer.Serialize(this, ManifestJson.Options);

    /// <summary>Parses a manifest and validates it (<see cref="Validate"/>).</summary>
    /// <exception cref="ModelPackageException">The JSON is malformed or the manifest is invalid.</exception>
    public static ModelManifest FromJson(string json, string source = "musicgen.json")
    {
        ArgumentNullException.ThrowIfNull(json);
        ModelManifest? m;
        try
        {
            m = JsonSerializer.Deserialize<ModelManifest>(json, ManifestJson.Options);
        }
        catch (JsonException e)
        {
            throw new ModelPackageException($"{source}: malformed manifest JSON at {e.Path ?? "?"} (line {e.LineNumber + 1}): {e.Message}", e);
        }
        if (m is null) throw new ModelPackageException($"{source}: the manifest is empty (null).");
        m.Validate(source);
        return m;
    }

    /// <summary>Reads <c>musicgen.json</c> from a package folder and validates it (does not check file hashes; see <see cref="VerifyFiles"/>).</summary>
    /// <exception cref="ModelPackageException">The folder or manifest is missing or invalid.</exception>
    public static ModelManifest Load(string packageDirectory)
    {
        ArgumentException.ThrowIfNullOrEmpty(packageDirectory);
        if (!Directory.Exists(packageDirectory))
            throw new ModelPackageException($"Model package folder '{packageDirectory}' does not exist.");
        var path = Path.Combine(packageDirectory, FileName);
        if (!File.Exists(path))
            throw new ModelPackageException($"Model package '{packageDirectory}' has no {FileName}.");
        return FromJson(File.ReadAllText(path), path);
    }

    /// <summary>Writes <c>musicgen.json</c> into a folder (which must exist).</summary>
    public void Save(string packageDirectory)
    {
        Validate();
        File.WriteAllText(Path.Combine(packageDirectory, FileName), ToJson());
    }

    /// <summary>Checks that every graph file exists in the folder and has the sha256 the manifest records.</summary>
    /// <exception cref="ModelPackageException">A file is missing or its hash differs.</exception>
    public void VerifyFiles(string packageDirectory)
    {
        foreach (var g in Graphs)
        {
            var path = Path.Combine(packageDirectory, g.File);
            if (!File.Exists(path))
                throw new ModelPackageException($"Model package '{packageDirectory}': graph '{g.Variant}' file '{g.File}' is missing.");
            var actual = ComputeSha256(path);
            if (!string.Equals(actual, g.Sha256, StringComparison.OrdinalIgnoreCase))
                throw new ModelPackageException(
                    $"Model package '{packageDirectory}': sha256 mismatch for '{g.File}': manifest {g.Sha256}, file {actual}.");
        }
    }

    /// <summary>Lower-case hex sha256 of a file.</summary>
    public static string ComputeSha256(string path)
    {
        using var s = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(s));
    }

    /// <summary>Validates the manifest's own consistency (no file access).</summary>
    /// <exception cref="ModelPackageException">Says which field is wrong and why.</exception>
    public void Validate(string source = "musicgen.json")
    {
        void Fail(string what) => throw new ModelPackageException($"{source}: {what}");
        if (FormatVersion != CurrentFormatVersion) Fail($"formatVersion {FormatVersion} is not supported (expected {CurrentFormatVersion}).");
        if (string.IsNullOrWhiteSpace(Name)) Fail("name is missing.");
        if (Architecture is not (ModelArchitectures.Transformer or ModelArchitectures.Lstm))
            Fail($"architecture '{Architecture}' is unknown (expected '{ModelArchitectures.Transformer}' or '{ModelArchitectures.Lstm}').");
        if (HyperParameters is null) Fail("hyperParameters is missing.");
        var hp = HyperParameters!;
        if (hp.VocabSize <= 0) Fail("hyperParameters.vocabSize must be positive.");
        if (Architecture == ModelArchitectures.Transformer)
        {
            if (hp.DModel <= 0 || hp.Layers <= 0 || hp.Heads <= 0 || hp.KvHeads <= 0 || hp.HeadSize <= 0 || hp.FfnHidden <= 0)
                Fail("transformer hyperParameters need positive dModel, layers, heads, kvHeads, headSize and ffnHidden.");
            if (hp.Heads % hp.KvHeads != 0) Fail($"hyperParameters.heads ({hp.Heads}) must be a multiple of kvHeads ({hp.KvHeads}).");
        }
        else
        {
            if (hp.EmbeddingSize <= 0 || hp.LstmLayers <= 0 || hp.LstmUnits <= 0 || hp.DenseUnits <= 0)
                Fail("lstm hyperParameters need positive embeddingSize, lstmLayers, lstmUnits and denseUnits.");
        }
        if (ContextLength <= 0) Fail("contextLength must be positive.");
        if (Tokenizer.ValueKind != JsonValueKind.Object) Fail("tokenizer must be the tokenizer's JSON configuration object.");
        if (SpecialTokens is null) Fail("specialTokens is missing.");
        foreach (var (n, v) in new[] { ("pad", SpecialTokens!.Pad), ("bos", SpecialTokens.Bos), ("eos", SpecialTokens.Eos) })
            if (v < 0 || v >= hp.VocabSize) Fail($"specialTokens.{n} = {v} is outside the vocabulary [0, {hp.VocabSize}).");
        if (Graphs is null || Graphs.Count == 0) Fail("graphs is empty: a package needs at least one ONNX graph.");
        try
        {
            _ = Music.MeterRewrite.Parse(MeterMap);
        }
        catch (ArgumentException e)
        {
            Fail($"meterMap: {e.Message}");
        }
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < Graphs!.Count; i++)
        {
            var g = Graphs[i];
            var at = $"graphs[{i}]";
            if (g is null) Fail($"{at} is null.");
            if (!GraphVariants.All.Contains(g!.Variant)) Fail($"{at}.variant '{g.Variant}' is unknown (expected one of {string.Join(", ", GraphVariants.All)}).");
            if (!seen.Add(g.Variant)) Fail($"{at}.variant '{g.Variant}' appears twice.");
            if ((g.Variant == GraphVariants.Lstm) != (Architecture == ModelArchitectures.Lstm))
                Fail($"{at}.variant '{g.Variant}' does not fit architecture '{Architecture}'.");
            if (string.IsNullOrWhiteSpace(g.File) || Path.IsPathRooted(g.File) || g.File.Contains("..", StringComparison.Ordinal)
                || g.File.Contains('/') || g.File.Contains('\\'))
                Fail($"{at}.file '{g.File}' must be a plain file name inside the package folder.");
            if (g.Sha256 is null || g.Sha256.Length != 64 || !g.Sha256.All(Uri.IsHexDigit)) Fail($"{at}.sha256 must be 64 hex digits.");
            if (g.Precision is not ("fp32" or "fp16" or "int8")) Fail($"{at}.precision '{g.Precision}' must be fp32, fp16 or int8.");
            if (g.Logits is not (LogitsMode.All or LogitsMode.Last)) Fail($"{at}.logits '{g.Logits}' must be all or last.");
            if (g.Inputs is null || g.Inputs.Count == 0 || g.Outputs is null || g.Outputs.Count == 0) Fail($"{at} needs inputs and outputs.");
            if (!g.Inputs!.Any(t => t.Name == "input_ids")) Fail($"{at} has no input_ids input.");
            if (!g.Outputs!.Any(t => t.Name == "logits")) Fail($"{at} has no logits output.");
            if (Architecture == ModelArchitectures.Transformer)
            {
                if (g.KvLayout is null) Fail($"{at}.kvLayout is required for a transformer graph.");
                var kv = g.KvLayout!;
                if (kv.Layers != hp.Layers || kv.KvHeads != hp.KvHeads || kv.HeadSize != hp.HeadSize)
                    Fail($"{at}.kvLayout (layers {kv.Layers}, kvHeads {kv.KvHeads}, headSize {kv.HeadSize}) disagrees with hyperParameters.");
                if (kv.SharedBuffer && kv.MaxLength <= 0) Fail($"{at}.kvLayout.maxLength must be positive for a shared buffer.");
            }
        }
    }
}

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

/// <summary>A model package or its manifest is missing, malformed or inconsistent.</summary>
public sealed class ModelPackageException : Exception
{
    /// <summary>Creates the exception with a message saying what and where.</summary>
    public ModelPackageException(string message) : base(message) { }
    /// <summary>Creates the exception with a message and the underlying cause.</summary>
    public ModelPackageException(string message, Exception inner) : base(message, inner) { }
}

internal static class ManifestJson
{
    public static readonly JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        AllowTrailingCommas = true,
        ReadCommentHandling = JsonCommentHandling.Skip,
    };
}
