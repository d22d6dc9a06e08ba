using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;
using MusicGen.Inference;

namespace MusicGen.Server.Api;

/// <summary>
/// The generate body as the OpenAPI document shows it. Its properties are not declared here: the schema is written
/// from <see cref="GenerationOptions.All"/> (names, kinds, defaults, limits and descriptions) by
/// <see cref="GenerateOpenApi"/>, so the document lists every option there is.
/// </summary>
public sealed class GenerateRequest;

/// <summary>Writes the generate body's schema from the options catalog.</summary>
internal static class GenerateOpenApi
{
    /// <summary>Adds the schema transformer.</summary>
    public static void Describe(OpenApiOptions options) => options.AddSchemaTransformer((schema, context, _) =>
    {
        if (context.JsonTypeInfo.Type != typeof(GenerateRequest)) return Task.CompletedTask;
        schema.Type = JsonSchemaType.Object;
        schema.Description = "Generation request: every field is optional; a field not listed here is an error (400 naming it).";
        schema.AdditionalPropertiesAllowed = false;
        schema.Properties = Properties(form: false);
        return Task.CompletedTask;
    });

    /// <summary>
    /// The same body as form fields (<c>multipart/form-data</c>): every field a form value, the primer a file.
    /// </summary>
    public static OpenApiSchema FormSchema() => new()
    {
        Type = JsonSchemaType.Object,
        Description = "Generation request as form fields (every field optional, the primer as a file); a field not listed here is an error (400 naming it).",
        Properties = Properties(form: true),
    };

    /// <summary><c>model</c>, <c>version</c> and every option, in their declared order.</summary>
    private static Dictionary<string, IOpenApiSchema> Properties(bool form)
    {
        var properties = new Dictionary<string, IOpenApiSchema>(StringComparer.Ordinal)
        {
            ["model"] = new OpenApiSchema { Type = JsonSchemaType.String, Description = "Model name (default: the service's default model).", Examples = [JsonValue.Create("pop909-transformer")] },
            ["version"] = new OpenApiSchema { Type = JsonSchemaType.String, Description = "A loaded version of the model to use instead of the active one.", Examples = [JsonValue.Create("1")] },
            ["format"] = new OpenApiSchema
            {
                Type = JsonSchemaType.String,
                Description = "The answer's file: midi (audio/midi), or the piece rendered with FluidSynth and a General MIDI SoundFont as wav (audio/wav) or flac (audio/flac); 501 where the server cannot render (GET /v1/audio says why). POST /v1/generate only.",
                Enum = [.. GenerateBody.Formats.Select(f => (JsonNode)JsonValue.Create(f))],
                Default = JsonValue.Create("midi"),
                Examples = [JsonValue.Create("wav")],
            },
        };
        foreach (var o in GenerationOptions.All)
        {
            var p = Property(o);
            if (form && o.Kind == GenerationOptionKind.Midi)
            {
                p.Format = "binary"; // a file field, not base64
                p.Examples = null;
            }
            properties[o.Name] = p;
        }
        return properties;
    }

    private static OpenApiSchema Property(GenerationOption o)
    {
        var description = o.Description + (o.RangeText is { } r && o.Name != "seed" ? $" Allowed: {r}." : "");
        var p = new OpenApiSchema
        {
            Description = description,
            Type = o.Kind switch
            {
                GenerationOptionKind.Integer => JsonSchemaType.Integer,
                GenerationOptionKind.Number => JsonSchemaType.Number,
                GenerationOptionKind.Boolean => JsonSchemaType.Boolean,
                GenerationOptionKind.TextList => JsonSchemaType.Array,
                GenerationOptionKind.TokenBias => JsonSchemaType.Object,
                _ => JsonSchemaType.String,
            },
        };
        if (o.Kind == GenerationOptionKind.TextList) p.Items = new OpenApiSchema { Type = JsonSchemaType.String };
        if (o.Kind == GenerationOptionKind.TokenBias) p.AdditionalProperties = new OpenApiSchema { Type = JsonSchemaType.Number };
        if (o.Kind == GenerationOptionKind.Midi) p.Format = "byte";
        if (o.Default is { } d) p.Default = Json(d);
        if (o.Example is { } e && Json(e) is { } example) p.Examples = [example];
        return p;
    }

    /// <summary>An option's value (default or example) as the JSON body writes it.</summary>
    internal static JsonNode? Json(object? value) => value switch
    {
        null => null,
        bool b => JsonValue.Create(b),
        int i => JsonValue.Create(i),
        long l => JsonValue.Create(l),
        double x => JsonValue.Create(x),
        string s => JsonValue.Create(s),
        string[] list => new JsonArray([.. list.Select(item => (JsonNode?)JsonValue.Create(item))]),
        IReadOnlyDictionary<string, double> map => new JsonObject(map.Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)JsonValue.Create(kv.Value)))),
        _ => JsonValue.Create(Convert.ToString(value, CultureInfo.InvariantCulture)),
    };
}
