using System.Net;
using System.Net.Http.Json;
using MusicGen.Inference;

namespace MusicGen.Server.Tests;

/// <summary>The library and the service run the same engine loop: the same request and seed give the same bytes.</summary>
public sealed class SameMidiTests
{
    [Fact]
    public async Task The_library_and_post_v1_generate_give_byte_identical_midi()
    {
        using var dir = new TempDir();
        var package = TestPackages.Write(Path.Combine(dir.Path, "tiny"), "tiny", "1", seed: 1);
        await using var factory = new ServerFactory(dir.Path);
        var client = await factory.ReadyClientAsync();
        var resp = await client.PostAsJsonAsync("/v1/generate", new { tokens = 120, seed = 9, temperature = 0.9, topK = 20, topP = 0.95, tokenBias = SchedulingTests.NoEos });
        Assert.Equal(HttpStatusCode.OK, resp.StatusCode);
        var viaHttp = await resp.Content.ReadAsByteArrayAsync();

        await using var generator = MusicGenerator.Create(new InferenceOptions { ModelPath = package });
        var eos = generator.Model.Tokenizer.Eos;
        var viaLibrary = await generator.GenerateAsync(new GenerationRequest
        {
            MaxTokens = 120,
            Seed = 9,
            Sampling = new SamplingOptions { Temperature = 0.9f, TopK = 20, TopP = 0.95f, TokenBias = new Dictionary<int, float> { [eos] = float.NegativeInfinity } },
        });
        Assert.Equal(viaLibrary.Midi, viaHttp);
        Assert.Equal(120, viaLibrary.Timing.GeneratedTokens);
    }
}
