using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using Microsoft.Extensions.DependencyInjection;
using MusicGen.Server.Audio;

namespace MusicGen.Server.Tests;

/// <summary>
/// Audio renders run on a fixed, bounded set of threads (<see cref="RenderThreads"/>), never on whatever pool thread is
/// free: that is what keeps FluidSynth's per-render native memory in a bounded number of glibc malloc arenas, the fix
/// for the soak's RSS growth (docs/server.md, "Soak").
/// </summary>
public sealed class RenderThreadsTests
{
    [Fact]
    public async Task Work_from_many_callers_runs_only_on_the_fixed_threads()
    {
        using var threads = new RenderThreads(2);
        var seen = new ConcurrentDictionary<int, string?>();
        await Task.WhenAll(Enumerable.Range(0, 64).Select(i => Task.Run(() => threads.RunAsync(() =>
        {
            seen[Environment.CurrentManagedThreadId] = Thread.CurrentThread.Name;
            return i;
        }, CancellationToken.None))));
        Assert.InRange(seen.Count, 1, 2);
        Assert.All(seen.Values, name => Assert.StartsWith(RenderThreads.NamePrefix, name));
    }

    [Fact]
    public async Task A_queued_render_that_is_cancelled_ends_at_once_and_never_runs()
    {
        using var threads = new RenderThreads(1);
        using var gate = new ManualResetEventSlim();
        var blocker = threads.RunAsync(() => gate.Wait(TimeSpan.FromMinutes(1)), CancellationToken.None);
        using var cancel = new CancellationTokenSource();
        var ran = false;
        var queued = threads.RunAsync(() => ran = true, cancel.Token);
        cancel.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => queued); // while the only thread is still busy
        Assert.False(blocker.IsCompleted);
        gate.Set();
        Assert.True(await blocker);
        Assert.Equal(7, await threads.RunAsync(() => 7, CancellationToken.None)); // the queue moved past the cancelled one
        Assert.False(ran);
    }

    [Fact]
    public async Task A_failing_render_fails_only_its_own_task()
    {
        using var threads = new RenderThreads(1);
        var failed = threads.RunAsync<int>(() => throw new InvalidOperationException("FluidSynth failed"), CancellationToken.None);
        Assert.Equal("FluidSynth failed", (await Assert.ThrowsAsync<InvalidOperationException>(() => failed)).Message);
        Assert.Equal(3, await threads.RunAsync(() => 3, CancellationToken.None));
    }

    [Fact]
    public void After_dispose_new_work_is_refused()
    {
        var threads = new RenderThreads(1);
        threads.Dispose();
        Assert.Throws<ObjectDisposedException>(() => { _ = threads.RunAsync(() => 1, CancellationToken.None); }); // at the call, not in the task
    }

    [Fact]
    public async Task The_service_renders_parallel_requests_on_MaxConcurrentRenders_threads()
    {
        using var dir = new TempDir();
        TestPackages.Write(Path.Combine(dir.Path, "tiny"), "tiny", "1", seed: 1);
        await using var factory = new ServerFactory(dir.Path, new() { ["MusicGen:MaxConcurrentRenders"] = "3" });
        factory.UseKestrelOnLoopback();
        factory.StartServer();
        var client = await factory.ReadyClientAsync();
        var answers = await Task.WhenAll(Enumerable.Range(0, 6).Select(i => client.PostAsJsonAsync("/v1/generate", new { tokens = 16, seed = i, format = i % 2 == 0 ? "wav" : "flac" })));
        Assert.All(answers, a => Assert.Equal(HttpStatusCode.OK, a.StatusCode));
        Assert.Equal(3, factory.Services.GetRequiredService<AudioRendering>().Threads.Count);
    }

    [Fact]
    public void The_C_heap_can_be_trimmed_here()
    {
        // The service and CI run on glibc (Debian): malloc_trim must be found, or renders keep their freed memory.
        Assert.True(OperatingSystem.IsLinux());
        Assert.True(NativeHeap.Trim());
    }
}
