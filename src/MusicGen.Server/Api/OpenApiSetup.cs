using System.Net;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;
using MusicGen.Audio;
using MusicGen.Inference;
using Scalar.AspNetCore;

namespace MusicGen.Server.Api;

/// <summary>
/// The OpenAPI document (<c>/openapi/v1.json</c>) and the interactive reference (<c>/docs</c>). Field descriptions
/// come from the XML doc comments of the answer types (the project writes its documentation file, which .NET 10's
/// OpenAPI generator reads) and, for the generation request, from <see cref="GenerationOptions.All"/>
/// (<see cref="GenerateOpenApi"/>). This adds what neither can say: every answer type an endpoint declares (ASP.NET
/// Core keeps one per status code, so <c>audio/midi</c> beside JSON was lost), <c>text/event-stream</c> in words,
/// <c>application/problem+json</c> on every error answer, and the standard problem details fields' meaning.
/// </summary>
internal static class OpenApiSetup
{
    /// <summary>Route of the interactive API reference.</summary>
    public const string DocsPath = "/docs";

    private const string ProblemJson = "application/problem+json";
    private const string EventStream = "text/event-stream";

    /// <summary>Schema of the generate body sent as form fields.</summary>
    private const string FormSchemaName = "GenerateForm";

    /// <summary>Options of a sensible first generation request: the body example <c>/docs</c> offers to send.</summary>
    private static readonly string[] ExampleRequest = ["tokens", "temperature", "topP", "seed"];

    public static IServiceCollection AddMusicGenOpenApi(this IServiceCollection services)
    {
        // The request readers take numbers as JSON numbers only; say so in the schemas too (not "integer or string").
        services.ConfigureHttpJsonOptions(o => o.SerializerOptions.NumberHandling = JsonNumberHandling.Strict);
        services.AddOpenApi(o =>
        {
            GenerateOpenApi.Describe(o);
            AnswerExamples.Describe(o);
            o.AddOperationTransformer((operation, context, cancel) => DeclareAnswersAsync(operation, context, cancel));
            o.AddDocumentTransformer((document, _, _) =>
            {
                Describe(document);
                return Task.CompletedTask;
            });
        });
        return services;
    }

    /// <summary>Maps <c>/openapi/v1.json</c> and the Scalar reference at <see cref="DocsPath"/> (its script and styles are served from the package, no CDN).</summary>
    public static void MapMusicGenDocs(this WebApplication app)
    {
        app.MapOpenApi();
        app.MapScalarApiReference(DocsPath, o => o
            .WithTitle("MusicGen API")
            .WithOpenApiRoutePattern("/openapi/{documentName}.json")
            // The options in their declared order, not alphabetical. Nothing that calls out of the machine: no fonts
            // from Scalar's CDN, no hosted AI agent or MCP, no usage telemetry, no hosted developer tools bar.
            .PreserveSchemaPropertyOrder()
            .DisableDefaultFonts()
            .DisableAgent()
            .DisableMcp()
            .DisableTelemetry()
            .HideDeveloperTools()
            .WithDotNetFlag(false));
    }

    /// <summary>
    /// Adds every answer type the endpoint declares with <c>Produces</c> that the generator dropped, in the order
    /// declared (the first is what a client gets by default).
    /// </summary>
    private static async Task DeclareAnswersAsync(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken cancel)
    {
        var metadata = context.Description.ActionDescriptor.EndpointMetadata;
        foreach (var group in metadata.OfType<IProducesResponseTypeMetadata>().GroupBy(p => p.StatusCode))
        {
            var status = group.Key.ToString(System.Globalization.CultureInfo.InvariantCulture);
            operation.Responses ??= [];
            if (!operation.Responses.TryGetValue(status, out var found) || found is not OpenApiResponse response)
            {
                response = new OpenApiResponse { Description = ReasonPhrase(group.Key) };
                operation.Responses[status] = response;
            }
            var content = response.Content ?? new Dictionary<string, OpenApiMediaType>();
            var ordered = new Dictionary<string, OpenApiMediaType>();
            foreach (var produces in group)
            {
                foreach (var type in produces.ContentTypes)
                {
                    if (ordered.ContainsKey(type)) continue;
                    if (content.TryGetValue(type, out var media)) ordered[type] = media;
                    else if (produces.Type is { } body && body != typeof(void))
                        ordered[type] = new OpenApiMediaType { Schema = await context.GetOrCreateSchemaAsync(body, null, cancel) };
                    else ordered[type] = new OpenApiMediaType { Schema = Untyped(type) };
                }
            }
            foreach (var (type, media) in content) ordered.TryAdd(type, media);
            response.Content = ordered;
        }
    }

