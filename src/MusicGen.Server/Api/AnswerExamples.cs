using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;
using MusicGen.Inference;
using MusicGen.Listening;
using MusicGen.Server.Listening;
using MusicGen.Server.Models;

namespace MusicGen.Server.Api;

/// <summary>
/// One example value of every JSON answer (and JSON body) the API has, as a typed instance: the OpenAPI document
/// shows each field's example from it (a schema transformer serializes the instance with the API's own JSON options,
/// so an example always has the field's name and type). The generation request's examples come from
/// <see cref="GenerationOptions.All"/> instead (<see cref="GenerateOpenApi"/>). A record added to the API without an
/// entry here leaves its fields without examples, which <c>ApiDocsTests</c> refuses.
/// </summary>
internal static class AnswerExamples
{
    private static readonly DateTimeOffset Loaded = new(2026, 12, 5, 2, 0, 0, TimeSpan.Zero);

    private static readonly TimingView Timing = new(0.002, 0.011, 1.84, 278.3);

    private static readonly NoteView Note = new(0, 0, false, 0, 60, 88, 1920, 2400, 1.0, 1.25);

    private static readonly ModelVersionInfo Version = new("2", "active", "transformer", 1024, "remi", 1, "pop909-transformer", Loaded);

    private static readonly ModelInfo Model = new("pop909-transformer", "2", "transformer", 1024, "remi", "active", true, [Version]);

    private static readonly ClipNote Clip = new(64, 80, 0.5, 0.75, false);

    private static readonly ClipView View = new("A", "notes", 12.0, [Clip]);

    /// <summary>The example of each type, by type.</summary>
    private static readonly Dictionary<Type, object> ByType = new List<object>
    {
        Timing,
        Note,
        Version,
        Model,
        new RejectedPackage("pop909-transformer@3", "ONNX Runtime cannot load 'model.fast.onnx' ([ErrorCode:InvalidProtobuf] ... Protobuf parsing failed.)", Loaded),
        new ModelsResponse("pop909-transformer", [Model], []),
        new GenerateResponse("pop909-transformer", "2", 2026, "max_tokens", 1, [4, 112, 60], ["Bar", "Position_0", "Pitch_60"], 480, [Note],
            "TVRoZAAAAAYAAQABAeBNVHJrAAAABAD/LwA=", Timing, ["byte 22: TrackLengthPastEnd: the track claims 4096 bytes, 12 are left"]),
        new OptionView("topP", "--top-p", "number", "Nucleus sampling: keep the most likely tokens whose probability reaches P (1 = off).", 1.0, 0.95, 0, 1, true, false, "in (0, 1]"),
        new AudioStatusResponse(true, "FluidSynth not found: install libfluidsynth3 (Debian; the library libfluidsynth.so.3)", ["wav", "flac"], 44100, "FluidR3_GM.sf2", 600),
        new HealthResponse("ok"),
        new ReadyResponse("ready", "pop909-transformer"),
        new ActivateRequest("1"),
        new StartSessionRequest("listener-7"),
        new StartSessionResponse("q3Vb0mK2", "listener-7", 12.0, ["c1Xo9", "Zr4tE"]),
        new AnswerRequest("A"),
        new ProgressResponse("q3Vb0mK2", 10, 10, true, 6),
        new ListeningInfoResponse(10, 12.0, ["notes", "wav"]),
        Clip,
        View,
        new PairClips("c1Xo9", 1, 10, 12.0, [View, View with { Label = "B" }]),
        new ProblemDetails
        {
            Type = "https://tools.ietf.org/html/rfc9110#section-15.6.2", Title = "Audio rendering unavailable", Status = 501,
            Detail = "format=wav cannot be rendered on this server: FluidSynth not found: install libfluidsynth3", Instance = "/v1/generate",
        },
        new HttpValidationProblemDetails(new Dictionary<string, string[]> { ["topP"] = ["topP must be in (0, 1] (got 1.5)."] })
        {
            Type = "https://tools.ietf.org/html/rfc9110#section-15.5.1", Title = Problems.InvalidRequest, Status = 400,
            Detail = "One or more validation errors occurred.", Instance = "/v1/generate",
        },
    }.ToDictionary(e => e.GetType());

    /// <summary>Audio that a clip of the listening test carries as base64 (formats that render audio).</summary>
    private static readonly Dictionary<string, JsonNode> ClipAudio = new(StringComparer.Ordinal)
    {
        ["mediaType"] = JsonValue.Create("audio/wav"),
        ["data"] = JsonValue.Create("UklGRiQAAABXQVZFZm10IBAAAAABAAIARKwAABCxAgAEABAAZGF0YQAAAAA="),
    };

    /// <summary>Adds the schema transformer that writes every field's example.</summary>
    public static void Describe(OpenApiOptions options) => options.AddSchemaTransformer((schema, context, _) =>
    {
        if (ByType.TryGetValue(context.JsonTypeInfo.Type, out var example) && schema.Properties is { } properties)
            Apply(properties, JsonSerializer.SerializeToNode(example, example.GetType(), GenerateEndpoints.Json)!.AsObject(), context.JsonTypeInfo.Type == typeof(ClipView) ? ClipAudio : null);
        return Task.CompletedTask;
    });

    /// <summary>Each property without an example gets the instance's value of it (or, where that is null, the alternative's).</summary>
    private static void Apply(IDictionary<string, IOpenApiSchema> properties, JsonObject values, Dictionary<string, JsonNode>? alternatives)
    {
        foreach (var (name, property) in properties)
        {
            if (property is not OpenApiSchema p || p.Examples is { Count: > 0 }) continue;
            var value = values.TryGetPropertyValue(name, out var v) && v is not null ? v : alternatives?.GetValueOrDefault(name);
            if (value is not null) p.Examples = [value.DeepClone()];
        }
    }
}
