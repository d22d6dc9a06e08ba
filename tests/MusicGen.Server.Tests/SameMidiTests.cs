using System.Net;
using System.Net.Http.Json;
using MusicGen.Cli.Commands;
using MusicGen.Inference;

namespace MusicGen.Server.Tests;

/// <summary>The CLI, the library and the service run the same engine loop: the same request and seed give the same bytes.</summary>
public sealed class SameMidiTests
{
    [Fact]
    public async Task The_cli_the_library_and_post_v1_generate_give_byte_identical_midi()
    {
        using var dir = new TempDir();
        var package = TestPackages.Write(Path.Combine(dir.Path, "tiny"), "tiny", "1", seed: 1);

        // The service.
        byte[] viaHttp;
        await using (var factory = new ServerFactory(dir.Path))
        {
            var client = await factory.ReadyClientAsync();
            var resp = await client.PostAsJsonAsync("/v1/generate", new { tokens = 120, seed = 9, temperature = 0.9, topK = 20, topP = 0.95, tokenBias = SchedulingTests.NoEos });
            Assert.Equal(HttpStatusCode.OK, resp.StatusCode);
            viaHttp = await resp.Content.ReadAsByteArrayAsync();
        }

        // The library.
        byte[] viaLibrary;
        await using (var generator = MusicGenerator.Create(new InferenceOptions { ModelPath = package }))
        {
            var result = await generator.GenerateAsync(new GenerationRequest
            {
                MaxTokens = 120,
                Seed = 9,
                Sampling = new SamplingOptions { Temperature = 0.9f, TopK = 20, TopP = 0.95f },
                TokenBiasNames = new Dictionary<string, float> { ["EOS"] = -1000 },
            });
            Assert.Equal(120, result.Timing.GeneratedTokens);
            viaLibrary = result.Midi;
        }

        // The CLI, in process.
        var file = Path.Combine(dir.Path, "cli.mid");
        var exit = GenerateCommands.Create().Parse(
            ["--model", package, "--out", file, "--tokens", "120", "--seed", "9", "--temperature", "0.9", "--top-k", "20", "--top-p", "0.95", "--token-bias", "EOS=-1000"]).Invoke();
        Assert.Equal(0, exit);
        var viaCli = await File.ReadAllBytesAsync(file);

        Assert.Equal(viaLibrary, viaHttp);
        Assert.Equal(viaLibrary, viaCli);
    }
}
