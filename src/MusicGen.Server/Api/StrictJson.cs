using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace MusicGen.Server.Api;

/// <summary>
/// Reads a JSON body strictly: it must be an object, every member must be a known field, and every value must have
/// the field's type. Errors are keyed by field and say what was expected in words (no .NET type names).
/// </summary>
internal static class StrictJson
{
    /// <summary>Binds <paramref name="root"/> to <typeparamref name="T"/>, or fills <paramref name="errors"/> and returns null.</summary>
    public static T? Bind<T>(JsonElement root, JsonSerializerOptions options, Dictionary<string, string[]> errors) where T : class
    {
        if (root.ValueKind != JsonValueKind.Object)
        {
            errors["body"] = [$"the body must be a JSON object of fields; got {Describe(root)}"];
            return null;
        }
        var info = options.GetTypeInfo(typeof(T));
        var fields = new Dictionary<string, JsonPropertyInfo>(StringComparer.OrdinalIgnoreCase);
        foreach (var p in info.Properties) fields[p.Name] = p;
        foreach (var member in root.EnumerateObject())
        {
            if (!fields.TryGetValue(member.Name, out var field))
            {
                errors[member.Name] = [$"unknown field '{member.Name}'; the fields are {string.Join(", ", fields.Values.Select(f => f.Name))}"];
                continue;
            }
            if (Expected(member.Value, field.PropertyType) is { } expected)
                errors[field.Name] = [$"{field.Name} must be {expected}; got {Describe(member.Value)}"];
        }
        if (errors.Count > 0) return null;
        try
        {
            return root.Deserialize<T>(options);
        }
        catch (JsonException ex)
        {
            var field = ex.Path is { Length: > 2 } path && path.StartsWith("$.", StringComparison.Ordinal) ? path[2..] : "body";
            errors[field] = [$"{field} has a value out of range"];
            return null;
        }
    }

    /// <summary>What <paramref name="type"/> needs, in words, when <paramref name="value"/> does not fit it; null when it fits.</summary>
    private static string? Expected(JsonElement value, Type type)
    {
        if (value.ValueKind == JsonValueKind.Null) return Nullable.GetUnderlyingType(type) is not null || !type.IsValueType ? null : Words(type);
        type = Nullable.GetUnderlyingType(type) ?? type;
        bool ok = type switch
        {
            _ when type == typeof(int) => value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out _),
            _ when type == typeof(long) => value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out _),
            _ when type == typeof(float) || type == typeof(double) => value.ValueKind == JsonValueKind.Number && value.TryGetDouble(out var d) && double.IsFinite(d),
            _ when type == typeof(bool) => value.ValueKind is JsonValueKind.True or JsonValueKind.False,
            _ when type == typeof(string) => value.ValueKind == JsonValueKind.String,
            _ when typeof(IEnumerable<KeyValuePair<string, float>>).IsAssignableFrom(type) =>
                value.ValueKind == JsonValueKind.Object && value.EnumerateObject().All(m => m.Value.ValueKind == JsonValueKind.Number),
            _ when typeof(IEnumerable<string>).IsAssignableFrom(type) =>
                value.ValueKind == JsonValueKind.Array && value.EnumerateArray().All(m => m.ValueKind == JsonValueKind.String),
            _ => true,
        };
        return ok ? null : Words(type);
    }

    /// <summary>A type in words.</summary>
    private static string Words(Type type) => type switch
    {
        _ when type == typeof(int) => "a whole number (at most 2147483647)",
        _ when type == typeof(long) => "a whole number",
        _ when type == typeof(float) || type == typeof(double) => "a number",
        _ when type == typeof(bool) => "true or false",
        _ when type == typeof(string) => "a string",
        _ when typeof(IEnumerable<KeyValuePair<string, float>>).IsAssignableFrom(type) => "an object of numbers, e.g. {\"EOS\": -1000}",
        _ when typeof(IEnumerable<string>).IsAssignableFrom(type) => "an array of strings",
        _ => "a value of another kind",
    };

    /// <summary>A JSON value in words (kind and a short excerpt).</summary>
    private static string Describe(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.Null => "null",
        JsonValueKind.True or JsonValueKind.False => value.GetRawText(),
        JsonValueKind.Number => $"the number {Clip(value.GetRawText())}",
        JsonValueKind.String => $"the string \"{Clip(value.GetString() ?? "")}\"",
        JsonValueKind.Array => "an array",
        JsonValueKind.Object => "an object",
        _ => "nothing",
    };

    private static string Clip(string s) => s.Length <= 40 ? s : s[..40] + "...";
}
