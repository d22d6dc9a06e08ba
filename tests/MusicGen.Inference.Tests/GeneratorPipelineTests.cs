using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using MusicGen.Inference.Telemetry;

namespace MusicGen.Inference.Tests;

/// <summary>Keyed registrations and the decorator pipeline (<see cref="MusicGeneratorBuilder"/>) over real engines.</summary>
[Collection(TelemetryCollection.Name)]
public sealed class GeneratorPipelineTests
{
    /// <summary>A decorator that writes its name into a shared list before and after each call.</summary>
    private sealed class Tracing(IMusicGenerator inner, string name, List<string> calls) : DelegatingMusicGenerator(inner)
    {
        public override async Task<GenerationResult> GenerateAsync(GenerationRequest request, CancellationToken cancellationToken = default)
        {
            lock (calls) calls.Add($"{name}>");
            var result = await base.GenerateAsync(request, cancellationToken);
            lock (calls) calls.Add($"<{name}");
            return result;
        }
    }

    [Fact]
    public async Task The_first_decorator_added_is_the_outermost_and_GetService_reaches_the_engine()
    {
        var calls = new List<string>();
        await using var engine = MusicGenerator.Create(new InferenceOptions { ModelPath = TestPackages.Transformer(), MaxBatchSize = 2 });
        var generator = new MusicGeneratorBuilder(engine)
            .Use(inner => new Tracing(inner, "outer", calls))
            .Use((inner, _) => new Tracing(inner, "inner", calls))
            .UseOpenTelemetry()
            .Build();

        var request = new GenerationRequest { MaxTokens = 16, Seed = 8 };
        var decorated = await generator.GenerateAsync(request);
        Assert.Equal(["outer>", "inner>", "<inner", "<outer"], calls);
        Assert.Equal((await engine.GenerateAsync(request)).Midi, decorated.Midi); // decorators do not change the music
        Assert.Same(engine, generator.GetService<MusicGenerator>());
        Assert.NotNull(generator.GetService<MusicGenTelemetry>());
        Assert.Same(generator, generator.GetService<IMusicGenerator>());
        Assert.Same(engine.Package, generator.Package);
    }

    [Fact]
    public async Task Two_keyed_models_live_in_one_app()
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Services.AddKeyedMusicGenerator("chorale", o => { o.ModelPath = TestPackages.Transformer(); o.MaxBatchSize = 2; }).UseLogging().UseOpenTelemetry();
        builder.Services.AddKeyedMusicGenerator("folk", o => { o.ModelPath = TestPackages.Lstm(); o.MaxBatchSize = 2; }).UseOpenTelemetry();
        using var host = builder.Build();
        await host.StartAsync();

        var chorale = host.Services.GetRequiredKeyedService<IMusicGenerator>("chorale");
        var folk = host.Services.GetRequiredKeyedService<IMusicGenerator>("folk");
        Assert.Same(chorale, host.Services.GetRequiredKeyedService<IMusicGenerator>("chorale")); // one engine per key
        Assert.Equal("transformer", chorale.Package.Architecture);
        Assert.Equal("lstm", folk.Package.Architecture);
        Assert.Null(host.Services.GetService<IMusicGenerator>()); // keyed only

        var results = await Task.WhenAll(
            chorale.GenerateAsync(new GenerationRequest { MaxTokens = 20, Seed = 1 }),
            folk.GenerateAsync(new GenerationRequest { MaxTokens = 20, Seed = 1 }));
        Assert.All(results, r => Assert.True(r.Timing.GeneratedTokens > 0));
        Assert.NotNull(chorale.GetService<LoggingMusicGenerator>());
        Assert.Null(folk.GetService<LoggingMusicGenerator>());
        Assert.NotSame(chorale.GetService<MusicGenerator>(), folk.GetService<MusicGenerator>());
        await host.StopAsync();
    }

    [Fact]
    public async Task A_keyed_model_without_a_path_fails_at_start_naming_the_field()
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Services.AddKeyedMusicGenerator("pop", o => o.MaxBatchSize = 0);
        using var host = builder.Build();
        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());
        Assert.Equal("pop", error.OptionsName);
        Assert.Contains(error.Failures, f => f.Contains("ModelPath", StringComparison.Ordinal));
        Assert.Contains(error.Failures, f => f.Contains("MaxBatchSize", StringComparison.Ordinal));
    }

    [Fact]
    public async Task AddMusicGeneration_serves_a_traced_generator_over_the_engine()
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Services.AddMusicGeneration(o => { o.ModelPath = TestPackages.Transformer(); o.MaxBatchSize = 2; });
        using var host = builder.Build();
        await host.StartAsync();
        var generator = host.Services.GetRequiredService<IMusicGenerator>();
        Assert.IsType<OpenTelemetryMusicGenerator>(generator);
        Assert.Same(host.Services.GetRequiredService<MusicGenerator>(), generator.GetService<MusicGenerator>());
        Assert.True((await generator.GenerateAsync(new GenerationRequest { MaxTokens = 8, Seed = 1 })).Timing.GeneratedTokens > 0);
        await host.StopAsync();
    }

    [Fact]
    public async Task Logging_writes_one_line_per_generation_with_model_tokens_and_outcome()
    {
        await using var engine = MusicGenerator.Create(new InferenceOptions { ModelPath = TestPackages.Transformer(), MaxBatchSize = 2 });
        var log = new ListLogger();
        var generator = new LoggingMusicGenerator(engine, log) { ModelName = "chorale" };
        var result = await generator.GenerateAsync(new GenerationRequest { MaxTokens = 12, Seed = 4 });
        var line = Assert.Single(log.Lines);
        Assert.Contains($"Generated {result.Timing.GeneratedTokens} tokens after {result.PromptTokenCount} prompt tokens with chorale {engine.Package.Version}", line, StringComparison.Ordinal);
        Assert.Contains(result.StopReason.ToFinishReason(), line, StringComparison.Ordinal);

        using var cts = new CancellationTokenSource();
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => generator.GenerateAsync(new GenerationRequest { MaxTokens = 12 }, cts.Token));
        Assert.Equal(2, log.Lines.Count);
        Assert.EndsWith("cancelled", log.Lines[1], StringComparison.Ordinal);
    }
}
