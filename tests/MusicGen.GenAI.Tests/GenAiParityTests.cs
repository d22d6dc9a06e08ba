using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.ML.OnnxRuntimeGenAI;
using MusicGen.Inference;

namespace MusicGen.GenAI.Tests;

/// <summary>
/// ONNX Runtime GenAI loads the bundled transformer packages through their genai_config.json and, decoding greedily
/// from the same prompt, writes the same tokens as our engine on the same (portable) graph. The end-of-sequence token
/// is held back in both (our token bias, GenAI's min_length), so every step of the whole length is compared.
/// </summary>
public sealed class GenAiParityTests
{
    [Theory]
    [InlineData("pop909-transformer", 256)]
    [InlineData("jsb-transformer", 128)]
    public async Task GreedyTokensEqualOurs(string package, int maxTokens)
    {
        var dir = Path.Combine(RepoRoot(), "onnx", package);
        Assert.True(File.Exists(Path.Combine(dir, "genai_config.json")), $"{dir} has no genai_config.json");

        var ours = await GenerateOurs(dir, maxTokens);
        var prompt = ours.Tokens.AsSpan(0, ours.PromptTokenCount).ToArray();
        var theirs = GenerateGenAi(dir, prompt, maxTokens);

        Assert.Equal(prompt.Length + maxTokens, ours.Tokens.Length);
        Assert.Equal(ours.Tokens, theirs);
    }

    private static async Task<GenerationResult> GenerateOurs(string dir, int maxTokens)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Services.AddMusicGeneration(o =>
        {
            o.ModelPath = dir;
            o.Graph = GraphPreference.Portable;
        });
        using var host = builder.Build();
        await host.StartAsync();
        var generator = host.Services.GetRequiredService<IMusicGenerator>();
        var result = await generator.GenerateAsync(new GenerationRequest
        {
            MaxTokens = maxTokens,
            // The graph's own greedy choice: the package's sampling defaults that change logits (the pop model's
            // repetition penalty) are set off, as GenAI's search does not apply them.
            Sampling = new SamplingOptions { Greedy = true, UseGrammar = false, RepetitionPenalty = 1f, TokenBias = new Dictionary<int, float> { [Eos(dir)] = float.NegativeInfinity } },
        });
        await host.StopAsync();
        return result;
    }

    private static int[] GenerateGenAi(string dir, int[] prompt, int maxTokens)
    {
        using var model = new Model(dir);
        using var options = new GeneratorParams(model);
        options.SetSearchOption("do_sample", false);
        options.SetSearchOption("max_length", prompt.Length + maxTokens);
        options.SetSearchOption("min_length", prompt.Length + maxTokens);
        using var generator = new Generator(model, options);
        generator.AppendTokens(prompt);
        while (!generator.IsDone()) generator.GenerateNextToken();
        return generator.GetSequence(0).ToArray();
    }

    private static int Eos(string dir) => MusicGen.Core.Packaging.ModelManifest.Load(dir).SpecialTokens.Eos;

    private static string RepoRoot()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "MusicGen.sln"))) return d.FullName;
        throw new InvalidOperationException("repository root not found");
    }
}
