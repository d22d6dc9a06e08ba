using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using MusicGen.Cli.Commands;
using MusicGen.Inference;

namespace MusicGen.Server.Tests;

/// <summary>
/// Every generation option (declared once, in <see cref="GenerationOptions.All"/>) reaches every front end: the JSON
/// and form bodies, the OpenAPI schema, the options list the page builds its controls from, and the CLI flags. A new
/// option that one of them misses fails here.
/// </summary>
public sealed class OptionsTests(ApiFixture fx) : IClassFixture<ApiFixture>
{
    private HttpClient Client => fx.Client;

    public static TheoryData<string> Names()
    {
        var data = new TheoryData<string>();
        foreach (var o in GenerationOptions.All) data.Add(o.Name);
        return data;
    }

    /// <summary>A value of the right kind for each option (not necessarily one this tiny chorale model can express).</summary>
    private static object Sample(GenerationOption o) => o.Kind switch
    {
        GenerationOptionKind.Integer => o.Name == "tokens" ? 8 : (long)(o.Minimum ?? 0) + (o.Name == "noRepeatNgram" ? 2 : 1),
        GenerationOptionKind.Number => o.Name == "seconds" ? 1.0 : o.Name == "topP" ? 0.9 : (o.Minimum ?? 0) + 0.5,
        GenerationOptionKind.Boolean => o.Default is not true,
        GenerationOptionKind.TextList => new[] { "Bar" },
        GenerationOptionKind.TokenBias => new Dictionary<string, float> { ["EOS"] = -2 },
        GenerationOptionKind.Midi => Convert.ToBase64String([1, 2, 3]),
        _ => "3/4",
    };

    [Theory]
    [MemberData(nameof(Names))]
    public async Task The_json_body_takes_every_option(string name)
    {
        var o = GenerationOptions.Get(name);
        var body = new Dictionary<string, object> { [name] = Sample(o) };
        if (name != "tokens") body["tokens"] = 8;
        var resp = await Client.PostAsJsonAsync("/v1/generate", body);
        await AssertKnown(resp, name);
    }

    [Theory]
    [MemberData(nameof(Names))]
    public async Task The_form_body_takes_every_option(string name)
    {
        var o = GenerationOptions.Get(name);
        using var form = new MultipartFormDataContent();
        if (name != "tokens") form.Add(new StringContent("8"), "tokens");
        if (o.Kind == GenerationOptionKind.Midi) form.Add(new ByteArrayContent([1, 2, 3]), name, "primer.mid");
        else
        {
            var sample = Sample(o);
            var text = sample switch
            {
                string[] list => string.Join(' ', list),
                Dictionary<string, float> bias => string.Join(' ', bias.Select(b => $"{b.Key}={b.Value.ToString(CultureInfo.InvariantCulture)}")),
                bool b => b ? "true" : "false",
                _ => Convert.ToString(sample, CultureInfo.InvariantCulture)!,
            };
            form.Add(new StringContent(text), name);
        }
        await AssertKnown(await Client.PostAsync("/v1/generate", form), name);
    }

    [Fact]
    public async Task The_openapi_schema_and_the_options_list_describe_every_option()
    {
        using var doc = JsonDocument.Parse(await Client.GetStringAsync("/openapi/v1.json"));
        var properties = doc.RootElement.GetProperty("components").GetProperty("schemas").GetProperty("GenerateRequest").GetProperty("properties");
        var listed = await Client.GetFromJsonAsync<JsonElement>("/v1/options");
        var names = listed.EnumerateArray().Select(e => e.GetProperty("name").GetString()).ToHashSet();
        foreach (var o in GenerationOptions.All)
        {
            Assert.True(properties.TryGetProperty(o.Name, out var p), $"the OpenAPI schema lacks '{o.Name}'");
            Assert.StartsWith(o.Description, p.GetProperty("description").GetString());
            Assert.Contains(o.Name, names);
        }
    }

    [Fact]
    public void The_cli_has_a_flag_for_every_option()
    {
        var flags = GenerateCommands.Create().Options.Select(f => f.Name).ToHashSet();
        foreach (var o in GenerationOptions.All) Assert.True(flags.Contains(o.Flag), $"musicgen generate lacks {o.Flag} ({o.Name})");
    }

    public static TheoryData<string, double> OutOfRange()
    {
        var data = new TheoryData<string, double>();
        foreach (var o in GenerationOptions.All)
        {
            if (o.Kind is not (GenerationOptionKind.Integer or GenerationOptionKind.Number) || o.Name == "seed") continue;
            if (o.Minimum is { } lo) data.Add(o.Name, o.MinimumExclusive ? lo : lo - 1);
            if (o.Maximum is { } hi) data.Add(o.Name, o.MaximumExclusive ? hi : hi + 1);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(OutOfRange))]
    public async Task A_value_past_an_options_limit_is_a_400_naming_it(string name, double value)
    {
        var json = $$"""{"{{name}}": {{value.ToString(CultureInfo.InvariantCulture)}}}""";
        var resp = await Client.PostAsync("/v1/generate", new StringContent(json, System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, resp.StatusCode);
        var problem = await resp.Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(problem.GetProperty("errors").TryGetProperty(name, out _), $"{json}: {problem}");
    }

    [Fact]
    public async Task Temperature_zero_is_greedy()
    {
        var zero = await (await Client.PostAsJsonAsync("/v1/generate", new { tokens = 40, seed = 1, temperature = 0 })).Content.ReadAsByteArrayAsync();
        var greedy = await (await Client.PostAsJsonAsync("/v1/generate", new { tokens = 40, seed = 2, greedy = true })).Content.ReadAsByteArrayAsync();
        Assert.Equal(greedy, zero);
    }

    /// <summary>Whatever the answer, the option was not refused as unknown or of the wrong kind.</summary>
    private static async Task AssertKnown(HttpResponseMessage resp, string name)
    {
        if (resp.StatusCode == HttpStatusCode.OK) return;
        var text = await resp.Content.ReadAsStringAsync();
        Assert.True(resp.StatusCode == HttpStatusCode.BadRequest, text);
        Assert.DoesNotContain("unknown field", text);
        Assert.DoesNotContain($"{name} must be a", text);
    }
}
