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
    /// The weights file the graphs share (ONNX external data), or null when every graph is self-contained (packages
    /// written before the weights file existed, LSTM packages). Checked like a graph file by <see cref="VerifyFiles"/>.
    /// </summary>
    public WeightsFileEntry? Weights { get; set; }

    /// <summary>
    /// Time signatures rewritten in the training data before tokenizing (e.g. <c>{"1/4": "4/4"}</c>), or null. The
    /// engine rewrites primers and the evaluation rewrites MIDI data the same way (<see cref="Music.MeterRewrite"/>).
    /// </summary>
    public Dictionary<string, string>? MeterMap { get; set; }

    /// <summary>
    /// Programs given to named tracks in the training data before tokenizing (e.g. <c>{"MELODY": 1}</c>), or null.
    /// Primers and evaluation data are mapped the same way (<see cref="Music.TrackProgramMap"/>).
    /// </summary>
    public Dictionary<string, int>? TrackPrograms { get; set; }

    /// <summary>
    /// Set when the training pieces were moved to C major / A minor (<see cref="Corpus.KeyNormalization"/>): how many
    /// training pieces were in each key signature before, indexed by the relative major's tonic (0 = C, 1 = C#/Db, ..,
    /// 11 = B). The engine moves primers and evaluation data to C major / A minor the same way and moves generated
    /// pieces to the key asked for, the primer's, or else one drawn with these weights from the request's seed. Null:
    /// pieces kept their keys.
    /// </summary>
    public int[]? NormalizedKeys { get; set; }

    /// <summary>
    /// The model's own sampling defaults by generation option name (<c>temperature</c>, <c>topK</c>, <c>topP</c>,
    /// <c>minP</c>, <c>repetitionPenalty</c>, <c>repetitionWindow</c>, <c>noRepeatNgram</c>, <c>scaleBias</c>), or null: what a request
    /// that leaves the option unset gets, chosen by measurement (docs/models/). The inference library checks the
    /// names and limits when it loads the package.
    /// </summary>
    public Dictionary<string, double>? Sampling { get; set; }

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

    /// <summary>
    /// Checks that every graph file and the weights file (when the manifest names one) exist in the folder and have the
    /// sha256 the manifest records; the weights file must also have the recorded size.
    /// </summary>
    /// <exception cref="ModelPackageException">A file is missing, truncated or its hash differs; the message names the file.</exception>
    public void VerifyFiles(string packageDirectory)
    {
        CheckFilesExist(packageDirectory);
        foreach (var g in Graphs) CheckHash(packageDirectory, g.File, g.Sha256);
        if (Weights is { } w) CheckHash(packageDirectory, w.File, w.Sha256);
    }

    /// <summary>
    /// The cheap part of <see cref="VerifyFiles"/>: every graph file exists, and the weights file (when named) exists
    /// with the recorded size. Hashes are not computed.
    /// </summary>
    /// <exception cref="ModelPackageException">A file is missing or the weights file has another size; the message names the file.</exception>
    public void CheckFilesExist(string packageDirectory)
    {
        foreach (var g in Graphs)
            if (!File.Exists(Path.Combine(packageDirectory, g.File)))
                throw new ModelPackageException($"Model package '{packageDirectory}': graph '{g.Variant}' file '{g.File}' is missing.");
        if (Weights is not { } w) return;
        var path = Path.Combine(packageDirectory, w.File);
        if (!File.Exists(path))
            throw new ModelPackageException($"Model package '{packageDirectory}': weights file '{w.File}' is missing (the graphs read their shared fp32 weights from it).");
        var size = new FileInfo(path).Length;
        if (size != w.Size)
            throw new ModelPackageException(
                $"Model package '{packageDirectory}': weights file '{w.File}' is {size} bytes, the manifest records {w.Size} (truncated or replaced).");
    }

    private static void CheckHash(string packageDirectory, string file, string expected)
    {
        var actual = ComputeSha256(Path.Combine(packageDirectory, file));
        if (!string.Equals(actual, expected, StringComparison.OrdinalIgnoreCase))
            throw new ModelPackageException($"Model package '{packageDirectory}': sha256 mismatch for '{file}': manifest {expected}, file {actual}.");
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
        if (NormalizedKeys is { } keys && (keys.Length != 12 || keys.Any(k => k < 0) || keys.All(k => k == 0)))
            Fail($"normalizedKeys must be 12 non-negative piece counts (relative major C..B), not all 0; got [{string.Join(", ", keys)}].");
        try
        {
            _ = Music.MeterRewrite.Parse(MeterMap);
        }
        catch (ArgumentException e)
        {
            Fail($"meterMap: {e.Message}");
        }
        try
        {
            _ = Music.TrackProgramMap.Parse(TrackPrograms);
        }
        catch (ArgumentException e)
        {
            Fail($"trackPrograms: {e.Message}");
        }
        foreach (var (k, v) in Sampling ?? [])
            if (string.IsNullOrWhiteSpace(k) || !double.IsFinite(v)) Fail($"sampling.{k} must be a finite number (got {v}).");
        if (Weights is { } w)
        {
            if (!IsPlainFileName(w.File)) Fail($"weights.file '{w.File}' must be a plain file name inside the package folder.");
            if (Graphs!.Any(g => g is not null && string.Equals(g.File, w.File, StringComparison.Ordinal))) Fail($"weights.file '{w.File}' is also a graph's file.");
            if (w.Sha256 is null || w.Sha256.Length != 64 || !w.Sha256.All(Uri.IsHexDigit)) Fail("weights.sha256 must be 64 hex digits.");
            if (w.Size <= 0) Fail($"weights.size must be positive (got {w.Size}).");
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
            if (!IsPlainFileName(g.File))
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

    /// <summary>
    /// True when <paramref name="file"/> names a file inside a package folder: not empty, not rooted, no folder
    /// separators and no "..". Graph files, the weights file and the external data the graphs name must all be so.
    /// </summary>
    public static bool IsPlainFileName(string? file) =>
        !string.IsNullOrWhiteSpace(file) && !Path.IsPathRooted(file) && !file.Contains("..", StringComparison.Ordinal)
        && !file.Contains('/') && !file.Contains('\\');
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
