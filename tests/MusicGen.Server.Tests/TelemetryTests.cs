using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace MusicGen.Server.Tests;

/// <summary>
/// One generation request through the real service leaves a <c>generate_content</c> span (library source
/// <c>MusicGen</c>) under ASP.NET Core's request span, the library's gen_ai metrics (the OpenTelemetry SDK's in-memory
/// exporter and <c>/metrics</c>), and one structured log line (a logger provider in the host's logging pipeline); OTLP
/// sends both to a collector the configuration names, and a bad OTLP setting stops the start.
/// </summary>
[Collection(TelemetryCollection.Name)]
public sealed class TelemetryTests
{
    /// <summary>Keeps the lines of one logger category with their structured fields.</summary>
    private sealed class LineProvider(string category) : ILoggerProvider
    {
        public List<(string Text, Dictionary<string, object?> Fields)> Lines { get; } = [];
        public ILogger CreateLogger(string name) => new CategoryLogger(name == category ? this : null);
        public void Dispose() { }

        private sealed class CategoryLogger(LineProvider? owner) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
            public bool IsEnabled(LogLevel logLevel) => owner is not null && logLevel >= LogLevel.Information;
            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            {
                if (owner is null) return;
                var fields = state is IEnumerable<KeyValuePair<string, object?>> pairs ? pairs.ToDictionary(p => p.Key, p => p.Value) : [];
                lock (owner.Lines) owner.Lines.Add((formatter(state, exception), fields));
            }
        }
    }

    private static Dictionary<string, string?> LogSettings(Dictionary<string, string?>? more = null)
    {
        var settings = new Dictionary<string, string?> { ["Logging:LogLevel:MusicGen.Server.Requests"] = "Information" };
        foreach (var (k, v) in more ?? []) settings[k] = v;
        return settings;
    }

    [Fact]
    public async Task A_generation_is_a_span_under_the_http_span_gen_ai_metrics_and_one_log_line()
    {
        using var dir = new TempDir();
        TestPackages.Write(Path.Combine(dir.Path, "tiny"), "tiny", "1", seed: 1);
        var spans = new List<Activity>();
        var metrics = new List<Metric>();
        var log = new LineProvider("MusicGen.Server.Requests");
        await using var factory = new ServerFactory(dir.Path, LogSettings(), s =>
        {
            s.ConfigureOpenTelemetryTracerProvider(t => t.AddInMemoryExporter(spans));
            s.ConfigureOpenTelemetryMeterProvider(m => m.AddInMemoryExporter(metrics));
            s.AddSingleton<ILoggerProvider>(log);
        });
        var client = await factory.ReadyClientAsync();
        lock (log.Lines) log.Lines.Clear();

        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/generate") { Content = JsonContent.Create(new { tokens = 12, seed = 3 }) };
        request.Headers.Accept.ParseAdd("application/json");
        var response = await client.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        var generated = body.GetProperty("tokens").GetArrayLength();
        var primer = body.GetProperty("primerTokens").GetInt32();
        var finish = body.GetProperty("finishReason").GetString();
        var bad = await client.PostAsJsonAsync("/v1/generate", new { topP = 1.5 });
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);

        // The span, under the request's span.
        factory.Services.GetRequiredService<TracerProvider>().ForceFlush();
        Activity span, http;
        lock (spans)
        {
            span = Assert.Single(spans, a => a.Source.Name == "MusicGen");
            http = Assert.Single(spans, a => a.Kind == ActivityKind.Server && a.SpanId == span.ParentSpanId);
        }
        Assert.Equal("generate_content tiny", span.DisplayName);
        Assert.Equal("/v1/generate", http.GetTagItem("http.route"));
        Assert.Equal(span.TraceId, http.TraceId);
        Assert.Equal("tiny", span.GetTagItem("gen_ai.request.model"));
        Assert.Equal("1", span.GetTagItem("musicgen.model.version"));
        Assert.Equal(primer, span.GetTagItem("gen_ai.usage.input_tokens"));
        Assert.Equal(generated, span.GetTagItem("gen_ai.usage.output_tokens"));
        Assert.Equal(new[] { finish }, span.GetTagItem("gen_ai.response.finish_reasons"));
        Assert.Equal(3L, span.GetTagItem("gen_ai.request.seed"));
        Assert.Equal("ok", span.GetTagItem("musicgen.outcome"));

        // The library's metrics, in the SDK and at /metrics.
        factory.Services.GetRequiredService<MeterProvider>().ForceFlush();
        List<string> names;
        lock (metrics) names = [.. metrics.Where(m => m.MeterName == "MusicGen").Select(m => m.Name).Distinct()];
        foreach (var name in new[] { "gen_ai.client.operation.duration", "gen_ai.client.token.usage", "gen_ai.server.time_to_first_token", "musicgen.generation.requests" })
            Assert.Contains(name, names);
        var scrape = await client.GetStringAsync("/metrics");
        Assert.Contains("gen_ai_client_operation_duration", scrape, StringComparison.Ordinal);
        Assert.Contains("musicgen_generation_requests", scrape, StringComparison.Ordinal);

        // One line per API request, with its fields.
        List<(string Text, Dictionary<string, object?> Fields)> lines;
        lock (log.Lines) lines = [.. log.Lines.Where(l => (string?)l.Fields["Path"] == "/v1/generate")];
        Assert.Equal(2, lines.Count);
        var ok = lines[0].Fields;
        Assert.Equal("POST", ok["Method"]);
        Assert.Equal(200, ok["Status"]);
        Assert.IsType<double>(ok["DurationMs"]);
        Assert.Equal("ok", ok["Outcome"]);
        Assert.Equal("tiny", ok["Model"]);
        Assert.Equal("1", ok["ModelVersion"]);
        Assert.Equal(primer, ok["InputTokens"]);
        Assert.Equal(generated, ok["OutputTokens"]);
        Assert.Equal(finish, ok["FinishReason"]);
        Assert.Contains($"POST /v1/generate answered 200 in ", lines[0].Text, StringComparison.Ordinal);
        Assert.EndsWith($"ms: ok, model tiny 1, {primer} prompt and {generated} generated tokens, finish {finish}", lines[0].Text, StringComparison.Ordinal);
        Assert.Equal(400, lines[1].Fields["Status"]);
        Assert.Equal("rejected", lines[1].Fields["Outcome"]);
    }

    /// <summary>
    /// A collector on a loopback Kestrel port: OTLP/HTTP (<c>POST /v1/traces</c>, <c>/v1/metrics</c>, protobuf bodies) or
    /// OTLP/gRPC (HTTP/2 without TLS, <c>TraceService/Export</c> and <c>MetricsService/Export</c>, answered with an
    /// empty message and <c>grpc-status: 0</c>). Keeps each request's signal, content type and protobuf message.
    /// </summary>
    private sealed class Collector : IAsyncDisposable
    {
        private readonly WebApplication _app;
        private readonly List<(string Signal, string? ContentType, byte[] Message)> _received = [];

        private Collector(WebApplication app) => _app = app;

        public string Endpoint { get; private set; } = "";

        public List<(string Signal, string? ContentType, byte[] Message)> Received
        {
            get { lock (_received) return [.. _received]; }
        }

        public static async Task<Collector> StartAsync(bool grpc)
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0, o => o.Protocols = grpc ? HttpProtocols.Http2 : HttpProtocols.Http1));
            var collector = new Collector(builder.Build());
            var app = collector._app;
            if (grpc)
            {
                app.MapPost("/opentelemetry.proto.collector.{signal}.v1.{service}/Export", async (HttpContext ctx, string signal) =>
                {
                    var body = await ReadAsync(ctx);
                    collector.Add(signal == "trace" ? "traces" : signal, ctx.Request.ContentType, OtlpMessages.GrpcMessage(body).ToArray());
                    ctx.Response.ContentType = "application/grpc";
                    await ctx.Response.Body.WriteAsync(new byte[5]); // an empty Export...ServiceResponse, uncompressed
                    ctx.Response.AppendTrailer("grpc-status", "0");
                });
            }
            else
            {
                app.MapPost("/v1/{signal}", async (HttpContext ctx, string signal) =>
                {
                    collector.Add(signal, ctx.Request.ContentType, await ReadAsync(ctx));
                    return Results.Ok(); // an empty Export...ServiceResponse
                });
            }
            await app.StartAsync();
            collector.Endpoint = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First();
            return collector;
        }

        private void Add(string signal, string? contentType, byte[] message)
        {
            lock (_received) _received.Add((signal, contentType, message));
        }

        private static async Task<byte[]> ReadAsync(HttpContext ctx)
        {
            using var ms = new MemoryStream();
            await ctx.Request.Body.CopyToAsync(ms);
            return ms.ToArray();
        }

        public ValueTask DisposeAsync() => _app.DisposeAsync();
    }

    [Theory]
    [InlineData("http/protobuf")]
    [InlineData("grpc")]
    public async Task Otlp_delivers_the_generation_span_with_its_attributes_and_the_metrics_to_a_collector(string protocol)
    {
        var grpc = protocol == "grpc";
        await using var collector = await Collector.StartAsync(grpc);
        using var dir = new TempDir();
        TestPackages.Write(Path.Combine(dir.Path, "tiny"), "tiny", "1", seed: 1);
        JsonElement body;
        await using (var factory = new ServerFactory(dir.Path, new()
        {
            ["MusicGen:Telemetry:Otlp"] = "true",
            ["MusicGen:Telemetry:OtlpProtocol"] = protocol,
            ["MusicGen:Telemetry:OtlpEndpoint"] = collector.Endpoint,
            ["MusicGen:Telemetry:MetricExportInterval"] = "00:00:00.500",
        }))
        {
            var client = await factory.ReadyClientAsync();
            using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/generate") { Content = JsonContent.Create(new { tokens = 8, seed = 1 }) };
            request.Headers.Accept.ParseAdd("application/json");
            var response = await client.SendAsync(request);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            body = await response.Content.ReadFromJsonAsync<JsonElement>();
            factory.Services.GetRequiredService<TracerProvider>().ForceFlush();
            factory.Services.GetRequiredService<MeterProvider>().ForceFlush();
        }

        var received = collector.Received;
        Assert.All(received, r => Assert.Equal(grpc ? "application/grpc" : "application/x-protobuf", r.ContentType));
        // The span, read from the protobuf: its name, scope, attributes, resource, and its parent the request's server span.
        var spans = received.Where(r => r.Signal == "traces").SelectMany(r => OtlpMessages.Spans(r.Message)).ToList();
        var span = Assert.Single(spans, s => s.Scope == "MusicGen");
        Assert.Equal("generate_content tiny", span.Name);
        Assert.Equal("tiny", span.Attributes["gen_ai.request.model"]);
        Assert.Equal("1", span.Attributes["musicgen.model.version"]);
        Assert.Equal("generate_content", span.Attributes["gen_ai.operation.name"]);
        Assert.Equal(1L, span.Attributes["gen_ai.request.seed"]);
        Assert.Equal((long)body.GetProperty("primerTokens").GetInt32(), span.Attributes["gen_ai.usage.input_tokens"]);
        Assert.Equal((long)body.GetProperty("tokens").GetArrayLength(), span.Attributes["gen_ai.usage.output_tokens"]);
        Assert.Equal(new object?[] { body.GetProperty("finishReason").GetString() }, span.Attributes["gen_ai.response.finish_reasons"]);
        Assert.Equal("ok", span.Attributes["musicgen.outcome"]);
        Assert.Equal("musicgen-server", span.Resource["service.name"]);
        var http = Assert.Single(spans, s => s.SpanId == span.ParentSpanId);
        Assert.Equal(OtlpMessages.ServerKind, http.Kind);
        Assert.Equal(span.TraceId, http.TraceId);
        Assert.Equal("/v1/generate", http.Attributes["http.route"]);
        Assert.Equal(32, span.TraceId.Length);

        var metrics = received.Where(r => r.Signal == "metrics").SelectMany(r => OtlpMessages.Metrics(r.Message)).ToList();
        foreach (var name in new[] { "gen_ai.client.operation.duration", "gen_ai.client.token.usage", "gen_ai.server.time_to_first_token", "musicgen.generation.requests" })
            Assert.Contains(("MusicGen", name), metrics);
    }

    [Theory]
    [InlineData("OtlpEndpoint", "collector:4317", "MusicGen:Telemetry:OtlpEndpoint 'collector:4317' is not an absolute http or https URI")]
    [InlineData("OtlpProtocol", "udp", "MusicGen:Telemetry:OtlpProtocol 'udp' is neither grpc nor http/protobuf")]
    [InlineData("MetricExportInterval", "00:00:00.001", "MusicGen:Telemetry:MetricExportInterval must be between")]
    public void A_bad_telemetry_setting_stops_the_start_naming_it(string key, string value, string message)
    {
        using var dir = new TempDir();
        using var factory = new ServerFactory(dir.Path, new() { [$"MusicGen:Telemetry:{key}"] = value });
        var error = Assert.ThrowsAny<Exception>(() => factory.CreateClient());
        Assert.Contains(message, error.ToString(), StringComparison.Ordinal);
    }
}
