using System.Net;
using System.Net.Http.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using MusicGen.Server.Scheduling;

namespace MusicGen.Server.Tests;

/// <summary>
/// Graceful shutdown: stopping the scheduler (what the host does on SIGTERM, within HostOptions.ShutdownTimeout =
/// ServerOptions.ShutdownTimeout) lets the requests in flight finish and answers new ones 503; when the shutdown time
/// runs out first, what is left ends with an error event instead of hanging. scripts/soak.sh checks the same on the
/// real process with a real SIGTERM.
/// </summary>
public sealed class ShutdownTests
{
    [Fact]
    public async Task Stopping_lets_a_stream_in_flight_finish_and_refuses_new_requests()
    {
        using var dir = new TempDir();
        SchedulingTests.WriteSlow(dir.Path);
        await using var factory = new ServerFactory(dir.Path);
        var client = await factory.ReadyClientAsync();
        var host = factory.Services.GetRequiredService<IOptions<HostOptions>>().Value;
        Assert.Equal(new ServerOptions().ShutdownTimeout, host.ShutdownTimeout);

        using var msg = new HttpRequestMessage(HttpMethod.Post, "/v1/generate/stream") { Content = JsonContent.Create(new { tokens = 300, seed = 1, tokenBias = SchedulingTests.NoEos }) };
        var resp = await client.SendAsync(msg, HttpCompletionOption.ResponseHeadersRead);
        var stream = await resp.Content.ReadAsStreamAsync();
        await Sse.ReadAllAsync(stream, e => e.Event == "token");

        var scheduler = factory.Services.GetServices<IHostedService>().OfType<GenerationScheduler>().Single();
        using var shutdown = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var stopping = scheduler.StopAsync(shutdown.Token);

        var refused = await client.PostAsJsonAsync("/v1/generate", new { tokens = 4 });
        Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
        Assert.True(refused.Headers.RetryAfter is not null);

        var rest = await Sse.ReadAllAsync(stream);
        Assert.Equal("done", rest[^1].Event);
        Assert.Equal(300, rest[^1].Data.GetProperty("tokens").GetInt32());
        await stopping;
        Assert.False(shutdown.IsCancellationRequested);
    }

    [Fact]
    public async Task When_the_shutdown_time_runs_out_the_stream_ends_with_an_error_event()
    {
        using var dir = new TempDir();
        SchedulingTests.WriteSlow(dir.Path);
        await using var factory = new ServerFactory(dir.Path);
        var client = await factory.ReadyClientAsync();

        using var msg = new HttpRequestMessage(HttpMethod.Post, "/v1/generate/stream") { Content = JsonContent.Create(new { tokens = 4000, seed = 1, tokenBias = SchedulingTests.NoEos }) };
        var resp = await client.SendAsync(msg, HttpCompletionOption.ResponseHeadersRead);
        var stream = await resp.Content.ReadAsStreamAsync();
        await Sse.ReadAllAsync(stream, e => e.Event == "token");

        var scheduler = factory.Services.GetServices<IHostedService>().OfType<GenerationScheduler>().Single();
        // The shutdown time has already run out: on an idle machine the rest of the 4,000 tokens could otherwise
        // finish inside a short window (1 of 6 runs alone ended "done" with a 300 ms window).
        using var shutdown = new CancellationTokenSource();
        await shutdown.CancelAsync();
        await scheduler.StopAsync(shutdown.Token);
        var rest = await Sse.ReadAllAsync(stream);
        Assert.Equal("error", rest[^1].Event);
        Assert.Equal(503, rest[^1].Data.GetProperty("status").GetInt32());
    }
}
