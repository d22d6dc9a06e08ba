using System.Net;
using System.Net.Http.Json;

namespace MusicGen.Server.Tests;

/// <summary>
/// A package copied into the models folder slowly, in chunks with pauses longer than the watcher's debounce, is
/// looked at only once the copy is complete (<c>PackageSettleTime</c>): it loads at the end, is never counted as
/// rejected, and the version before it serves throughout. With no settle time the same copy is rejected mid-way
/// (what <c>packages_total{outcome="rejected"}</c> counted before), so the test can fail.
/// </summary>
public sealed class PackageSettleTests
{
    [Theory]
    [InlineData("00:00:01.500", false)]
    [InlineData("00:00:00", true)]
    public async Task A_slow_chunked_copy_is_loaded_once_complete_and_never_rejected(string settle, bool rejectedMidCopy)
    {
        using var dir = new TempDir();
        TestPackages.Write(Path.Combine(dir.Path, "tiny"), "tiny", "1", seed: 1);
        await using var factory = new ServerFactory(dir.Path, new() { ["MusicGen:PackageSettleTime"] = settle });
        var client = await factory.ReadyClientAsync();

        var staged = Path.Combine(Path.GetTempPath(), $"musicgen-settle-{Guid.NewGuid():N}");
        TestPackages.Write(staged, "tiny", "2", seed: 2);
        try
        {
            // The manifest first, then every graph in 4 chunks with 400 ms pauses (the debounce is 200 ms): a scan
            // runs while the copy is incomplete.
            var live = Path.Combine(dir.Path, "tiny@2");
            Directory.CreateDirectory(live);
            var files = Directory.GetFiles(staged).OrderBy(f => Path.GetFileName(f) == "musicgen.json" ? 0 : 1).ThenBy(f => f, StringComparer.Ordinal);
            foreach (var file in files)
            {
                var bytes = await File.ReadAllBytesAsync(file);
                int chunk = Math.Max(1, (bytes.Length + 3) / 4);
                await using var output = new FileStream(Path.Combine(live, Path.GetFileName(file)), FileMode.Create, FileAccess.Write, FileShare.ReadWrite);
                for (int at = 0; at < bytes.Length; at += chunk)
                {
                    await output.WriteAsync(bytes.AsMemory(at, Math.Min(chunk, bytes.Length - at)));
                    await output.FlushAsync();
                    await Task.Delay(400);
                    var during = await client.PostAsJsonAsync("/v1/generate", new { tokens = 4 });
                    Assert.Equal(HttpStatusCode.OK, during.StatusCode);
                }
            }
        }
        finally
        {
            Directory.Delete(staged, recursive: true);
        }

        if (rejectedMidCopy)
        {
            await ServerFactory.Until(async () => await Metrics.ReadAsync(client, "musicgen_packages_total", "outcome=\"rejected\"") >= 1, "the incomplete copy to be rejected");
            return;
        }
        await ServerFactory.Until(async () => ServerFactory.ActiveVersion(await ServerFactory.ModelsAsync(client), "tiny") == "2", "version 2 to become active");
        Assert.Equal(0, await Metrics.ReadAsync(client, "musicgen_packages_total", "outcome=\"rejected\""));
        Assert.Equal(0, (await ServerFactory.ModelsAsync(client)).GetProperty("rejected").GetArrayLength());
        Assert.Equal(2, await Metrics.ReadAsync(client, "musicgen_packages_total", "outcome=\"loaded\""));
    }
}
