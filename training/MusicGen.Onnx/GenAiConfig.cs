using System.Text;
using System.Text.Json;
using MusicGen.Core.Packaging;

namespace MusicGen.Onnx;

/// <summary>
/// The <c>genai_config.json</c> that lets ONNX Runtime GenAI (<c>Microsoft.ML.OnnxRuntimeGenAI</c>) load a transformer
/// package's portable graph as a decoder-only model of its "llama" kind: standard inputs (<c>input_ids</c>,
/// <c>attention_mask</c>, <c>position_ids</c>), a KV cache that grows by concatenation
/// (<c>past_key_values.N.key/value</c> in, <c>present.N.key/value</c> out, not shared) and the special tokens.
/// Sampling defaults are plain (temperature 1, no top-k/top-p) and the length limit is the model's context.
/// </summary>
public static class GenAiConfig
{
    /// <summary>File name GenAI looks for in the model folder.</summary>
    public const string FileName = "genai_config.json";

    /// <summary>True when <paramref name="manifest"/> describes a package GenAI can load (a transformer with a portable graph).</summary>
    public static bool Applies(ModelManifest manifest)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        return manifest.Architecture == ModelArchitectures.Transformer && manifest.FindGraph(GraphVariants.Portable) is not null;
    }

    /// <summary>The configuration as indented JSON.</summary>
    /// <exception cref="ArgumentException">The package is not a transformer with a portable graph, or the graph's inputs or outputs are not the ones GenAI is told about.</exception>
    public static string Build(ModelManifest manifest)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        if (manifest.Architecture != ModelArchitectures.Transformer)
            throw new ArgumentException($"genai_config.json describes transformer packages; '{manifest.Name}' is '{manifest.Architecture}'.", nameof(manifest));
        var graph = manifest.FindGraph(GraphVariants.Portable)
            ?? throw new ArgumentException($"'{manifest.Name}' has no portable graph for GenAI to load.", nameof(manifest));
        var h = manifest.HyperParameters;
        RequireNames(manifest.Name, "input", graph.Inputs.Select(i => i.Name), ["input_ids", "attention_mask", "position_ids", .. Kv("past_key_values", h.Layers)]);
        RequireNames(manifest.Name, "output", graph.Outputs.Select(o => o.Name), ["logits", .. Kv("present", h.Layers)]);

        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteStartObject("model");
            w.WriteNumber("bos_token_id", manifest.SpecialTokens.Bos);
            w.WriteNumber("eos_token_id", manifest.SpecialTokens.Eos);
            w.WriteNumber("pad_token_id", manifest.SpecialTokens.Pad);
            w.WriteNumber("context_length", manifest.ContextLength);
            w.WriteNumber("vocab_size", h.VocabSize);
            w.WriteString("type", "llama");
            w.WriteStartObject("decoder");
            w.WriteString("filename", graph.File);
            w.WriteNumber("head_size", h.HeadSize);
            w.WriteNumber("hidden_size", h.DModel);
            w.WriteNumber("num_attention_heads", h.Heads);
            w.WriteNumber("num_key_value_heads", h.KvHeads);
            w.WriteNumber("num_hidden_layers", h.Layers);
            w.WriteStartObject("session_options");
            w.WriteString("log_id", "onnxruntime-genai");
            w.WriteStartArray("provider_options");
            w.WriteEndArray();
            w.WriteEndObject();
            w.WriteStartObject("inputs");
            w.WriteString("input_ids", "input_ids");
            w.WriteString("attention_mask", "attention_mask");
            w.WriteString("position_ids", "position_ids");
            w.WriteString("past_key_names", "past_key_values.%d.key");
            w.WriteString("past_value_names", "past_key_values.%d.value");
            w.WriteEndObject();
            w.WriteStartObject("outputs");
            w.WriteString("logits", "logits");
            w.WriteString("present_key_names", "present.%d.key");
            w.WriteString("present_value_names", "present.%d.value");
            w.WriteEndObject();
            w.WriteEndObject(); // decoder
            w.WriteEndObject(); // model
            w.WriteStartObject("search");
            w.WriteNumber("max_length", manifest.ContextLength);
            w.WriteNumber("min_length", 0);
            w.WriteBoolean("do_sample", true);
            w.WriteNumber("top_k", 0);
            w.WriteNumber("top_p", 1.0);
            w.WriteNumber("temperature", 1.0);
            w.WriteNumber("num_beams", 1);
            w.WriteNumber("num_return_sequences", 1);
            w.WriteNumber("repetition_penalty", 1.0);
            w.WriteBoolean("past_present_share_buffer", false);
            w.WriteEndObject();
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(stream.ToArray()) + "\n";
    }

    /// <summary>Writes <see cref="FileName"/> into <paramref name="packageDirectory"/>; returns its path.</summary>
    public static string Write(string packageDirectory, ModelManifest manifest)
    {
        ArgumentException.ThrowIfNullOrEmpty(packageDirectory);
        var path = Path.Combine(packageDirectory, FileName);
        File.WriteAllText(path, Build(manifest));
        return path;
    }

    private static IEnumerable<string> Kv(string prefix, int layers) =>
        Enumerable.Range(0, layers).SelectMany(l => new[] { $"{prefix}.{l}.key", $"{prefix}.{l}.value" });

    private static void RequireNames(string package, string kind, IEnumerable<string> actual, IEnumerable<string> expected)
    {
        var have = actual.ToHashSet(StringComparer.Ordinal);
        var missing = expected.Where(n => !have.Contains(n)).ToList();
        if (missing.Count > 0)
            throw new ArgumentException($"'{package}': the portable graph lacks the {kind}(s) GenAI expects: {string.Join(", ", missing)}.");
    }
}
