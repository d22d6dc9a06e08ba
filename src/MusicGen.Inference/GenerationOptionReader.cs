using System.Globalization;
using System.Text.Json;

namespace MusicGen.Inference;

/// <summary>
/// Sets the options of <see cref="GenerationOptions.All"/> on a <see cref="GenerationRequest"/> from JSON values (the
/// HTTP body) or text (form fields, CLI arguments). A value of the wrong kind gives a message that names the option
/// and the kind in words; ranges are checked by <see cref="GenerationRequest.Check"/>.
/// </summary>
public static class GenerationOptionReader
{
    /// <summary>Sets <paramref name="option"/> from a JSON value; returns the problem in words, or null. JSON null leaves it unset.</summary>
    public static string? Apply(GenerationRequest request, GenerationOption option, JsonElement value)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(option);
        if (value.ValueKind == JsonValueKind.Null) return null;
        object? typed = option.Kind switch
        {
            GenerationOptionKind.Integer => value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out var l) ? (object)l : null,
            GenerationOptionKind.Number => value.ValueKind == JsonValueKind.Number && value.TryGetDouble(out var d) && double.IsFinite(d) ? (object)d : null,
            GenerationOptionKind.Boolean => value.ValueKind is JsonValueKind.True or JsonValueKind.False ? (object)value.GetBoolean() : null,
            GenerationOptionKind.Text => value.ValueKind == JsonValueKind.String ? (object?)value.GetString() : null,
            GenerationOptionKind.TextList => value.ValueKind == JsonValueKind.Array && value.EnumerateArray().All(e => e.ValueKind == JsonValueKind.String)
                ? (object)value.EnumerateArray().Select(e => e.GetString()!).ToArray() : null,
            GenerationOptionKind.TokenBias => value.ValueKind == JsonValueKind.Object && value.EnumerateObject().All(m => m.Value.ValueKind == JsonValueKind.Number && m.Value.TryGetDouble(out _))
                ? Bias(value) : null,
            GenerationOptionKind.Midi => value.ValueKind == JsonValueKind.String ? FromBase64(value.GetString()!) : null,
            _ => null,
        };
        if (typed is null) return $"{option.Name} must be {Expected(option)}; got {Describe(value)}";
        return Set(request, option, typed);
    }

    /// <summary>Sets <paramref name="option"/> from text (a form field or a CLI argument); returns the problem in words, or null.</summary>
    public static string? Apply(GenerationRequest request, GenerationOption option, string text, string? label = null)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(option);
        ArgumentNullException.ThrowIfNull(text);
        var s = text.Trim();
        object? typed = option.Kind switch
        {
            GenerationOptionKind.Integer => long.TryParse(s, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var l) ? (object)l : null,
            GenerationOptionKind.Number => double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && double.IsFinite(d) ? (object)d : null,
            GenerationOptionKind.Boolean => bool.TryParse(s, out var b) ? (object)b : s == "on" ? (object)true : null,
            GenerationOptionKind.Text => (object)s,
            GenerationOptionKind.TextList => s.Split([',', ' '], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries),
            GenerationOptionKind.TokenBias => ParseBias(s),
            GenerationOptionKind.Midi => FromBase64(s),
            _ => null,
        };
        if (typed is null) return $"{label ?? option.Name} must be {Expected(option)}; got '{Clip(s)}'";
        return Set(request, option, typed, label);
    }

    /// <summary>The kind of <paramref name="option"/> in words, e.g. "a whole number in [1, 10000]".</summary>
    public static string Expected(GenerationOption option)
    {
        ArgumentNullException.ThrowIfNull(option);
        var range = option.RangeText is { } r && option.Name != "seed" ? $" {r}" : "";
        return option.Kind switch
        {
            GenerationOptionKind.Integer => "a whole number" + range,
            GenerationOptionKind.Number => "a number" + range,
            GenerationOptionKind.Boolean => "true or false",
            GenerationOptionKind.Text => "a string",
            GenerationOptionKind.TextList => "a list of token names",
            GenerationOptionKind.TokenBias => "token names (or ids) with numbers, e.g. {\"EOS\": -1000} (CLI: EOS=-1000)",
            GenerationOptionKind.Midi => "a MIDI file (base64 in JSON)",
            _ => "a value",
        };
    }

    private static string? Set(GenerationRequest r, GenerationOption o, object value, string? label = null)
    {
        if (value is long l && o.Name != "seed" && (l < int.MinValue || l > int.MaxValue))
            return $"{label ?? o.Name} must be {Expected(o)} (got {l.ToString(CultureInfo.InvariantCulture)})";
        int I() => (int)(long)value;
        float F() => (float)(double)value;
        switch (o.Name)
        {
            case "tokens": r.MaxTokens = I(); break;
            case "bars": r.Bars = I(); break;
            case "seconds": r.Seconds = (double)value; break;
            case "allowEarlyEnd": r.AllowEarlyEnd = (bool)value; break;
            case "temperature": r.Sampling.Temperature = F(); break;
            case "topK": r.Sampling.TopK = I(); break;
            case "topP": r.Sampling.TopP = F(); break;
            case "minP": r.Sampling.MinP = F(); break;
            case "repetitionPenalty": r.Sampling.RepetitionPenalty = F(); break;
            case "repetitionWindow": r.Sampling.RepetitionWindow = I(); break;
            case "noRepeatNgram": r.Sampling.NoRepeatNgramSize = I(); break;
            case "scaleBias": r.Sampling.ScaleBias = F(); break;
            case "tokenBias": r.TokenBiasNames = (Dictionary<string, float>)value; break;
            case "grammar": r.Sampling.UseGrammar = (bool)value; break;
            case "primer": r.PrimerMidi = (byte[])value; break;
            case "lenientPrimer": r.LenientPrimer = (bool)value; break;
            case "prefix": r.PrefixTokens = (string[])value; break;
            case "tempo": r.TempoBpm = I(); break;
            case "meter": r.TimeSignature = (string)value; break;
            case "program": r.Program = I(); break;
            case "key": r.Key = (string)value; break;
            case "chords": r.Chords = (string[])value; break;
            case "seed": r.Seed = (long)value; break;
            case "greedy": r.Sampling.Greedy = (bool)value; break;
            default: throw new InvalidOperationException($"generation option '{o.Name}' has no setter");
        }
        return null;
    }

    private static Dictionary<string, float> Bias(JsonElement value)
    {
        var map = new Dictionary<string, float>(StringComparer.Ordinal);
        foreach (var m in value.EnumerateObject()) map[m.Name] = (float)m.Value.GetDouble(); // a repeated name: the last wins
        return map;
    }

    private static byte[]? FromBase64(string s)
    {
        try { return Convert.FromBase64String(s); }
        catch (FormatException) { return null; }
    }

    private static Dictionary<string, float>? ParseBias(string s)
    {
        var map = new Dictionary<string, float>(StringComparer.Ordinal);
        foreach (var pair in s.Split([',', ' '], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            int eq = pair.LastIndexOf('=');
            if (eq <= 0 || !float.TryParse(pair[(eq + 1)..], NumberStyles.Float, CultureInfo.InvariantCulture, out var v)) return null;
            map[pair[..eq]] = v;
        }
        return map;
    }

    private static string Describe(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.True or JsonValueKind.False => value.GetRawText(),
        JsonValueKind.Number => $"the number {Clip(value.GetRawText())}",
        JsonValueKind.String => $"the string \"{Clip(value.GetString() ?? "")}\"",
        JsonValueKind.Array => "an array",
        JsonValueKind.Object => "an object",
        _ => "nothing",
    };

    private static string Clip(string s) => s.Length <= 40 ? s : s[..40] + "...";
}
