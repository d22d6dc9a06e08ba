using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using MusicGen.Inference.Telemetry;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace MusicGen.Inference.Tests;

/// <summary>
/// The library's spans and metrics as an app's OpenTelemetry pipeline receives them (the SDK's in-memory exporter).
/// Each test names its model uniquely, since the SDK listens to every source and meter named MusicGen in the process.
/// </summary>
[Collection(TelemetryCollection.Name)]
public sealed class TelemetryTests
{
    private static readonly ActivitySource TestSource = new("MusicGen.Tests.Parent");

    private sealed class Collected(IHost host, List<Activity> spans, List<MetricSnapshot> metrics, string model) : IAsyncDisposable
    {
        public IMusicGenerator Generator { get; } = host.Services.GetRequiredKeyedService<IMusicGenerator>("traced");
        public string Model { get; } = model;

        public List<Activity> Spans()
        {
            host.Services.GetRequiredService<TracerProvider>().ForceFlush();
            lock (spans) return [.. spans.Where(a => a.Source.Name == MusicGenTelemetry.Name && (string?)a.GetTagItem("gen_ai.request.model") == Model)];
        }

        /// <summary>The points of one metric that carry this test's model, each as its tags and the point.</summary>
        public List<(Dictionary<string, object?> Tags, MetricPoint Point)> Points(string name)
        {
            metrics.Clear();
            host.Services.GetRequiredService<MeterProvider>().ForceFlush();
            var found = new List<(Dictionary<string, object?>, MetricPoint)>();
            foreach (var m in metrics.Where(m => m.Name == name))
            {
                foreach (var p in m.MetricPoints)
                {
                    var tags = new Dictionary<string, object?>();
                    foreach (var t in p.Tags) tags[t.Key] = t.Value;
                    if (tags.GetValueOrDefault("gen_ai.request.model") as string == Model) found.Add((tags, p));
                }
            }
            return found;
        }

        public async ValueTask DisposeAsync()
        {
            await host.StopAsync();
            host.Dispose();
        }
    }

    private static async Task<Collected> StartAsync(string test)
    {
        var model = $"{test}-{Guid.NewGuid():N}";
        var spans = new List<Activity>();
        var metrics = new List<MetricSnapshot>();
        var builder = Host.CreateApplicationBuilder();
        builder.Services.AddOpenTelemetry()
            .WithTracing(t => t.AddSource(MusicGenTelemetry.Name, TestSource.Name).AddInMemoryExporter(spans))
            .WithMetrics(m => m.AddMeter(MusicGenTelemetry.Name).AddInMemoryExporter(metrics));
        builder.Services.AddKeyedMusicGenerator("traced", o => { o.ModelPath = TestPackages.Transformer(); o.MaxBatchSize = 4; })
            .UseOpenTelemetry(configure: g => g.ModelName = model);
        var host = builder.Build();
        await host.StartAsync();
        return new Collected(host, spans, metrics, model);
    }

    [Fact]
    public async Task A_generation_is_one_span_with_the_gen_ai_attributes_under_the_callers_span()
    {
        await using var c = await StartAsync("span");
        GenerationResult result;
        ActivityTraceId trace;
        ActivitySpanId parent;
        using (var outer = TestSource.StartActivity("caller"))
        {
            Assert.NotNull(outer);
            trace = outer.TraceId;
            parent = outer.SpanId;
            result = await c.Generator.GenerateAsync(new GenerationRequest { MaxTokens = 24, Seed = 5, Sampling = new SamplingOptions { Temperature = 0.9f, TopK = 20 } });
            Assert.Same(outer, Activity.Current); // the library's span does not leak into the caller
        }

        var span = Assert.Single(c.Spans());
        Assert.Equal($"generate_content {c.Model}", span.DisplayName);
        Assert.Equal(ActivityKind.Internal, span.Kind);
        Assert.Equal(trace, span.TraceId);
        Assert.Equal(parent, span.ParentSpanId);
        Assert.Equal(ActivityStatusCode.Unset, span.Status);
        Assert.Equal("generate_content", span.GetTagItem("gen_ai.operation.name"));
        Assert.Equal("musicgen", span.GetTagItem("gen_ai.provider.name"));
        Assert.Equal(c.Model, span.GetTagItem("gen_ai.response.model"));
        Assert.Equal(c.Generator.Package.Version, span.GetTagItem("musicgen.model.version"));
        Assert.Equal(24, span.GetTagItem("gen_ai.request.max_tokens"));
        Assert.Equal(5L, span.GetTagItem("gen_ai.request.seed"));
        Assert.Equal(20, span.GetTagItem("gen_ai.request.top_k"));
        Assert.Equal(0.9, (double)span.GetTagItem("gen_ai.request.temperature")!, 6);
        Assert.Equal(result.PromptTokenCount, span.GetTagItem("gen_ai.usage.input_tokens"));
        Assert.Equal(result.Timing.GeneratedTokens, span.GetTagItem("gen_ai.usage.output_tokens"));
        Assert.Equal(new[] { result.StopReason.ToFinishReason() }, span.GetTagItem("gen_ai.response.finish_reasons"));
        Assert.Equal("ok", span.GetTagItem("musicgen.outcome"));
    }

