using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using MusicGen.Core.Midi;

namespace MusicGen.Server.Tests;

/// <summary>One service with one tiny package, shared by the API tests.</summary>
public sealed class ApiFixture : IAsyncLifetime
{
    private readonly TempDir _dir = new();
    public ServerFactory Factory { get; private set; } = null!;
    public HttpClient Client { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        TestPackages.Write(Path.Combine(_dir.Path, "tiny"), "tiny", "1", seed: 1);
        Factory = new ServerFactory(_dir.Path);
        Client = await Factory.ReadyClientAsync();
    }

    public async Task DisposeAsync()
    {
        Client.Dispose();
        await Factory.DisposeAsync();
        _dir.Dispose();
    }
}

public sealed class ApiTests(ApiFixture fx) : IClassFixture<ApiFixture>
{
    private HttpClient Client => fx.Client;

    [Fact]
    public async Task Models_lists_the_loaded_package()
    {
        var models = await ServerFactory.ModelsAsync(Client);
        Assert.Equal("tiny", models.GetProperty("defaultModel").GetString());
        var m = models.GetProperty("models")[0];
        Assert.Equal("tiny", m.GetProperty("name").GetString());
        Assert.Equal("1", m.GetProperty("version").GetString());
        Assert.Equal("transformer", m.GetProperty("architecture").GetString());
        Assert.Equal("chorale", m.GetProperty("tokenizer").GetString());
        Assert.Equal(512, m.GetProperty("contextLength").GetInt32());
        Assert.Equal("active", m.GetProperty("state").GetString());
    }

    [Fact]
    public async Task Health_and_readiness()
    {
        Assert.Equal(HttpStatusCode.OK, (await Client.GetAsync("/healthz")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await Client.GetAsync("/readyz")).StatusCode);
    }

    [Fact]
    public async Task Generate_returns_a_midi_file_the_reader_accepts()
    {
        var resp = await Client.PostAsJsonAsync("/v1/generate", new { tokens = 48, seed = 7 });
        Assert.Equal(HttpStatusCode.OK, resp.StatusCode);
        Assert.Equal("audio/midi", resp.Content.Headers.ContentType?.MediaType);
        var bytes = await resp.Content.ReadAsByteArrayAsync();
        var midi = MidiFile.Read(bytes);
        Assert.NotNull(midi);
        Assert.Equal("MThd"u8.ToArray(), bytes[..4]);
    }

