using System.Net;
using System.Text.Json;
using Microsoft.Playwright;
using MusicGen.Inference;

namespace MusicGen.Server.Tests;

/// <summary>
/// The OpenAPI document says what the service really does (field descriptions and examples, answer types, named
/// schemas), and <c>/docs</c> serves the interactive reference from the service itself, rendered by a real browser
/// that reaches nothing but the service. Written over the whole document, so fields and endpoints added later are held
/// to the same rules.
/// </summary>
public sealed class ApiDocsTests(ApiFixture fx) : IClassFixture<ApiFixture>
{
    private async Task<JsonElement> DocumentAsync() => JsonDocument.Parse(await fx.Client.GetStringAsync("/openapi/v1.json")).RootElement;

    private static IEnumerable<(string Path, string Method, JsonElement Operation)> Operations(JsonElement doc)
    {
        foreach (var path in doc.GetProperty("paths").EnumerateObject())
            foreach (var op in path.Value.EnumerateObject())
                yield return (path.Name, op.Name, op.Value);
    }

    private static JsonElement Operation(JsonElement doc, string id) =>
        Operations(doc).Single(o => o.Operation.TryGetProperty("operationId", out var x) && x.GetString() == id).Operation;

    private static JsonElement Schemas(JsonElement doc) => doc.GetProperty("components").GetProperty("schemas");

    private static bool Described(JsonElement schema) =>
        schema.TryGetProperty("description", out var d) && !string.IsNullOrWhiteSpace(d.GetString());

    [Fact]
    public async Task Every_schema_is_named_and_every_field_described()
    {
        var doc = await DocumentAsync();
        var bare = new List<string>();
        var fields = 0;
        foreach (var schema in Schemas(doc).EnumerateObject())
        {
            Assert.False(schema.Name.Contains("Anonymous", StringComparison.OrdinalIgnoreCase), $"anonymous schema {schema.Name}: answer with a named record");
            if (!schema.Value.TryGetProperty("properties", out var props)) continue;
            foreach (var p in props.EnumerateObject())
            {
                fields++;
                if (!Described(p.Value)) bare.Add($"{schema.Name}.{p.Name}");
                else Assert.DoesNotContain("&gt;", p.Value.GetProperty("description").GetString(), StringComparison.Ordinal);
            }
        }
        Assert.True(bare.Count == 0, $"fields without a description (add <param> doc comments): {string.Join(", ", bare)}");
        Assert.True(fields > 80, $"only {fields} fields in the document");
    }

    private static bool Exemplified(JsonElement schema) =>
        (schema.TryGetProperty("examples", out var e) && e.ValueKind == JsonValueKind.Array && e.GetArrayLength() > 0 && e[0].ValueKind != JsonValueKind.Null)
        || (schema.TryGetProperty("example", out var one) && one.ValueKind != JsonValueKind.Null);

    /// <summary>
    /// Every field of every schema (components, and any inline one under an operation): a description, and an example
    /// unless it is a file in a form (a file has no JSON value) or a reference (its component's fields have theirs).
    /// </summary>
    private static void Fields(JsonElement schema, string where, List<string> bare, ref int fields)
    {
        if (schema.ValueKind != JsonValueKind.Object) return;
        if (schema.TryGetProperty("properties", out var props))
        {
            foreach (var p in props.EnumerateObject())
            {
                fields++;
                var file = p.Value.TryGetProperty("format", out var f) && f.GetString() == "binary";
                if (!Described(p.Value)) bare.Add($"{where}.{p.Name} (no description)");
                if (!file && !p.Value.TryGetProperty("$ref", out _) && !Exemplified(p.Value)) bare.Add($"{where}.{p.Name} (no example)");
                Fields(p.Value, $"{where}.{p.Name}", bare, ref fields);
            }
        }
        foreach (var key in new[] { "items", "additionalProperties" })
            if (schema.TryGetProperty(key, out var sub)) Fields(sub, $"{where}[]", bare, ref fields);
    }

