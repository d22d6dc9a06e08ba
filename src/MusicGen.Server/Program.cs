using System.Globalization;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Http.Timeouts;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Options;
using MusicGen.Audio;
using MusicGen.Server;
using MusicGen.Server.Api;
using MusicGen.Server.Audio;
using MusicGen.Server.Engine;
using MusicGen.Server.Listening;
using MusicGen.Server.LoadTest;
using MusicGen.Server.Models;
using MusicGen.Server.Scheduling;
using MusicGen.Server.Telemetry;

// `MusicGen.Server load ...` is the hand-run load generator (docs/server.md); anything else runs the service.
if (args.Length > 0 && args[0] == "load")
    return await LoadCommand.RunAsync(args[1..]);
// `MusicGen.Server soak ...` is the mixed-load and fault client that scripts/soak.sh runs.
if (args.Length > 0 && args[0] == "soak")
    return await SoakCommand.RunAsync(args[1..]);

var builder = WebApplication.CreateBuilder(new WebApplicationOptions
{
    Args = args,
    // wwwroot is copied beside the assembly, so the page is served whatever the working directory.
    WebRootPath = Path.Combine(AppContext.BaseDirectory, "wwwroot"),
});

// Started from another folder (`dotnet src/MusicGen.Server/bin/.../MusicGen.Server.dll` at the repository root), the
// content root has no appsettings.json: use the copy beside the assembly, below every other source.
if (!File.Exists(Path.Combine(builder.Environment.ContentRootPath, "appsettings.json")))
{
    var beside = new ConfigurationBuilder().AddJsonFile(Path.Combine(AppContext.BaseDirectory, "appsettings.json"), optional: true).Build();
    builder.Configuration.Sources.Insert(0, new Microsoft.Extensions.Configuration.ChainedConfigurationSource { Configuration = beside, ShouldDisposeConfiguration = true });
}

builder.Services.AddOptions<ServerOptions>()
    .Bind(builder.Configuration.GetSection(ServerOptions.Section))
    .ValidateDataAnnotations()
    .ValidateOnStart();

// Graceful shutdown: the scheduler lets requests in flight finish for at most ShutdownTimeout (GenerationScheduler.StopAsync).
builder.Services.AddOptions<HostOptions>().Configure<IOptions<ServerOptions>>((host, server) => host.ShutdownTimeout = server.Value.ShutdownTimeout);

builder.Services.AddProblemDetails();
builder.Services.AddMusicGenOpenApi();
builder.Services.AddSingleton<ServerMetrics>();
builder.Services.AddMusicGenEngine(builder.Configuration);
builder.Services.AddSingleton<ModelRegistry>();
builder.Services.AddHostedService<ModelWatcher>();
builder.Services.AddSingleton<GenerationScheduler>();
builder.Services.AddHostedService(sp => sp.GetRequiredService<GenerationScheduler>());
builder.Services.AddListeningTest(builder.Configuration);
// Audio answers (format=wav|flac): FluidSynth with a General MIDI SoundFont, options in MusicGen:Audio (docs/audio.md).
builder.Services.AddOptions<AudioRenderOptions>()
    .Bind(builder.Configuration.GetSection("MusicGen:Audio"))
    .Validate(o => o.Validate().Count == 0, "invalid MusicGen:Audio options (SoundFontPath, SampleRate 8000..96000, Gain in (0, 10], TailSeconds 0..10)")
    .ValidateOnStart();
builder.Services.AddSingleton<AudioRendering>();

builder.Services.AddRateLimiter(o =>
{
    o.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
    o.AddPolicy(GenerateEndpoints.RateLimitPolicy, ctx =>
    {
        var opts = ctx.RequestServices.GetRequiredService<IOptions<ServerOptions>>().Value;
        if (opts.RateLimitPerSecond == 0) return RateLimitPartition.GetNoLimiter("all");
        return RateLimitPartition.GetTokenBucketLimiter(ctx.Connection.RemoteIpAddress?.ToString() ?? "local", _ => new TokenBucketRateLimiterOptions
        {
            TokenLimit = opts.RateLimitBurst,
            TokensPerPeriod = opts.RateLimitPerSecond,
            ReplenishmentPeriod = TimeSpan.FromSeconds(1),
            QueueLimit = 0,
            AutoReplenishment = true,
        });
    });
    o.OnRejected = async (ctx, cancel) =>
    {
        var opts = ctx.HttpContext.RequestServices.GetRequiredService<IOptions<ServerOptions>>().Value;
        var retry = ctx.Lease.TryGetMetadata(MetadataName.RetryAfter, out var after) ? (int)Math.Ceiling(after.TotalSeconds) : opts.RetryAfterSeconds;
        ctx.HttpContext.Response.Headers.RetryAfter = retry.ToString(CultureInfo.InvariantCulture);
        await TypedResults.Problem(statusCode: 429, title: "Too many requests", detail: $"rate limit exceeded; retry after {retry}s").ExecuteAsync(ctx.HttpContext);
    };
});

builder.Services.AddRequestTimeouts(o =>
{
    var deadline = builder.Configuration.GetSection(ServerOptions.Section).GetValue<TimeSpan?>(nameof(ServerOptions.RequestDeadline)) ?? new ServerOptions().RequestDeadline;
    o.AddPolicy(GenerateEndpoints.TimeoutPolicy, new RequestTimeoutPolicy
    {
        // An outer guard: the scheduler's own deadline normally answers first (504 with a ProblemDetails).
        Timeout = deadline + TimeSpan.FromSeconds(5),
        TimeoutStatusCode = StatusCodes.Status504GatewayTimeout,
    });
});

builder.AddMusicGenTelemetry(); // traces and metrics: /metrics always, OTLP and the console when MusicGen:Telemetry turns them on

builder.WebHost.ConfigureKestrel((ctx, k) =>
{
    var max = ctx.Configuration.GetSection(ServerOptions.Section).GetValue<long?>(nameof(ServerOptions.MaxRequestBodyBytes)) ?? new ServerOptions().MaxRequestBodyBytes;
    k.Limits.MaxRequestBodySize = max;
});

var app = builder.Build();
// The options are checked here, before anything starts (StartAsync checks them again): a bad setting ends the entry
// point with the reason while the host is whole. Left to StartAsync, RunAsync disposed the host on the failure, and
// WebApplicationFactory, racing it on another thread, sometimes saw an ObjectDisposedException instead of the reason.
app.Services.GetRequiredService<IStartupValidator>().Validate();
// Made now, not at the first request: it logs at start whether audio can be rendered here, and why not.
app.Services.GetRequiredService<AudioRendering>();

app.UseExceptionHandler();
app.UseStatusCodePages();
app.UseDefaultFiles();
app.UseStaticFiles();
app.UseMiddleware<RequestLogMiddleware>(); // one log line per API request
app.UseRateLimiter();
app.UseRequestTimeouts();

app.MapMusicGenDocs(); // /openapi/v1.json and the reference at /docs
app.MapPrometheusScrapingEndpoint();
app.MapMusicGenApi();
app.MapListeningTest();

await app.RunAsync();
return 0;

/// <summary>The service's entry point (public for WebApplicationFactory).</summary>
public partial class Program;
