using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Options;
using MusicGen.Server.Listening;

namespace MusicGen.Server.Tests;

/// <summary>The listening API over HTTP: no real file can be downloaded, clips carry nothing but music, answers are final, options are checked at start.</summary>
public sealed class ListeningApiTests
{
    private static async Task<(ServerFactory Factory, HttpClient Client)> StartAsync(ListeningSetup setup)
    {
        var factory = new ServerFactory(setup.ModelsPath, setup.Settings);
        return (factory, await factory.ReadyClientAsync());
    }

    private static async Task<JsonElement> StartSessionAsync(HttpClient client, string listener = "tester")
    {
        var res = await client.PostAsJsonAsync("/v1/listening/sessions", new { listener });
        Assert.Equal(HttpStatusCode.Created, res.StatusCode);
        return await res.Content.ReadFromJsonAsync<JsonElement>();
    }

    [Fact]
    public async Task No_real_file_is_downloadable_and_clips_name_nothing()
    {
        using var setup = new ListeningSetup(files: 6, pairs: 4, seconds: 3);
        var (factory, client) = await StartAsync(setup);
        await using var _ = factory;
        var session = await StartSessionAsync(client);
        var pairIds = session.GetProperty("pairs").EnumerateArray().Select(p => p.GetString()!).ToList();
        Assert.Equal(4, pairIds.Count);
        Assert.All(pairIds, id => Assert.Matches("^[0-9a-f]{32}$", id));

        // The clips: note events only, the same shape for both, never cached, never an attachment.
        var res = await client.GetAsync($"/v1/listening/pairs/{pairIds[0]}");
        Assert.Equal(HttpStatusCode.OK, res.StatusCode);
        Assert.Equal("no-store", res.Headers.CacheControl?.ToString());
        Assert.Null(res.Content.Headers.ContentDisposition);
        Assert.Equal("application/json", res.Content.Headers.ContentType?.MediaType);
        var body = await res.Content.ReadAsStringAsync();
        var json = JsonDocument.Parse(body).RootElement;
        Assert.Equal(["pair", "position", "pairs", "seconds", "clips"], json.EnumerateObject().Select(p => p.Name));
        var clips = json.GetProperty("clips").EnumerateArray().ToList();
        Assert.Equal(["A", "B"], clips.Select(c => c.GetProperty("label").GetString()));
        foreach (var c in clips)
        {
            Assert.Equal(["label", "format", "seconds", "notes"], c.EnumerateObject().Select(p => p.Name));
            Assert.Equal(3.0, c.GetProperty("seconds").GetDouble()); // both cut to ExcerptSeconds
            Assert.All(c.GetProperty("notes").EnumerateArray(), n => Assert.InRange(n.GetProperty("end").GetDouble(), 0, 3.0));
            foreach (var n in c.GetProperty("notes").EnumerateArray())
                Assert.Equal(["pitch", "velocity", "start", "end", "drum"], n.EnumerateObject().Select(p => p.Name));
        }
        foreach (var leak in new[] { ListeningSetup.FilePrefix, ListeningSetup.FolderName, ".mid", "nested", ListeningSetup.Model, "real", "MThd" })
            Assert.DoesNotContain(leak, body, StringComparison.OrdinalIgnoreCase);

        // Nor do the session and progress answers say which clip is real before the session ends.
        var progress = await client.GetStringAsync($"/v1/listening/sessions/{session.GetProperty("session").GetString()}");
        Assert.DoesNotContain("\"correct\"", progress);

        // The obvious URLs for a real file: none answers with MIDI bytes or the file's content.
        var realBytes = setup.RealFiles.Select(File.ReadAllBytes).ToList();
        var relative = setup.RealFiles.Select(f => Path.GetRelativePath(setup.RealPath, f).Replace('\\', '/')).ToList();
        var urls = new List<string>();
        foreach (var rel in relative)
        {
            var name = Path.GetFileName(rel);
            urls.AddRange([
                $"/{rel}", $"/{name}", $"/{ListeningSetup.FolderName}/{rel}", $"/real/{name}", $"/files/{name}", $"/midi/{name}",
                $"/listening/{name}", $"/v1/listening/{name}", $"/v1/listening/real/{name}", $"/v1/listening/files/{rel}",
                $"/v1/listening/real/{rel}", $"/v1/listening/pairs/{name}", $"/..%2f{ListeningSetup.FolderName}%2f{name}",
                $"/%2e%2e/%2e%2e/{ListeningSetup.FolderName}/{name}", $"/v1/listening/pairs/..%2f..%2f{name}",
            ]);
        }
        foreach (var id in pairIds)
            urls.AddRange([
                $"/v1/listening/pairs/{id}/real", $"/v1/listening/pairs/{id}/a", $"/v1/listening/pairs/{id}/A", $"/v1/listening/pairs/{id}/b",
                $"/v1/listening/pairs/{id}.mid", $"/v1/listening/pairs/{id}/midi", $"/v1/listening/pairs/{id}/download",
                $"/v1/listening/pairs/{id}?format=midi", $"/v1/listening/pairs/{id}?format=file", $"/v1/listening/pairs/{id}?format=real",
            ]);
        foreach (var url in urls)
        {
            var r = await client.GetAsync(url);
            var bytes = await r.Content.ReadAsByteArrayAsync();
            Assert.False(bytes.AsSpan().IndexOf("MThd"u8) >= 0, $"{url} answered MIDI bytes ({(int)r.StatusCode})");
            Assert.DoesNotContain(realBytes, b => b.AsSpan().SequenceEqual(bytes));
            Assert.DoesNotContain(ListeningSetup.FilePrefix, Encoding.UTF8.GetString(bytes), StringComparison.Ordinal);
            Assert.NotEqual("audio/midi", r.Content.Headers.ContentType?.MediaType);
            if (url.Contains("?format=", StringComparison.Ordinal)) Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode);
        }

