using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using MusicGen.Inference;

namespace MusicGen.Server.Tests;

/// <summary>
/// Faults of several exception types injected at admission, at a decode step and at decode/MIDI writing: every
/// request is answered (a ProblemDetails, or an SSE error event), the slots and the queue go back to 0, the service
/// keeps serving, and the model version whose requests failed still drains and unloads.
/// </summary>
public sealed class FaultTests
{
    /// <summary>Throws the armed exception at the armed stage of the generation loop, for one model version only.</summary>
    internal sealed class Faults : GenerationObserver
    {
        private volatile Func<Exception>? _make;
        private volatile string? _stage;
        private int _thrown;

        public string Version { get; init; } = "1";

        public int Thrown => Volatile.Read(ref _thrown);

        public void Arm(string stage, Func<Exception> make)
        {
            _make = make;
            _stage = stage;
        }

        public void Disarm() => _stage = null;

        private void Maybe(string stage, MusicModel model)
        {
            if (_stage != stage || model.Package.Version != Version || _make is not { } make) return;
            Interlocked.Increment(ref _thrown);
            throw make();
        }

        public override void Admitting(MusicModel model, GenerationSequence sequence) => Maybe("admission", model);

        public override void Stepping(MusicModel model, int rows) => Maybe("step", model);

        public override void Finishing(MusicModel model, GenerationSequence sequence) => Maybe("finish", model);
    }

    private static readonly (Func<Exception> Make, int Status)[] Kinds =
    [
        (() => new InvalidCastException("injected fault"), 500),
        (() => new NullReferenceException("injected fault"), 500),
        (() => new ArgumentException("injected fault", "x"), 500),   // from the engine, not the client's input: 500
        (() => new IndexOutOfRangeException("injected fault"), 500),
        (() => new OutOfMemoryException("injected fault"), 503),
    ];

    [Theory]
    [InlineData("admission")]
    [InlineData("step")]
    [InlineData("finish")]
    public async Task Every_request_is_answered_and_the_version_drains_when_a_stage_throws(string stage)
    {
        using var dir = new TempDir();
        TestPackages.Write(Path.Combine(dir.Path, "tiny"), "tiny", "1", seed: 1);
        var faults = new Faults();
        await using var factory = new ServerFactory(dir.Path, new() { ["MusicGen:RetainedVersions"] = "0", ["MusicGen:MaxBatchSize"] = "4" },
            services => services.AddSingleton<GenerationObserver>(faults));
        var client = factory.CreateClient();
        client.Timeout = TimeSpan.FromSeconds(60); // a hung request fails the test instead of hanging it
        await ServerFactory.Until(async () => (await client.GetAsync("/readyz")).IsSuccessStatusCode, "the service to become ready");

        foreach (var (make, status) in Kinds)
        {
            faults.Arm(stage, make);
            // More requests than slots: some wait in the queue while the batch fails.
            var plain = Enumerable.Range(0, 6).Select(i => client.PostAsJsonAsync("/v1/generate", Body(i))).ToArray();
            var streams = Enumerable.Range(0, 2).Select(i => StreamAsync(client, Body(100 + i))).ToArray();
            foreach (var resp in await Task.WhenAll(plain))
            {
                var text = await resp.Content.ReadAsStringAsync();
                Assert.True(status == (int)resp.StatusCode, $"{stage} {make().GetType().Name}: {(int)resp.StatusCode} {text}");
                Assert.Equal("application/problem+json", resp.Content.Headers.ContentType?.MediaType);
                Assert.Equal(status, JsonDocument.Parse(text).RootElement.GetProperty("status").GetInt32());
            }
            foreach (var events in await Task.WhenAll(streams))
            {
                Assert.Equal("error", events[^1].Event);
                Assert.Equal(status, events[^1].Data.GetProperty("status").GetInt32());
            }
        }
        Assert.True(faults.Thrown >= Kinds.Length);

        // The service keeps serving, with nothing left in a slot or the queue.
        faults.Disarm();
        Assert.Equal(HttpStatusCode.OK, (await client.PostAsJsonAsync("/v1/generate", Body(7))).StatusCode);
        await ServerFactory.Until(async () => await Metrics.ReadAsync(client, "musicgen_batch_active") == 0, "the slots to be free");
        Assert.Equal(0, await Metrics.ReadAsync(client, "musicgen_queue_depth"));
        Assert.True(await Metrics.ReadAsync(client, "musicgen_requests_total", "outcome=\"error\"") >= Kinds.Length);

        // Version 1 held no request past its answer: replaced, it drains and unloads.
        TestPackages.Write(Path.Combine(dir.Path, "tiny@2"), "tiny", "2", seed: 2);
        await ServerFactory.Until(async () => ServerFactory.ActiveVersion(await ServerFactory.ModelsAsync(client), "tiny") == "2", "version 2 to become active");
        await ServerFactory.Until(async () => RegistryTests.VersionState(await ServerFactory.ModelsAsync(client), "tiny", "1") == "available", "version 1 to unload");
    }

    private static object Body(int seed) => new { tokens = 40, seed, tokenBias = SchedulingTests.NoEos };

    private static async Task<List<Sse.Item>> StreamAsync(HttpClient client, object body)
    {
        using var msg = new HttpRequestMessage(HttpMethod.Post, "/v1/generate/stream") { Content = JsonContent.Create(body) };
        using var resp = await client.SendAsync(msg, HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, resp.StatusCode);
        return await Sse.ReadAllAsync(await resp.Content.ReadAsStreamAsync());
    }
}
