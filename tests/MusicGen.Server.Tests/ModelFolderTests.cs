using System.Net;
using System.Text.Json;

namespace MusicGen.Server.Tests;

/// <summary>The models folder: a service without a model is not ready; the API names folders, never server paths.</summary>
public sealed class ModelFolderTests
{
    [Fact]
    public async Task A_service_with_no_model_is_not_ready()
    {
        using var dir = new TempDir();
        await using var factory = new ServerFactory(dir.Path);
        var client = factory.CreateClient();
        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await client.GetAsync("/readyz")).StatusCode);
        Assert.Equal(0, (await ServerFactory.ModelsAsync(client)).GetProperty("models").GetArrayLength());
    }

    [Fact]
    public async Task Models_are_listed_by_name_and_folder_name_not_by_server_path()
    {
        using var dir = new TempDir();
        TestPackages.Write(Path.Combine(dir.Path, "tiny"), "tiny", "1", seed: 1);
        TestPackages.WriteTruncated(Path.Combine(dir.Path, "broken"), "broken", "1", seed: 2);
        await using var factory = new ServerFactory(dir.Path);
        var client = await factory.ReadyClientAsync();
        await ServerFactory.Until(async () => (await ServerFactory.ModelsAsync(client)).GetProperty("rejected").GetArrayLength() > 0, "the broken package to be rejected");
        var text = await client.GetStringAsync("/v1/models");
        Assert.DoesNotContain(dir.Path, text);
        using var doc = JsonDocument.Parse(text);
        var tiny = doc.RootElement.GetProperty("models").EnumerateArray().Single(m => m.GetProperty("name").GetString() == "tiny");
        Assert.Equal("tiny", tiny.GetProperty("versions")[0].GetProperty("folder").GetString());
        Assert.Equal("broken", doc.RootElement.GetProperty("rejected")[0].GetProperty("folder").GetString());
    }
}