    [Fact]
    public async Task Generated_midi_opens_in_python3_mido_with_the_same_notes()
    {
        using var msg = new HttpRequestMessage(HttpMethod.Post, "/v1/generate") { Content = JsonContent.Create(new { tokens = 300, seed = 21, tokenBias = new Dictionary<string, float> { ["EOS"] = -1000 } }) };
        msg.Headers.Accept.ParseAdd("application/json");
        var body = await (await Client.SendAsync(msg)).Content.ReadFromJsonAsync<JsonElement>();
        var notes = body.GetProperty("notes").GetArrayLength();
        Assert.True(notes > 0);
        var path = Path.Combine(Path.GetTempPath(), $"musicgen-mido-{Guid.NewGuid():N}.mid");
        await File.WriteAllBytesAsync(path, Convert.FromBase64String(body.GetProperty("midi").GetString()!));
        try
        {
            // Debian's python3-mido (installed by .ci/run), an independent reader: it must open the file as is.
            var psi = new System.Diagnostics.ProcessStartInfo("/usr/bin/python3",
                ["-c", "import mido,sys; m=mido.MidiFile(sys.argv[1]); print(sum(1 for t in m.tracks for e in t if e.type == 'note_on' and e.velocity > 0))", path])
            { RedirectStandardOutput = true, RedirectStandardError = true };
            using var p = System.Diagnostics.Process.Start(psi)!;
            var output = await p.StandardOutput.ReadToEndAsync();
            var error = await p.StandardError.ReadToEndAsync();
            await p.WaitForExitAsync();
            Assert.True(p.ExitCode == 0, error);
            Assert.Equal(notes, int.Parse(output.Trim(), System.Globalization.CultureInfo.InvariantCulture));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public async Task Json_answer_has_tokens_notes_and_timing_and_the_same_seed_repeats()
    {
        async Task<JsonElement> Once()
        {
            using var msg = new HttpRequestMessage(HttpMethod.Post, "/v1/generate") { Content = JsonContent.Create(new { tokens = 40, seed = 11, temperature = 0.9, topP = 0.95 }) };
            msg.Headers.Accept.ParseAdd("application/json");
            var resp = await Client.SendAsync(msg);
            Assert.Equal(HttpStatusCode.OK, resp.StatusCode);
            return await resp.Content.ReadFromJsonAsync<JsonElement>();
        }
        var a = await Once();
        var b = await Once();
        Assert.True(a.GetProperty("tokens").GetArrayLength() is > 0 and <= 40);
        Assert.Equal(a.GetProperty("tokens").GetRawText(), b.GetProperty("tokens").GetRawText());
        Assert.Equal(a.GetProperty("midi").GetString(), b.GetProperty("midi").GetString());
        Assert.Equal(11, a.GetProperty("seed").GetInt64());
        Assert.True(a.GetProperty("timing").GetProperty("totalSeconds").GetDouble() > 0);
        Assert.Equal(JsonValueKind.Array, a.GetProperty("notes").ValueKind);
        Assert.Equal(a.GetProperty("tokens").GetArrayLength(), a.GetProperty("tokenNames").GetArrayLength());
    }

    [Theory]
    [InlineData("""{"model":"nope"}""", "model")]
    [InlineData("""{"tokens":-5}""", "tokens")]
    [InlineData("""{"tokens":0}""", "tokens")]
    [InlineData("""{"tokens":100000000}""", "tokens")]
    [InlineData("""{"tokens":600}""", "tokens")]
    [InlineData("""{"temperature":-1}""", "temperature")]
    [InlineData("""{"topP":0}""", "topP")]
    [InlineData("""{"topP":1.5}""", "topP")]
    [InlineData("""{"bars":-1}""", "bars")]
    [InlineData("""{"seconds":0}""", "seconds")]
    [InlineData("""{"minP":1}""", "minP")]
    [InlineData("""{"repetitionPenalty":0.5}""", "repetitionPenalty")]
    [InlineData("""{"primer":"not base64!"}""", "primer")]
    [InlineData("""{"tokenBias":{"NoSuchToken":1}}""", "tokenBias")]
    [InlineData("""{"temperature":"hot"}""", "temperature")]
    [InlineData("""{"tokenz":12}""", "tokenz")]
    [InlineData("""{"tokens":"abc"}""", "tokens")]
    [InlineData("""{"tokens":1.5}""", "tokens")]
    [InlineData("""{"greedy":"yes"}""", "greedy")]
    [InlineData("""{"tokenBias":{"EOS":"low"}}""", "tokenBias")]
    [InlineData("""null""", "body")]
    [InlineData("""[1, 2]""", "body")]
    [InlineData("""{"tokens": 12""", "body")]
    [InlineData("""{"primer":""}""", "primer")]
    public async Task Bad_fields_get_a_problem_details_naming_the_field(string body, string field)
    {
        var resp = await Client.PostAsync("/v1/generate", new StringContent(body, System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, resp.StatusCode);
        Assert.Equal("application/problem+json", resp.Content.Headers.ContentType?.MediaType);
        var problem = await resp.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(400, problem.GetProperty("status").GetInt32());
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out var messages), $"errors has no '{field}': {problem}");
        Assert.False(string.IsNullOrWhiteSpace(messages[0].GetString()));
        Assert.DoesNotContain("System.", problem.ToString());
        Assert.DoesNotContain("Nullable", problem.ToString());
        Assert.DoesNotContain("MusicGen.", problem.ToString());
    }

    [Fact]
    public async Task Type_errors_say_the_field_and_the_expected_type_in_words()
    {
        var resp = await Client.PostAsync("/v1/generate", new StringContent("""{"tokens":"abc","tokenz":12}""", System.Text.Encoding.UTF8, "application/json"));
        var problem = await resp.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(HttpStatusCode.BadRequest, resp.StatusCode);
        Assert.Contains("whole number", problem.GetProperty("errors").GetProperty("tokens")[0].GetString());
        Assert.Contains("unknown field 'tokenz'", problem.GetProperty("errors").GetProperty("tokenz")[0].GetString());
    }

    [Fact]
    public async Task An_empty_primer_file_in_a_form_is_a_400()
    {
        using var form = new MultipartFormDataContent { { new StringContent("8"), "tokens" }, { new ByteArrayContent([]), "primer", "empty.mid" } };
        var resp = await Client.PostAsync("/v1/generate", form);
        Assert.Equal(HttpStatusCode.BadRequest, resp.StatusCode);
        var problem = await resp.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Contains("empty", problem.GetProperty("errors").GetProperty("primer")[0].GetString());
    }

    [Fact]
    public async Task Greedy_ignores_temperature()
    {
        var resp = await Client.PostAsJsonAsync("/v1/generate", new { tokens = 8, greedy = true, temperature = 0 });
        Assert.Equal(HttpStatusCode.OK, resp.StatusCode);
    }

    [Fact]
    public async Task Malformed_primer_midi_reports_the_readers_offset()
    {
        // A header chunk that claims 6 bytes but the file ends after 2 of them: no reader can repair that.
        var junk = Convert.ToBase64String([(byte)'M', (byte)'T', (byte)'h', (byte)'d', 0, 0, 0, 6, 0, 1]);
        var resp = await Client.PostAsJsonAsync("/v1/generate", new { tokens = 8, primer = junk });
        Assert.Equal(HttpStatusCode.BadRequest, resp.StatusCode);
        var problem = await resp.Content.ReadFromJsonAsync<JsonElement>();
        var message = problem.GetProperty("errors").GetProperty("primer")[0].GetString()!;
        Assert.Matches(@"at byte \d+", message);
        Assert.True(problem.GetProperty("offset").GetInt64() >= 0);
    }

    [Fact]
    public async Task Multipart_upload_with_a_primer_file_continues_it()
    {
        // A primer made by the service itself: a valid MIDI file.
        var primer = await (await Client.PostAsJsonAsync("/v1/generate", new { tokens = 24, seed = 3 })).Content.ReadAsByteArrayAsync();
        using var form = new MultipartFormDataContent
        {
            { new StringContent("16"), "tokens" },
            { new StringContent("5"), "seed" },
            { new ByteArrayContent(primer), "primer", "primer.mid" },
        };
        using var msg = new HttpRequestMessage(HttpMethod.Post, "/v1/generate") { Content = form };
        msg.Headers.Accept.ParseAdd("application/json");
        var resp = await Client.SendAsync(msg);
        Assert.Equal(HttpStatusCode.OK, resp.StatusCode);
        var body = await resp.Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(body.GetProperty("primerTokens").GetInt32() > 1);
    }

    [Fact]
    public async Task Oversized_body_gets_413()
    {
        var big = new string('A', 2 << 20);
        var resp = await Client.PostAsync("/v1/generate", new StringContent($$"""{"primer":"{{big}}"}""", System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, resp.StatusCode);
    }

    [Fact]
    public async Task Stream_sends_tokens_notes_then_the_midi()
    {
        using var msg = new HttpRequestMessage(HttpMethod.Post, "/v1/generate/stream") { Content = JsonContent.Create(new { tokens = 256, seed = 2, tokenBias = new Dictionary<string, float> { ["EOS"] = -1000 } }) };
        var resp = await Client.SendAsync(msg, HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, resp.StatusCode);
        Assert.Equal("text/event-stream", resp.Content.Headers.ContentType?.MediaType);
        var events = await Sse.ReadAllAsync(await resp.Content.ReadAsStreamAsync());
        Assert.Equal("start", events[0].Event);
        Assert.True(events.Count(e => e.Event == "token") == 256, string.Join("\n", events.Select(e => e.Event + " " + e.Data)));
        Assert.Contains(events, e => e.Event == "note");
        var done = events[^1];
        Assert.Equal("done", done.Event);
        var midi = Convert.FromBase64String(done.Data.GetProperty("midi").GetString()!);
        Assert.NotNull(MidiFile.Read(midi));
        Assert.Equal("max_tokens", done.Data.GetProperty("finishReason").GetString());
        // Notes came before the end, while tokens were still arriving.
        // One rule: each note is sent once, when final; together they are the notes of the finished piece.
        var sent = events.Where(e => e.Event == "note").Select(e => e.Data.GetRawText()).ToList();
        Assert.Equal(sent.Count, sent.Distinct().Count());
        Assert.Equal(done.Data.GetProperty("notes").GetArrayLength(), sent.Count);
        var firstNote = events.FindIndex(e => e.Event == "note");
        var lastToken = events.FindLastIndex(e => e.Event == "token");
        Assert.True(firstNote < lastToken);
    }

    [Fact]
    public async Task Openapi_document_describes_the_endpoints()
    {
        var doc = await Client.GetStringAsync("/openapi/v1.json");
        Assert.Contains("/v1/generate", doc);
        Assert.Contains("/v1/generate/stream", doc);
        Assert.Contains("/v1/models", doc);
    }

    [Fact]
    public async Task Metrics_are_exposed_for_prometheus()
    {
        await Client.PostAsJsonAsync("/v1/generate", new { tokens = 8 });
        var text = "";
        await ServerFactory.Until(async () => (text = await Client.GetStringAsync("/metrics")).Contains("musicgen_requests"), "metrics");
        Assert.Contains("musicgen_batch_size", text);
        Assert.Contains("musicgen_queue_depth", text);
        Assert.Contains("musicgen_model_versions", text);
        Assert.Contains("musicgen_time_to_first_token", text);
    }

    [Fact]
    public async Task Unknown_version_and_model_activation_are_problems()
    {
        var r1 = await Client.PostAsJsonAsync("/v1/models/tiny/activate", new { version = "99" });
        Assert.Equal(HttpStatusCode.NotFound, r1.StatusCode);
        var r2 = await Client.PostAsJsonAsync("/v1/models/nope/activate", new { version = "1" });
        Assert.Equal(HttpStatusCode.NotFound, r2.StatusCode);
        var r3 = await Client.PostAsJsonAsync("/v1/models/tiny/activate", new { });
        Assert.Equal(HttpStatusCode.BadRequest, r3.StatusCode);
    }
}

/// <summary>A tiny Server-Sent Events reader for tests.</summary>
internal static class Sse
{
    public sealed record Item(string Event, JsonElement Data);

    public static async Task<List<Item>> ReadAllAsync(Stream stream, Func<Item, bool>? stopAfter = null, CancellationToken cancel = default)
    {
        var list = new List<Item>();
        using var reader = new StreamReader(stream, leaveOpen: true);
        string? ev = null;
        var data = new System.Text.StringBuilder();
        while (await reader.ReadLineAsync(cancel) is { } line)
        {
            if (line.StartsWith("event:", StringComparison.Ordinal)) ev = line[6..].Trim();
            else if (line.StartsWith("data:", StringComparison.Ordinal)) data.Append(line[5..].Trim());
            else if (line.Length == 0 && data.Length > 0)
            {
                var item = new Item(ev ?? "message", JsonDocument.Parse(data.ToString()).RootElement.Clone());
                list.Add(item);
                ev = null;
                data.Clear();
                if (stopAfter?.Invoke(item) == true) break;
            }
        }
        return list;
    }
}