    /// <summary>The schema of an answer without a body type: a stream of events, or a file.</summary>
    private static OpenApiSchema Untyped(string contentType) => contentType == EventStream
        ? new OpenApiSchema { Type = JsonSchemaType.String, Description = "`event: <name>` and `data: <JSON>` lines, a blank line after each event." }
        : new OpenApiSchema { Type = JsonSchemaType.String, Format = "binary", Description = $"The file ({contentType})." };

    private static string ReasonPhrase(int status) =>
        Microsoft.AspNetCore.WebUtilities.ReasonPhrases.GetReasonPhrase(status) is { Length: > 0 } phrase ? phrase : "Answer";

    private static void Describe(OpenApiDocument document)
    {
        document.Info.Title = "MusicGen";
        document.Info.Description =
            "Generate music as MIDI with the service's models: a whole file (`POST /v1/generate`), or notes as they are " +
            "made (`POST /v1/generate/stream`, Server-Sent Events). Every generation option is listed with its limits at " +
            "`GET /v1/options`. `POST /v1/render` turns a MIDI file into audio (FluidSynth). Errors are RFC 9457 problem details whose `errors` name the fields at fault. Models are " +
            "hot-swappable packages; `GET /v1/models` lists them.";

        document.Components ??= new OpenApiComponents();
        document.Components.Schemas ??= new Dictionary<string, IOpenApiSchema>();
        document.Components.Schemas[FormSchemaName] = GenerateOpenApi.FormSchema();

        foreach (var (_, path) in document.Paths)
        {
            if (path.Operations is null) continue;
            foreach (var (_, operation) in path.Operations)
            {
                switch (operation.OperationId)
                {
                    case "Generate":
                        Ok(operation, "The piece: by default a Standard MIDI File (`audio/midi`, headers `X-MusicGen-Model`, " +
                            "`X-MusicGen-Version`, `X-MusicGen-Seed`); with `format` `wav` or `flac`, the piece rendered by FluidSynth (`audio/wav`, " +
                            "`audio/flac`); with `Accept: application/json`, the piece with its notes, tokens and timing.");
                        ExampleBody(operation, document);
                        break;
                    case "Render":
                        Ok(operation, "The MIDI file rendered by FluidSynth with the General MIDI SoundFont: `audio/wav` (16-bit stereo PCM, the default) " +
                            "or `audio/flac` (`?format=flac`); the same file always gives the same bytes.");
                        RenderBody(operation);
                        break;
                    case "GenerateStream":
                        Ok(operation, "Server-Sent Events: `start` (model, version, seed, primerTokens), then `token` (index, id, name) " +
                            "and `note` (a note once it is complete) as they are made, then `done` (finishReason, notes, the MIDI file in " +
                            "base64, timing) or `error` (status, title, detail).");
                        ExampleBody(operation, document);
                        break;
                }
                OptionalBody(operation);
                if (operation.Responses is null) continue;
                foreach (var (status, response) in operation.Responses)
                {
                    if (status.Length == 3 && status[0] is '4' or '5' && response is OpenApiResponse r && (r.Content is null || r.Content.Count == 0))
                        r.Content = new Dictionary<string, OpenApiMediaType> { [ProblemJson] = new() { Schema = new OpenApiSchemaReference("ProblemDetails", document) } };
                }
            }
        }

        if (document.Components?.Schemas is { } schemas)
        {
            foreach (var (name, schema) in schemas)
            {
                if (schema is not OpenApiSchema s) continue;
                if (name is "ProblemDetails" or "HttpValidationProblemDetails") DescribeProblem(s);
                Decode(s);
            }
        }
    }

    private static void Ok(OpenApiOperation operation, string description)
    {
        if (operation.Responses?.TryGetValue("200", out var ok) == true && ok is OpenApiResponse r) r.Description = description;
    }

