using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace MusicGen.Server.Tests;

/// <summary>Hot swap under load, corrupt packages, rollback, and unloading once drained.</summary>
public sealed class RegistryTests
{
    private static JsonElement Model(JsonElement models, string name) =>
        models.GetProperty("models").EnumerateArray().First(m => m.GetProperty("name").GetString() == name);

    internal static string? VersionState(JsonElement models, string name, string version) =>
        Model(models, name).GetProperty("versions").EnumerateArray()
            .Where(v => v.GetProperty("version").GetString() == version).Select(v => v.GetProperty("state").GetString()).FirstOrDefault();

    [Fact]
    public async Task Hot_swap_under_load_then_corrupt_package_then_rollback_with_no_failed_request()
    {
        using var dir = new TempDir();
        var live = Path.Combine(dir.Path, "tiny");
        TestPackages.Write(live, "tiny", "1", seed: 1);
        // No rate limit: the 8 loopback clients below would exceed the default per-address budget with this tiny model.
        await using var factory = new ServerFactory(dir.Path, new() { ["MusicGen:RateLimitPerSecond"] = "0" });
        var client = await factory.ReadyClientAsync();

        // Steady load from 8 clients for the whole test.
        using var stop = new CancellationTokenSource();
        var failures = new ConcurrentBag<string>();
        var versionsSeen = new ConcurrentDictionary<string, int>();
        var ok = 0;
        var load = Enumerable.Range(0, 8).Select(c => Task.Run(async () =>
        {
            var i = 0;
            while (!stop.IsCancellationRequested)
            {
                var resp = await client.PostAsJsonAsync("/v1/generate", new { tokens = 24, seed = c * 10_000 + i++ });
                if (resp.StatusCode != HttpStatusCode.OK) failures.Add($"{(int)resp.StatusCode} {await resp.Content.ReadAsStringAsync()}");
                else
                {
                    Interlocked.Increment(ref ok);
                    versionsSeen.AddOrUpdate(resp.Headers.GetValues("X-MusicGen-Version").Single(), 1, (_, n) => n + 1);
                }
            }
        })).ToArray();

        // 1. A new version copied over the live folder, file by file, becomes active.
        var staged = Path.Combine(Path.GetTempPath(), $"musicgen-v2-{Guid.NewGuid():N}");
        TestPackages.Write(staged, "tiny", "2", seed: 2);
        TestPackages.CopyDirectory(staged, live);
        Directory.Delete(staged, recursive: true);
        await ServerFactory.Until(async () => ServerFactory.ActiveVersion(await ServerFactory.ModelsAsync(client), "tiny") == "2", "version 2 to become active");
        await ServerFactory.Until(() => Task.FromResult(versionsSeen.ContainsKey("2")), "a request served by version 2");
        var models = await ServerFactory.ModelsAsync(client);
        Assert.Equal("standby", VersionState(models, "tiny", "1")); // kept loaded for rollback

        // 2. A corrupt package (truncated ONNX) is rejected; version 2 keeps serving.
        TestPackages.WriteTruncated(Path.Combine(dir.Path, "tiny@3"), "tiny", "3", seed: 3);
        await ServerFactory.Until(async () => (await ServerFactory.ModelsAsync(client)).GetProperty("rejected").GetArrayLength() > 0, "the corrupt package to be rejected");
        models = await ServerFactory.ModelsAsync(client);
        Assert.Equal("2", ServerFactory.ActiveVersion(models, "tiny"));
        var reason = models.GetProperty("rejected")[0].GetProperty("reason").GetString()!;
        Assert.Contains("model.fast.onnx", reason);
        Assert.Equal("rejected", VersionState(models, "tiny", "3"));
        var okBefore = Volatile.Read(ref ok);
        await ServerFactory.Until(() => Task.FromResult(Volatile.Read(ref ok) > okBefore + 8), "requests to keep succeeding");

        // 3. Rollback to version 1.
        var act = await client.PostAsJsonAsync("/v1/models/tiny/activate", new { version = "1" });
        Assert.Equal(HttpStatusCode.OK, act.StatusCode);
        Assert.Equal("1", ServerFactory.ActiveVersion(await ServerFactory.ModelsAsync(client), "tiny"));
        var one = await client.PostAsJsonAsync("/v1/generate", new { tokens = 4 });
        Assert.Equal(HttpStatusCode.OK, one.StatusCode);
        Assert.Equal("1", one.Headers.GetValues("X-MusicGen-Version").Single());

        stop.Cancel();
        await Task.WhenAll(load);
        Assert.Empty(failures);
        Assert.True(versionsSeen.ContainsKey("1") && versionsSeen.ContainsKey("2"));
        Assert.Equal(1, await Metrics.ReadAsync(client, "musicgen_packages_total", "outcome=\"rejected\""));
    }

    [Fact]
    public async Task Old_version_finishes_its_requests_then_unloads()
    {
        using var dir = new TempDir();
        SchedulingTests.WriteSlow(dir.Path);
        await using var factory = new ServerFactory(dir.Path, new()
        {
            ["MusicGen:RetainedVersions"] = "0",
            ["MusicGen:MaxBatchSize"] = "4",
        });
        var client = await factory.ReadyClientAsync();

        // A long request starts on version 1 ...
        using var msg = new HttpRequestMessage(HttpMethod.Post, "/v1/generate/stream") { Content = JsonContent.Create(new { tokens = 3000, seed = 1, tokenBias = SchedulingTests.NoEos }) };
        var resp = await client.SendAsync(msg, HttpCompletionOption.ResponseHeadersRead);
        var stream = await resp.Content.ReadAsStreamAsync();
        var started = await Sse.ReadAllAsync(stream, e => e.Event == "token");
        Assert.Equal("1", started[0].Data.GetProperty("version").GetString());

        // ... version 2 arrives in its own folder and becomes active; version 1 drains.
        SchedulingTests.WriteSlow(dir.Path, "slow@2", "2");
        await ServerFactory.Until(async () => ServerFactory.ActiveVersion(await ServerFactory.ModelsAsync(client), "slow") == "2", "version 2 to become active");
        Assert.Equal("draining", VersionState(await ServerFactory.ModelsAsync(client), "slow", "1"));
        var viaNew = await client.PostAsJsonAsync("/v1/generate", new { tokens = 4 });
        Assert.Equal("2", viaNew.Headers.GetValues("X-MusicGen-Version").Single());

        // The long request finishes on version 1; then version 1 unloads (its folder stays available on disk).
        var rest = await Sse.ReadAllAsync(stream);
        var done = rest[^1];
        Assert.Equal("done", done.Event);
        Assert.Equal("1", done.Data.GetProperty("version").GetString());
        Assert.Equal(3000, done.Data.GetProperty("tokens").GetInt32());
        await ServerFactory.Until(async () => VersionState(await ServerFactory.ModelsAsync(client), "slow", "1") == "available", "version 1 to unload");
    }
}
