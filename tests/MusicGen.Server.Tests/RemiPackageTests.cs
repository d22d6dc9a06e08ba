using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using MusicGen.Core.Midi;
using MusicGen.Core.Tokenization;

namespace MusicGen.Server.Tests;

/// <summary>
/// A REMI transformer of a realistic small size (d 256, 4 layers, 4 heads of 64, context 1024), random weights.
/// Set MUSICGEN_WRITE_PACKAGE=onnx/remi-random to keep the package for hand runs (load test, curl); docs/server.md.
/// </summary>
public sealed class RemiPackageTests
{
    [Fact]
    public async Task Remi_package_generates_by_bars_and_seconds()
    {
        using var dir = new TempDir();
        var keep = Environment.GetEnvironmentVariable("MUSICGEN_WRITE_PACKAGE");
        var package = Path.Combine(dir.Path, "remi-random");
        TestPackages.Write(package, "remi-random", "1", seed: 9, context: 1024, dModel: 256, layers: 4,
            tokenizer: new RemiTokenizer(), heads: 4, kvHeads: 2, headSize: 64);
        if (!string.IsNullOrEmpty(keep))
        {
            if (Directory.Exists(keep)) Directory.Delete(keep, recursive: true);
            TestPackages.CopyDirectory(package, keep);
        }
        await using var factory = new ServerFactory(dir.Path);
        var client = await factory.ReadyClientAsync();

        var models = await ServerFactory.ModelsAsync(client);
        Assert.Equal("remi", models.GetProperty("models")[0].GetProperty("tokenizer").GetString());

        using var msg = new HttpRequestMessage(HttpMethod.Post, "/v1/generate") { Content = JsonContent.Create(new { bars = 2, seed = 4 }) };
        msg.Headers.Accept.ParseAdd("application/json");
        var resp = await client.SendAsync(msg);
        Assert.Equal(HttpStatusCode.OK, resp.StatusCode);
        var body = await resp.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Contains(body.GetProperty("finishReason").GetString(), new[] { "bars", "eos", "max_tokens", "context" });
        Assert.NotNull(MidiFile.Read(Convert.FromBase64String(body.GetProperty("midi").GetString()!)));

        var sec = await client.PostAsJsonAsync("/v1/generate", new { seconds = 2.0, seed = 5 });
        Assert.Equal(HttpStatusCode.OK, sec.StatusCode);
        Assert.NotNull(MidiFile.Read(await sec.Content.ReadAsByteArrayAsync()));
    }
}