    /// <summary>
    /// A JSON body that works as it is (the options' own examples), so "Send" in <c>/docs</c> generates a piece; the
    /// form body's own schema (the primer a file); the body itself is optional.
    /// </summary>
    private static void ExampleBody(OpenApiOperation operation, OpenApiDocument document)
    {
        if (operation.RequestBody is OpenApiRequestBody request) request.Required = false; // an empty body takes every default
        if (operation.RequestBody?.Content?.TryGetValue("multipart/form-data", out var form) == true && form is not null)
            form.Schema = new OpenApiSchemaReference(FormSchemaName, document);
        if (operation.RequestBody?.Content?.TryGetValue("application/json", out var json) != true || json is null) return;
        var body = new JsonObject();
        foreach (var name in ExampleRequest) body[name] = GenerateOpenApi.Json(GenerationOptions.Get(name).Example);
        json.Example = body;
    }

    /// <summary>
    /// The render request: the MIDI file itself as the body (no JSON around it), and <c>format</c> in the query.
    /// </summary>
    private static void RenderBody(OpenApiOperation operation)
    {
        operation.RequestBody = new OpenApiRequestBody
        {
            Required = true,
            Description = "A Standard MIDI File, e.g. the `midi` of a generation (decoded from base64) or its `audio/midi` answer. Read as a primer " +
                "is: not empty, at most `MaxPrimerBytes`, strictly (a damaged file is a 400 on `midi` with its byte `offset`), at most " +
                "`MaxNotes` notes and `MaxTicks` ticks, and at most `MaxRenderSeconds` of audio (400 with `limit`, `actual`, `maximum`).",
            Content = new Dictionary<string, OpenApiMediaType>
            {
                [RenderEndpoint.Midi] = new() { Schema = new OpenApiSchema { Type = JsonSchemaType.String, Format = "binary", Description = "The MIDI file's bytes." } },
            },
        };
        foreach (var parameter in operation.Parameters ?? [])
        {
            if (parameter is not OpenApiParameter { Name: "format" } p || p.Schema is not OpenApiSchema schema) continue;
            p.Description = "The audio format: `wav` (default) or `flac`.";
            schema.Enum = [.. AudioFormats.All.Select(f => (JsonNode)JsonValue.Create(f.Name()))];
            schema.Default = JsonValue.Create(AudioFormat.Wav.Name());
            schema.Examples = [JsonValue.Create(AudioFormat.Flac.Name())];
        }
    }

    /// <summary>
    /// A nullable JSON body (<c>ActivateRequest? body</c>) is written as <c>oneOf: [null, $ref]</c>: say instead that the
    /// body is optional and, when sent, the named schema.
    /// </summary>
    private static void OptionalBody(OpenApiOperation operation)
    {
        if (operation.RequestBody is not OpenApiRequestBody body || body.Content is null) return;
        foreach (var (_, media) in body.Content)
        {
            if (media.Schema is not OpenApiSchema { OneOf: { Count: 2 } choices } || choices.Count(c => c is OpenApiSchema { Type: JsonSchemaType.Null }) != 1) continue;
            if (choices.OfType<OpenApiSchemaReference>().SingleOrDefault() is not { } named) continue;
            media.Schema = named;
            body.Required = false;
        }
    }

    /// <summary>The RFC 9457 fields, in words.</summary>
    private static void DescribeProblem(OpenApiSchema schema)
    {
        schema.Description ??= "An error, as RFC 9457 problem details.";
        var words = new Dictionary<string, string>
        {
            ["type"] = "A URI reference that identifies the problem type.",
            ["title"] = "A short summary of the problem, e.g. \"Invalid generation request\".",
            ["status"] = "The HTTP status code.",
            ["detail"] = "What went wrong with this request, in words.",
            ["instance"] = "A URI reference that identifies this occurrence.",
            ["errors"] = "The fields at fault, each with what is wrong with it (e.g. `topP`: `topP must be in (0, 1] (got 1.5).`).",
        };
        if (schema.Properties is null) return;
        foreach (var (name, property) in schema.Properties)
            if (property is OpenApiSchema p && words.TryGetValue(name, out var text)) p.Description ??= text;
    }

    /// <summary>XML doc comments keep entities (<c>&amp;gt;</c>); a description is Markdown, so write the characters.</summary>
    private static void Decode(OpenApiSchema schema)
    {
        if (schema.Description is { } d) schema.Description = WebUtility.HtmlDecode(d);
        if (schema.Properties is null) return;
        foreach (var (_, property) in schema.Properties)
            if (property is OpenApiSchema p && p.Description is { } pd) p.Description = WebUtility.HtmlDecode(pd);
    }
}