    [Fact]
    public async Task Every_field_of_every_answer_and_body_has_a_description_and_an_example()
    {
        var doc = await DocumentAsync();
        var bare = new List<string>();
        var fields = 0;
        foreach (var schema in Schemas(doc).EnumerateObject()) Fields(schema.Value, schema.Name, bare, ref fields);
        foreach (var (path, method, op) in Operations(doc))
        {
            var bodies = op.GetProperty("responses").EnumerateObject().Select(r => (r.Name, r.Value)).ToList();
            if (op.TryGetProperty("requestBody", out var request)) bodies.Add(("request", request));
            foreach (var (name, body) in bodies)
                if (body.TryGetProperty("content", out var content))
                    foreach (var media in content.EnumerateObject())
                        if (media.Value.TryGetProperty("schema", out var schema)) Fields(schema, $"{method} {path} {name} {media.Name}", bare, ref fields);
        }
        Assert.True(bare.Count == 0, $"fields without a description or an example (answers: add the record's example to Api/AnswerExamples.cs): {string.Join(", ", bare)}");
        Assert.True(fields > 150, $"only {fields} fields in the document");
        // A sample: the JSON answer of a generation, its notes and timing.
        var properties = Schemas(doc).GetProperty("GenerateResponse").GetProperty("properties");
        Assert.Equal("max_tokens", properties.GetProperty("finishReason").GetProperty("examples")[0].GetString());
        Assert.Equal(60, Schemas(doc).GetProperty("NoteView").GetProperty("properties").GetProperty("pitch").GetProperty("examples")[0].GetInt32());
    }

    [Fact]
    public async Task Every_json_answer_and_body_is_a_named_schema()
    {
        var doc = await DocumentAsync();
        var inline = new List<string>();
        var json = 0;
        foreach (var (path, method, op) in Operations(doc))
        {
            var bodies = op.GetProperty("responses").EnumerateObject().Select(r => (r.Name, r.Value)).ToList();
            if (op.TryGetProperty("requestBody", out var request)) bodies.Add(("request", request));
            foreach (var (name, body) in bodies)
            {
                if (!body.TryGetProperty("content", out var content)) continue;
                foreach (var media in content.EnumerateObject())
                {
                    if (!media.Name.Contains("json", StringComparison.Ordinal) && media.Name != "multipart/form-data") continue;
                    json++;
                    var schema = media.Value.GetProperty("schema");
                    // A named schema, or an array of one (GET /v1/options).
                    var named = schema.TryGetProperty("$ref", out _)
                        || (schema.TryGetProperty("items", out var items) && items.TryGetProperty("$ref", out _) && !schema.TryGetProperty("properties", out _));
                    if (!named) inline.Add($"{method} {path} {name} {media.Name}");
                }
            }
        }
        Assert.True(inline.Count == 0, $"inline (unnamed) JSON schemas: {string.Join(", ", inline)}");
        Assert.True(json >= 40, $"only {json} JSON bodies and answers");
        // No schema nested inside a component is an object of its own: each is a named component too.
        foreach (var schema in Schemas(doc).EnumerateObject())
        {
            if (!schema.Value.TryGetProperty("properties", out var props)) continue;
            foreach (var p in props.EnumerateObject())
            {
                var inner = p.Value.TryGetProperty("items", out var items) ? items : p.Value;
                Assert.False(inner.TryGetProperty("properties", out _), $"{schema.Name}.{p.Name} is an inline object: give it a named record");
            }
        }
        var generate = Operation(doc, "Generate").GetProperty("responses").GetProperty("200").GetProperty("content").GetProperty("application/json");
        Assert.Equal("#/components/schemas/GenerateResponse", generate.GetProperty("schema").GetProperty("$ref").GetString());
    }