        // Answers are final and close the pair: its clips are no longer served.
        var answer = await client.PostAsJsonAsync($"/v1/listening/pairs/{pairIds[0]}/answer", new { choice = "b" });
        Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, (await client.PostAsJsonAsync($"/v1/listening/pairs/{pairIds[0]}/answer", new { choice = "A" })).StatusCode);
        Assert.Equal(HttpStatusCode.Gone, (await client.GetAsync($"/v1/listening/pairs/{pairIds[0]}")).StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, (await client.PostAsJsonAsync($"/v1/listening/pairs/{pairIds[1]}/answer", new { choice = "A" })).StatusCode); // not played yet
        Assert.Equal(HttpStatusCode.BadRequest, (await client.PostAsJsonAsync($"/v1/listening/pairs/{pairIds[1]}/answer", new { choice = "C" })).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync($"/v1/listening/pairs/{new string('0', 32)}")).StatusCode);
    }

    [Fact]
    public async Task Clips_of_a_pair_are_the_same_each_time_it_is_fetched()
    {
        using var setup = new ListeningSetup(files: 3, pairs: 2, seconds: 3);
        var (factory, client) = await StartAsync(setup);
        await using var _ = factory;
        var session = await StartSessionAsync(client);
        var id = session.GetProperty("pairs")[1].GetString();
        var first = await client.GetStringAsync($"/v1/listening/pairs/{id}");
        var second = await client.GetStringAsync($"/v1/listening/pairs/{id}");
        Assert.Equal(first, second); // the generation seed is part of the recorded assignment
    }

    [Fact]
    public void Assignment_is_seeded_balanced_and_spread_over_models()
    {
        string[] models = ["m1", "m2", "m3"];
        var files = Enumerable.Range(0, 20).Select(i => $"f{i}.mid").ToArray();
        var a = ListeningService.Assign(1234, 10, models, files);
        Assert.Equal(a, ListeningService.Assign(1234, 10, models, files));
        Assert.NotEqual(a, ListeningService.Assign(1235, 10, models, files));
        Assert.Equal(5, a.Count(p => p.RealClip == 'A'));
        Assert.Equal([4, 3, 3], models.Select(m => a.Count(p => p.Model == m)).OrderDescending());
        Assert.Equal(10, a.Select(p => p.RealFile).Distinct().Count());        // no file twice while there are enough
        Assert.Equal(10, a.Select(p => p.GenerationSeed).Distinct().Count());
        Assert.Equal(3, ListeningService.Assign(1, 3, models, ["only.mid"]).Count(p => p.RealFile == "only.mid"));
    }

    [Theory]
    [InlineData("RealMidiPath", "does-not-exist", "RealMidiPath: folder")]
    [InlineData("Models:0", "no-such-model", "no package named 'no-such-model'")]
    [InlineData("DatabasePath", "missing-dir/sub/listening.db", "DatabasePath: cannot create or write")]
    [InlineData("PairsPerSession", "0", "PairsPerSession")]
    public async Task Bad_options_stop_the_service_at_start_with_the_reason(string key, string value, string message)
    {
        using var setup = new ListeningSetup(files: 2);
        setup.Settings[$"MusicGen:Listening:{key}"] = key is "RealMidiPath" or "DatabasePath" ? Path.Combine(setup.Root, value) : value;
        // StartDelay: the entry point runs ahead of the host's start, the order in which the reason used to be lost
        await using var factory = new ServerFactory(setup.ModelsPath, setup.Settings) { StartDelay = TimeSpan.FromMilliseconds(500) };
        var ex = Assert.ThrowsAny<Exception>(() => factory.CreateClient());
        var all = ex is OptionsValidationException o ? string.Join(" | ", o.Failures) : ex.ToString();
        Assert.Contains(message, all);
    }

    [Fact]
    public async Task A_folder_without_MIDI_files_is_refused_and_an_unconfigured_test_answers_404()
    {
        using var setup = new ListeningSetup(files: 1);
        var empty = Path.Combine(setup.Root, "empty");
        Directory.CreateDirectory(empty);
        await File.WriteAllTextAsync(Path.Combine(empty, "notes.txt"), "not midi");
        setup.Settings["MusicGen:Listening:RealMidiPath"] = empty;
        await using (var factory = new ServerFactory(setup.ModelsPath, setup.Settings))
        {
            var ex = Assert.ThrowsAny<Exception>(() => factory.CreateClient());
            Assert.Contains("has no .mid or .midi file", ex is OptionsValidationException o ? string.Join(" | ", o.Failures) : ex.ToString());
        }

        await using var off = new ServerFactory(setup.ModelsPath);
        var client = await off.ReadyClientAsync();
        var res = await client.GetAsync("/v1/listening");
        Assert.Equal(HttpStatusCode.NotFound, res.StatusCode);
        Assert.Contains("RealMidiPath", await res.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.NotFound, (await client.PostAsJsonAsync("/v1/listening/sessions", new { listener = "x" })).StatusCode);
    }
}
