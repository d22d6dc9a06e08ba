using System.Text.Json.Nodes;
using MusicGen.Core.Packaging;

namespace MusicGen.Inference.Tests;

/// <summary>A package's own sampling defaults (manifest <c>sampling</c>): used for unset options, checked on load.</summary>
public sealed class SamplingDefaultsTests
{
    [Fact]
    public async Task Unset_options_take_the_package_defaults_and_given_ones_win()
    {
        var plain = TestPackages.Transformer();
        var tuned = WithSampling(new JsonObject { ["temperature"] = 0.5, ["topK"] = 5 });
        await using var p = MusicGenerator.Create(new InferenceOptions { ModelPath = plain });
        await using var t = MusicGenerator.Create(new InferenceOptions { ModelPath = tuned });
        async Task<int[]> Tokens(IMusicGenerator g, SamplingOptions s) =>
            [.. (await g.GenerateAsync(new GenerationRequest { MaxTokens = 60, Seed = 5, Sampling = s })).Tokens];

        var byDefault = await Tokens(t, new SamplingOptions());
        Assert.Equal(await Tokens(p, new SamplingOptions { Temperature = 0.5f, TopK = 5 }), byDefault);
        Assert.NotEqual(await Tokens(p, new SamplingOptions()), byDefault);
        Assert.Equal(await Tokens(p, new SamplingOptions { Temperature = 1, TopK = 5 }), await Tokens(t, new SamplingOptions { Temperature = 1 }));
    }

    [Fact]
    public void With_defaults_fills_only_what_was_not_given()
    {
        var defaults = new Dictionary<string, double> { ["temperature"] = 0.8, ["topP"] = 0.9, ["minP"] = 0.05, ["repetitionWindow"] = 32 };
        var s = new SamplingOptions { TopP = 1 }.WithDefaults(defaults);
        Assert.Equal(0.8f, s.Temperature);
        Assert.Equal(1f, s.TopP);
        Assert.Equal(0.05f, s.MinP);
        Assert.Equal(32, s.RepetitionWindow);
        Assert.Equal(1f, s.RepetitionPenalty);
        var again = s.WithDefaults(new Dictionary<string, double> { ["temperature"] = 0.3 }); // defaults filled in are not "given"
        Assert.Equal(0.3f, again.Temperature);
    }

    [Theory]
    [InlineData("topP", 1.5, "sampling.topP must be in (0, 1]")]
    [InlineData("temperature", -1, "sampling.temperature must be in [0, 100]")]
    [InlineData("topK", 2.5, "sampling.topK must be a whole number")]
    [InlineData("noRepeatNgram", 1, "sampling.noRepeatNgram must be")]
    [InlineData("seed", 3, "sampling.seed is not an option a package can set")]
    public void Bad_defaults_fail_the_load_naming_the_field(string name, double value, string expected)
    {
        var dir = WithSampling(new JsonObject { [name] = value });
        var e = Assert.Throws<ModelPackageException>(() => MusicModel.Load(dir));
        Assert.Contains(expected, e.Message);
        Assert.Contains("musicgen.json", e.Message);
    }

    private static string WithSampling(JsonObject sampling)
    {
        var dir = TestPackages.CopyOf(TestPackages.Transformer());
        var path = Path.Combine(dir, ModelManifest.FileName);
        var node = JsonNode.Parse(File.ReadAllText(path))!;
        node["sampling"] = sampling;
        File.WriteAllText(path, node.ToJsonString());
        return dir;
    }
}