    [Fact]
    public async Task The_render_endpoint_takes_a_midi_file_and_answers_audio()
    {
        var doc = await DocumentAsync();
        var render = Operation(doc, "Render");
        var body = render.GetProperty("requestBody");
        Assert.True(body.GetProperty("required").GetBoolean());
        Assert.True(Described(body));
        Assert.Equal(["audio/midi"], body.GetProperty("content").EnumerateObject().Select(c => c.Name));
        Assert.Equal("binary", body.GetProperty("content").GetProperty("audio/midi").GetProperty("schema").GetProperty("format").GetString());
        var format = render.GetProperty("parameters").EnumerateArray().Single(p => p.GetProperty("name").GetString() == "format");
        Assert.Equal(["wav", "flac"], format.GetProperty("schema").GetProperty("enum").EnumerateArray().Select(e => e.GetString()));
        var responses = render.GetProperty("responses");
        Assert.Equal(["audio/wav", "audio/flac"], responses.GetProperty("200").GetProperty("content").EnumerateObject().Select(c => c.Name));
        foreach (var status in new[] { "400", "413", "415", "429", "501", "504" })
            Assert.True(responses.GetProperty(status).GetProperty("content").TryGetProperty("application/problem+json", out _), $"render {status}");
    }

    [Fact]
    public async Task The_generation_request_describes_and_exemplifies_every_option_from_its_one_declaration()
    {
        var doc = await DocumentAsync();
        var properties = Schemas(doc).GetProperty("GenerateRequest").GetProperty("properties");
        foreach (var p in properties.EnumerateObject())
        {
            Assert.True(Described(p.Value), $"generation request field '{p.Name}' has no description");
            Assert.True(p.Value.TryGetProperty("examples", out var examples) && examples.GetArrayLength() == 1, $"generation request field '{p.Name}' has no example");
        }
        foreach (var o in GenerationOptions.All)
        {
            // The example is a value the service takes: the same reader as the JSON body, then the engine's range check.
            Assert.True(o.Example is not null, $"option '{o.Name}' has no Example in GenerationOptions.All (the OpenAPI schema and /docs show it)");
            var request = new GenerationRequest();
            var example = properties.GetProperty(o.Name).GetProperty("examples")[0];
            Assert.Null(GenerationOptionReader.Apply(request, o, example));
            Assert.DoesNotContain(request.Check(int.MaxValue), e => e.Key == o.Name);
        }
        var form = Schemas(doc).GetProperty("GenerateForm").GetProperty("properties");
        Assert.Equal(properties.EnumerateObject().Select(p => p.Name), form.EnumerateObject().Select(p => p.Name));
        Assert.Equal("binary", form.GetProperty("primer").GetProperty("format").GetString()); // a file field in a form
        foreach (var id in new[] { "Generate", "GenerateStream" })
        {
            var content = Operation(doc, id).GetProperty("requestBody").GetProperty("content");
            Assert.Equal(JsonValueKind.Object, content.GetProperty("application/json").GetProperty("example").ValueKind);
            Assert.EndsWith("/GenerateForm", content.GetProperty("multipart/form-data").GetProperty("schema").GetProperty("$ref").GetString());
        }
    }

