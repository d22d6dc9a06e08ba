using System.Net;
using System.Net.Http.Json;
using MusicGen.Core.Packaging;

namespace MusicGen.Server.Tests;

/// <summary>
/// Packages whose graphs share a weights file (model.weights) are served, and one whose weights file is truncated or
/// altered is rejected with the file named while the good version keeps serving.
/// </summary>
public sealed class WeightsFileRegistryTests
{
    [Fact]
    public async Task A_package_with_a_bad_weights_file_is_rejected_and_the_good_one_keeps_serving()
    {
        using var dir = new TempDir();
        TestPackages.WriteWithWeightsFile(Path.Combine(dir.Path, "shared"), "shared", "1", seed: 1);
        Assert.NotNull(ModelManifest.Load(Path.Combine(dir.Path, "shared")).Weights);
        await using var factory = new ServerFactory(dir.Path, new() { ["MusicGen:RateLimitPerSecond"] = "0" });
        var client = await factory.ReadyClientAsync();
        var first = await client.PostAsJsonAsync("/v1/generate", new { model = "shared", tokens = 16, seed = 1 });
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal("1", first.Headers.GetValues("X-MusicGen-Version").Single());

        // Version 2, copied in file by file, with its weights file cut short: refused, naming the file.
        var staged = Path.Combine(dir.Path, ".staged");
        TestPackages.WriteWithWeightsFile(staged, "shared", "2", seed: 2);
        var weights = Path.Combine(staged, "model.weights");
        var bytes = File.ReadAllBytes(weights);
        File.WriteAllBytes(weights, bytes[..(bytes.Length - 64)]);
        TestPackages.CopyDirectory(staged, Path.Combine(dir.Path, "shared@2"));
        await ServerFactory.Until(async () => (await ServerFactory.ModelsAsync(client)).GetProperty("rejected").GetArrayLength() > 0, "the truncated package to be rejected");
        var models = await ServerFactory.ModelsAsync(client);
        Assert.Contains("model.weights", models.GetProperty("rejected")[0].GetProperty("reason").GetString()!, StringComparison.Ordinal);
        Assert.Equal("1", ServerFactory.ActiveVersion(models, "shared"));

        // Version 3 with one weight byte altered (same size): refused by its hash.
        TestPackages.WriteWithWeightsFile(staged, "shared", "3", seed: 3);
        bytes = File.ReadAllBytes(weights);
        bytes[bytes.Length / 2] ^= 0x01;
        File.WriteAllBytes(weights, bytes);
        TestPackages.CopyDirectory(staged, Path.Combine(dir.Path, "shared@3"));
        await ServerFactory.Until(async () => (await ServerFactory.ModelsAsync(client)).GetProperty("rejected").GetArrayLength() > 1, "the altered package to be rejected");
        models = await ServerFactory.ModelsAsync(client);
        var reasons = models.GetProperty("rejected").EnumerateArray().Select(r => r.GetProperty("reason").GetString()!).ToList();
        Assert.Contains(reasons, r => r.Contains("sha256 mismatch for 'model.weights'", StringComparison.Ordinal));
        Assert.Equal("1", ServerFactory.ActiveVersion(models, "shared"));
        var again = await client.PostAsJsonAsync("/v1/generate", new { model = "shared", tokens = 16, seed = 1 });
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.Equal(await first.Content.ReadAsByteArrayAsync(), await again.Content.ReadAsByteArrayAsync());
    }
}