    [Fact]
    public async Task A_generation_records_durations_token_usage_and_counters_by_outcome()
    {
        await using var c = await StartAsync("metrics");
        var result = await c.Generator.GenerateAsync(new GenerationRequest { MaxTokens = 30, Seed = 2 });
        var generated = result.Timing.GeneratedTokens;
        Assert.True(generated > 1);

        foreach (var name in new[] { "gen_ai.client.operation.duration", "gen_ai.server.time_to_first_token", "gen_ai.server.time_per_output_token", "musicgen.queue.duration", "musicgen.generation.throughput" })
        {
            var (tags, point) = Assert.Single(c.Points(name));
            Assert.Equal(1, point.GetHistogramCount());
            Assert.Equal("generate_content", tags["gen_ai.operation.name"]);
            Assert.Equal("musicgen", tags["gen_ai.provider.name"]);
        }
        var usage = c.Points("gen_ai.client.token.usage");
        Assert.Equal(generated, usage.Single(p => (string?)p.Tags["gen_ai.token.type"] == "output").Point.GetHistogramSum());
        Assert.Equal(result.PromptTokenCount, usage.Single(p => (string?)p.Tags["gen_ai.token.type"] == "input").Point.GetHistogramSum());
        var tokens = c.Points("musicgen.generation.tokens");
        Assert.Equal(generated, tokens.Single(p => (string?)p.Tags["gen_ai.token.type"] == "output").Point.GetSumLong());
        var requests = Assert.Single(c.Points("musicgen.generation.requests"));
        Assert.Equal("ok", requests.Tags["musicgen.outcome"]);
        Assert.Equal(1, requests.Point.GetSumLong());
    }

    [Fact]
    public async Task A_rejected_request_is_an_error_span_and_an_error_count()
    {
        await using var c = await StartAsync("error");
        await Assert.ThrowsAsync<MusicGen.Inference.Errors.InvalidGenerationRequestException>(() => c.Generator.GenerateAsync(new GenerationRequest { MaxTokens = -3 }));

        var span = Assert.Single(c.Spans());
        Assert.Equal(ActivityStatusCode.Error, span.Status);
        Assert.Equal(typeof(MusicGen.Inference.Errors.InvalidGenerationRequestException).FullName, span.GetTagItem("error.type"));
        Assert.Equal("error", span.GetTagItem("musicgen.outcome"));
        var requests = Assert.Single(c.Points("musicgen.generation.requests"));
        Assert.Equal("error", requests.Tags["musicgen.outcome"]);
        Assert.Equal(typeof(MusicGen.Inference.Errors.InvalidGenerationRequestException).FullName, requests.Tags["error.type"]);
        Assert.Empty(c.Points("gen_ai.client.token.usage"));
    }

    [Fact]
    public async Task A_stream_is_traced_to_its_end_and_one_left_early_counts_as_cancelled()
    {
        await using var c = await StartAsync("stream");
        GenerationResult? result = null;
        await foreach (var e in c.Generator.StreamAsync(new GenerationRequest { MaxTokens = 20, Seed = 3 }))
            if (e.Kind == GenerationEventKind.Completed) result = e.Result;
        Assert.NotNull(result);

        var seen = 0;
        await foreach (var e in c.Generator.StreamAsync(new GenerationRequest { MaxTokens = 400, Seed = 4, Sampling = new SamplingOptions { TokenBias = new Dictionary<int, float> { [2] = float.NegativeInfinity } } }))
            if (e.Kind == GenerationEventKind.Token && ++seen == 3) break;

        var spans = c.Spans();
        Assert.Equal(2, spans.Count);
        Assert.Equal(result.Timing.GeneratedTokens, spans.Single(s => (string?)s.GetTagItem("musicgen.outcome") == "ok").GetTagItem("gen_ai.usage.output_tokens"));
        Assert.Single(spans, s => (string?)s.GetTagItem("musicgen.outcome") == "cancelled");
        var outcomes = c.Points("musicgen.generation.requests").ToDictionary(p => (string)p.Tags["musicgen.outcome"]!, p => p.Point.GetSumLong());
        Assert.Equal(1, outcomes["ok"]);
        Assert.Equal(1, outcomes["cancelled"]);
    }
}