    [Fact]
    public async Task A_request_with_the_documented_example_body_generates()
    {
        var doc = await DocumentAsync();
        var example = Operation(doc, "Generate").GetProperty("requestBody").GetProperty("content").GetProperty("application/json").GetProperty("example");
        var body = JsonSerializer.Deserialize<Dictionary<string, JsonElement>>(example.GetRawText())!;
        body["tokens"] = JsonSerializer.SerializeToElement(16); // the tiny model's context is short
        using var response = await fx.Client.PostAsync("/v1/generate", new StringContent(JsonSerializer.Serialize(body), System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("audio/midi", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task Answers_have_their_real_content_types()
    {
        var doc = await DocumentAsync();
        var generate = Operation(doc, "Generate").GetProperty("responses").GetProperty("200").GetProperty("content");
        var types = generate.EnumerateObject().Select(c => c.Name).ToList();
        Assert.Equal("audio/midi", types[0]); // what a client gets without Accept: application/json
        Assert.Contains("application/json", types);
        Assert.Equal("binary", generate.GetProperty("audio/midi").GetProperty("schema").GetProperty("format").GetString());
        var stream = Operation(doc, "GenerateStream").GetProperty("responses").GetProperty("200").GetProperty("content");
        Assert.Equal(["text/event-stream"], stream.EnumerateObject().Select(c => c.Name));

        var errors = 0;
        foreach (var (path, method, op) in Operations(doc))
        {
            foreach (var response in op.GetProperty("responses").EnumerateObject())
            {
                Assert.True(response.Value.TryGetProperty("content", out var content) && content.EnumerateObject().Any(),
                    $"{method} {path} {response.Name} declares no content type");
                if (response.Name[0] is not ('4' or '5')) continue;
                errors++;
                Assert.True(content.TryGetProperty("application/problem+json", out _), $"{method} {path} {response.Name} is not application/problem+json");
            }
        }
        Assert.True(errors >= 10, $"only {errors} error answers declared");
    }

    [Fact]
    public async Task Docs_serve_the_interactive_reference_from_the_service_itself()
    {
        var page = await fx.Client.GetAsync("/docs/");
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);
        var html = await page.Content.ReadAsStringAsync();
        Assert.Contains("openapi/v1.json", html, StringComparison.Ordinal);
        Assert.Contains("src=\"scalar.js\"", html, StringComparison.Ordinal);
        Assert.DoesNotContain("https://", html, StringComparison.Ordinal); // no CDN
        Assert.Contains("\"telemetry\":false", html, StringComparison.Ordinal);
        Assert.Contains("\"withDefaultFonts\":false", html, StringComparison.Ordinal);
        var script = await fx.Client.GetAsync("/docs/scalar.js");
        Assert.Equal(HttpStatusCode.OK, script.StatusCode);
        Assert.True((await script.Content.ReadAsByteArrayAsync()).Length > 100_000, "the reference's script is served by the service (no CDN)");
    }

    [Fact]
    public async Task Docs_render_the_endpoints_in_a_browser_without_leaving_the_service()
    {
        await using var factory = new ServerFactory(fx.Factory.ModelsPath);
        factory.UseKestrelOnLoopback();
        factory.StartServer();
        var baseUrl = factory.CreateClient().BaseAddress!.ToString();

        using var playwright = await Playwright.CreateAsync();
        await using var browser = await TestBrowser.LaunchAsync(playwright);
        var page = await browser.NewPageAsync(new() { ViewportSize = new() { Width = 1440, Height = 1000 } });
        var errors = new List<string>();
        var outside = new List<string>();
        page.PageError += (_, e) => errors.Add(e);
        page.Request += (_, r) =>
        {
            if (!r.Url.StartsWith(baseUrl, StringComparison.Ordinal) && !r.Url.StartsWith("data:", StringComparison.Ordinal) && !r.Url.StartsWith("blob:", StringComparison.Ordinal))
                lock (outside) outside.Add(r.Url);
        };
        await page.GotoAsync(baseUrl + "docs/");
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "MusicGen", Exact = true })).ToBeVisibleAsync(new() { Timeout = 30_000 });
        await Assertions.Expect(page.GetByText("/v1/generate/stream").First).ToBeAttachedAsync();
        await page.GetByText("/v1/generate", new() { Exact = true }).First.ClickAsync();
        if (Environment.GetEnvironmentVariable("MUSICGEN_DOCS_SCREENSHOT") is { Length: > 0 } shot)
        {
            await page.WaitForLoadStateAsync(LoadState.NetworkIdle);
            await page.ScreenshotAsync(new() { Path = shot });
        }
        // A field's description from the options declaration is on the page.
        await Assertions.Expect(page.GetByText(GenerationOptions.Get("tokens").Description).First).ToBeVisibleAsync();
        Assert.Empty(errors);
        lock (outside) Assert.True(outside.Count == 0, $"the reference reached outside the service: {string.Join(", ", outside.Distinct())}");
    }
}
