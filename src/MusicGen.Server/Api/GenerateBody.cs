using System.Text.Json;
using MusicGen.Audio;
using MusicGen.Inference;

namespace MusicGen.Server.Api;

/// <summary>
/// Body of <c>POST /v1/generate</c> and <c>/v1/generate/stream</c>: <c>model</c>, <c>version</c>, <c>format</c> and every option of
/// <see cref="GenerationOptions.All"/> by its name, as JSON or as multipart form fields (the primer as a file). Read
/// strictly: a field that is not one of these is an error naming it, and a value of the wrong kind says what the
/// field takes in words. The options go straight into the engine's <see cref="GenerationRequest"/>.
/// </summary>
internal sealed class GenerateBody
{
    /// <summary>Model name (default: the service's default model).</summary>
    public string? Model { get; private set; }

    /// <summary>A loaded version of the model to use instead of the active one.</summary>
    public string? Version { get; private set; }

    /// <summary>The answer's file format: null for MIDI (<c>format=midi</c>, the default), else the audio format.</summary>
    public AudioFormat? Format { get; private set; }

    /// <summary>The generation options.</summary>
    public GenerationRequest Request { get; } = new();

    /// <summary>The values of <c>format</c>: <c>midi</c>, then the audio formats.</summary>
    public static IReadOnlyList<string> Formats { get; } = ["midi", .. AudioFormats.All.Select(f => f.Name())];

    /// <summary>Every field the body may hold.</summary>
    public static IReadOnlyList<string> Fields { get; } = ["model", "version", "format", .. GenerationOptions.All.Select(o => o.Name)];

    /// <summary>Reads a JSON body (must be an object); problems go to <paramref name="errors"/>, keyed by field.</summary>
    public static GenerateBody FromJson(JsonElement root, Dictionary<string, string[]> errors)
    {
        var body = new GenerateBody();
        if (root.ValueKind != JsonValueKind.Object)
        {
            errors["body"] = [$"the body must be a JSON object of fields ({string.Join(", ", Fields)}); got {(root.ValueKind == JsonValueKind.Null ? "null" : root.ValueKind.ToString().ToLowerInvariant())}"];
            return body;
        }
        foreach (var member in root.EnumerateObject())
        {
            if (member.Name.Equals("model", StringComparison.OrdinalIgnoreCase) || member.Name.Equals("version", StringComparison.OrdinalIgnoreCase))
            {
                if (member.Value.ValueKind is not (JsonValueKind.String or JsonValueKind.Null))
                {
                    errors[member.Name.ToLowerInvariant()] = [$"{member.Name.ToLowerInvariant()} must be a string"];
                    continue;
                }
                body.SetModelOrVersion(member.Name, member.Value.GetString());
                continue;
            }
            if (member.Name.Equals("format", StringComparison.OrdinalIgnoreCase))
            {
                if (body.SetFormat(member.Value.ValueKind == JsonValueKind.String ? member.Value.GetString() : null) is { } formatError) errors["format"] = [formatError];
                continue;
            }
            if (GenerationOptions.Find(member.Name) is not { } option)
            {
                errors[member.Name] = [Unknown(member.Name)];
                continue;
            }
            if (GenerationOptionReader.Apply(body.Request, option, member.Value) is { } error) errors[option.Name] = [error];
        }
        return body;
    }

    /// <summary>Reads multipart or urlencoded form fields (empty ones count as absent) and the primer file.</summary>
    public static GenerateBody FromForm(IFormCollection form, Dictionary<string, string[]> errors)
    {
        var body = new GenerateBody();
        foreach (var (key, values) in form)
        {
            var text = values.ToString();
            if (string.IsNullOrWhiteSpace(text)) continue;
            if (key.Equals("model", StringComparison.OrdinalIgnoreCase) || key.Equals("version", StringComparison.OrdinalIgnoreCase))
                body.SetModelOrVersion(key, text.Trim());
            else if (key.Equals("format", StringComparison.OrdinalIgnoreCase))
            {
                if (body.SetFormat(text) is { } formatError) errors["format"] = [formatError];
            }
            else if (GenerationOptions.Find(key) is not { } option) errors[key] = [Unknown(key)];
            else if (GenerationOptionReader.Apply(body.Request, option, text) is { } error) errors[option.Name] = [error];
        }
        foreach (var file in form.Files)
        {
            if (!file.Name.Equals("primer", StringComparison.OrdinalIgnoreCase))
            {
                errors[file.Name] = [$"unknown file field '{file.Name}'; the primer file goes in 'primer'"];
                continue;
            }
            using var ms = new MemoryStream();
            file.CopyTo(ms);
            body.Request.PrimerMidi = ms.ToArray(); // an empty file is refused by the engine (400 on primer)
        }
        return body;
    }

    private void SetModelOrVersion(string name, string? value)
    {
        if (name.Equals("model", StringComparison.OrdinalIgnoreCase)) Model = value;
        else Version = value;
    }

    /// <summary>Sets <see cref="Format"/> from its name; the error in words, or null.</summary>
    private string? SetFormat(string? name)
    {
        if (string.Equals(name?.Trim(), "midi", StringComparison.OrdinalIgnoreCase))
        {
            Format = null;
            return null;
        }
        Format = AudioFormats.Parse(name);
        return Format is null ? $"format must be one of {string.Join(", ", Formats)} (got {(name is null ? "a value that is not a string" : $"'{name}'")})" : null;
    }

    private static string Unknown(string name) => $"unknown field '{name}'; the fields are {string.Join(", ", Fields)}";
}
