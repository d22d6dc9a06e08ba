using System.Globalization;
using MusicGen.Inference;

namespace MusicGen.Server.Api;

/// <summary>Body of <c>POST /v1/generate</c> and <c>POST /v1/generate/stream</c> (JSON, or the same fields as multipart form values with the primer as a file).</summary>
public sealed class GenerateRequest
{
    /// <summary>Model name (default: the service's default model).</summary>
    public string? Model { get; set; }

    /// <summary>A loaded version of the model to use instead of the active one (e.g. to compare versions).</summary>
    public string? Version { get; set; }

    /// <summary>New tokens to generate (default 256 when no bars or seconds are given).</summary>
    public int? Tokens { get; set; }

    /// <summary>Stop after this many bars of music.</summary>
    public int? Bars { get; set; }

    /// <summary>Stop after this many seconds of music.</summary>
    public double? Seconds { get; set; }

    /// <summary>Softmax temperature, &gt; 0 (default 1). Ignored when <see cref="Greedy"/>.</summary>
    public float? Temperature { get; set; }

    /// <summary>Keep only the K most likely tokens (0 = off).</summary>
    public int? TopK { get; set; }

    /// <summary>Nucleus sampling mass in (0, 1] (1 = off).</summary>
    public float? TopP { get; set; }

    /// <summary>Drop tokens below this fraction of the most likely one, in [0, 1) (0 = off).</summary>
    public float? MinP { get; set; }

    /// <summary>Repetition penalty &gt;= 1 (1 = off).</summary>
    public float? RepetitionPenalty { get; set; }

    /// <summary>Always take the most likely token.</summary>
    public bool? Greedy { get; set; }

    /// <summary>Random seed; the same seed, model and settings give the same music. Chosen at random when absent.</summary>
    public long? Seed { get; set; }

    /// <summary>
    /// Added to the logits of tokens, by token name (e.g. <c>"EOS"</c>, <c>"Pitch_60"</c>) or id; a bias of -1000 or
    /// less bans the token.
    /// </summary>
    public Dictionary<string, float>? TokenBias { get; set; }

    /// <summary>Primer MIDI file to continue, base64 encoded.</summary>
    public string? Primer { get; set; }
}

/// <summary>Field-by-field checks; errors are keyed by the JSON field name for ProblemDetails.</summary>
internal static class RequestValidation
{
    public const int DefaultTokens = 256;

    public static Dictionary<string, string[]> Validate(GenerateRequest r, ServerOptions options, out SamplingOptions? sampling, out long seed, out byte[]? primer)
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        void Add(string field, string message) => errors[field] = [message];

        if (r.Tokens is { } t && (t <= 0 || t > options.MaxTokens))
            Add("tokens", $"tokens must be between 1 and {options.MaxTokens.ToString(CultureInfo.InvariantCulture)}; got {t.ToString(CultureInfo.InvariantCulture)}");
        if (r.Bars is { } b && (b <= 0 || b > 10_000))
            Add("bars", $"bars must be between 1 and 10000; got {b.ToString(CultureInfo.InvariantCulture)}");
        if (r.Seconds is { } s && (!double.IsFinite(s) || s <= 0 || s > 3600))
            Add("seconds", $"seconds must be in (0, 3600]; got {s.ToString(CultureInfo.InvariantCulture)}");
        var greedy = r.Greedy ?? false;
        if (!greedy && r.Temperature is { } temp && (!float.IsFinite(temp) || temp <= 0 || temp > 100))
            Add("temperature", $"temperature must be > 0 (and at most 100) when sampling; got {temp.ToString(CultureInfo.InvariantCulture)} (use \"greedy\": true for argmax)");
        if (r.TopK is { } k && (k < 0 || k > 1_000_000))
            Add("topK", $"topK must be >= 0 (0 = off); got {k.ToString(CultureInfo.InvariantCulture)}");
        if (r.TopP is { } p && (!float.IsFinite(p) || p <= 0 || p > 1))
            Add("topP", $"topP must be in (0, 1]; got {p.ToString(CultureInfo.InvariantCulture)}");
        if (r.MinP is { } m && (!float.IsFinite(m) || m < 0 || m >= 1))
            Add("minP", $"minP must be in [0, 1); got {m.ToString(CultureInfo.InvariantCulture)}");
        if (r.RepetitionPenalty is { } rp && (!float.IsFinite(rp) || rp < 1 || rp > 100))
            Add("repetitionPenalty", $"repetitionPenalty must be in [1, 100] (1 = off); got {rp.ToString(CultureInfo.InvariantCulture)}");
        primer = null;
        if (r.Primer is not null) // an empty string is an empty primer: the engine answers 400, it is never ignored
        {
            try { primer = Convert.FromBase64String(r.Primer); }
            catch (FormatException) { Add("primer", "primer must be a base64-encoded MIDI file"); }
        }

        seed = r.Seed ?? Random.Shared.NextInt64(0, long.MaxValue);
        sampling = errors.Count > 0 ? null : new SamplingOptions
        {
            Temperature = greedy ? 1f : r.Temperature ?? 1f,
            TopK = r.TopK ?? 0,
            TopP = r.TopP ?? 1f,
            MinP = r.MinP ?? 0f,
            RepetitionPenalty = r.RepetitionPenalty ?? 1f,
            Greedy = greedy,
        };
        return errors;
    }

    /// <summary>Reads the multipart form fields into a request (parse errors keyed by field).</summary>
    public static GenerateRequest FromForm(IFormCollection form, Dictionary<string, string[]> errors, out byte[]? primerFile)
    {
        string? S(string key) => form.TryGetValue(key, out var v) && !string.IsNullOrWhiteSpace(v) ? v.ToString() : null;
        T? Parse<T>(string key) where T : struct, IParsable<T>
        {
            var s = S(key);
            if (s is null) return null;
            if (T.TryParse(s, CultureInfo.InvariantCulture, out var value)) return value;
            errors[key] = [$"{key}: '{s}' is not a valid {typeof(T).Name}"];
            return null;
        }
        var r = new GenerateRequest
        {
            Model = S("model"),
            Version = S("version"),
            Tokens = Parse<int>("tokens"),
            Bars = Parse<int>("bars"),
            Seconds = Parse<double>("seconds"),
            Temperature = Parse<float>("temperature"),
            TopK = Parse<int>("topK"),
            TopP = Parse<float>("topP"),
            MinP = Parse<float>("minP"),
            RepetitionPenalty = Parse<float>("repetitionPenalty"),
            Greedy = Parse<bool>("greedy"),
            Seed = Parse<long>("seed"),
            Primer = S("primer"),
        };
        primerFile = null;
        if (form.Files.GetFile("primer") is { } file)
        {
            using var ms = new MemoryStream();
            file.CopyTo(ms);
            primerFile = ms.ToArray();
        }
        return r;
    }
}
