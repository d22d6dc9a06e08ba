using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using MusicGen.Core.Midi;

namespace MusicGen.Inference.Tests;

public sealed class GeneratorTests
{
    private static InferenceOptions Options(int maxBatch = 32) => new() { ModelPath = TestPackages.Transformer(), MaxBatchSize = maxBatch };

    [Fact]
    public async Task Concurrent_callers_get_what_they_would_get_alone()
    {
        await using var generator = MusicGenerator.Create(Options());
        GenerationRequest Request(int seed) => new() { MaxTokens = 40 + seed % 7 * 10, Seed = seed, Sampling = new SamplingOptions { Temperature = 1.1f, TopK = 30 } };
        var alone = new Dictionary<int, byte[]>();
        foreach (var seed in new[] { 3, 11 }) alone[seed] = (await generator.GenerateAsync(Request(seed))).Midi;

        var tasks = Enumerable.Range(0, 48).Select(seed => Task.Run(() => generator.GenerateAsync(Request(seed)))).ToArray();
        var results = await Task.WhenAll(tasks);
        Assert.Equal(alone[3], results[3].Midi);
        Assert.Equal(alone[11], results[11].Midi);
        foreach (var r in results)
        {
            MidiScore.Read(r.Midi);
            Assert.True(r.Timing.GeneratedTokens > 0);
            Assert.NotEqual(StopReason.None, r.StopReason);
        }
    }

    [Fact]
    public async Task Streaming_reports_tokens_then_notes_then_the_result()
    {
        await using var generator = MusicGenerator.Create(Options());
        var request = new GenerationRequest { MaxTokens = 120, Seed = 9, Sampling = new SamplingOptions { TokenBias = new Dictionary<int, float> { [2] = float.NegativeInfinity } } };
        var events = new List<GenerationEvent>();
        await foreach (var e in generator.StreamAsync(request)) events.Add(e);
        var result = Assert.Single(events, e => e.Kind == GenerationEventKind.Completed).Result!;
        Assert.Equal(GenerationEventKind.Completed, events[^1].Kind);
        var tokens = events.Where(e => e.Kind == GenerationEventKind.Token).Select(e => e.Token).ToArray();
        Assert.Equal(result.Tokens[result.PromptTokenCount..], tokens);
        var notes = events.Where(e => e.Kind == GenerationEventKind.Note).ToList();
        Assert.Equal(result.NoteCount, notes.Count);
        var again = await generator.GenerateAsync(request);
        Assert.Equal(again.Midi, result.Midi);
    }

    [Fact]
    public async Task Cancelling_frees_the_slot_within_a_step()
    {
        // A long context (8192) and a model big enough (d 256, 4 layers) that an uncancelled request runs for seconds:
        // with the tiny model, 8,000 tokens once finished before a starved test thread saw its third token (CI).
        var options = new InferenceOptions { ModelPath = TestPackages.Transformer("long", dModel: 256, layers: 4, heads: 4, kvHeads: 2, context: 8192), MaxBatchSize = 2 };
        await using var generator = MusicGenerator.Create(options);
        var endless = new GenerationRequest { MaxTokens = 16_000, Seed = 1, Sampling = new SamplingOptions { TokenBias = new Dictionary<int, float> { [2] = float.NegativeInfinity } } };
        using var cts = new CancellationTokenSource();
        var background = generator.GenerateAsync(endless, cts.Token);
        int seen = 0;
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            await foreach (var e in generator.StreamAsync(endless, cts.Token))
            {
                if (e.Kind == GenerationEventKind.Token && ++seen == 3) cts.Cancel();
            }
        });
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => background);
        var next = await generator.GenerateAsync(new GenerationRequest { MaxTokens = 10, Seed = 2 }).WaitAsync(TimeSpan.FromSeconds(60));
        Assert.True(next.Timing.GeneratedTokens > 0);
        Assert.Equal(0, generator.ActiveCount);
        Assert.InRange(seen, 3, 15_990);
    }

    [Fact]
    public async Task Dependency_injection_validates_options_on_start_and_serves_the_model()
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Services.AddMusicGeneration(o => { o.ModelPath = TestPackages.Transformer(); o.MaxBatchSize = 4; });
        using (var host = builder.Build())
        {
            await host.StartAsync();
            var generator = host.Services.GetRequiredService<IMusicGenerator>();
            var result = await generator.GenerateAsync(new GenerationRequest { MaxTokens = 12, Seed = 4 });
            Assert.True(result.Tokens.Length > result.PromptTokenCount);
            await host.StopAsync();
        }

        var bad = Host.CreateApplicationBuilder();
        bad.Services.AddMusicGeneration(o => o.IntraOpThreads = -2);
        using var badHost = bad.Build();
        var e = await Assert.ThrowsAsync<OptionsValidationException>(() => badHost.StartAsync());
        Assert.Contains(e.Failures, f => f.Contains("IntraOpThreads"));
        Assert.Contains(e.Failures, f => f.Contains("ModelPath"));
    }

    [Fact]
    public async Task A_primer_is_continued_and_kept()
    {
        await using var generator = MusicGenerator.Create(Options());
        var primerResult = await generator.GenerateAsync(new GenerationRequest { MaxTokens = 60, Seed = 21 });
        var primer = primerResult.Midi;
        var result = await generator.GenerateAsync(new GenerationRequest { PrimerMidi = primer, MaxTokens = 40, Seed = 5 });
        Assert.True(result.PromptTokenCount > 1);
        var tokenizer = generator.Model.Tokenizer;
        var encoded = tokenizer.Encode(MidiScore.Read(primer));
        Assert.Equal(encoded[..^1], result.Tokens[..result.PromptTokenCount]); // BOS + primer, without its EOS
        Assert.True(result.NoteCount >= primerResult.NoteCount);
    }
}

public sealed class StreamingTokenizerTests
{
    [Theory]
    [InlineData("remi")]
    [InlineData("performance")]
    public async Task Streamed_notes_are_exactly_the_final_notes(string kind)
    {
        MusicGen.Core.Tokenization.IMusicTokenizer tokenizer = kind == "remi"
            ? new MusicGen.Core.Tokenization.RemiTokenizer(new MusicGen.Core.Tokenization.RemiConfig { PositionsPerQuarter = 4 })
            : new MusicGen.Core.Tokenization.PerformanceTokenizer(new MusicGen.Core.Tokenization.PerformanceConfig { TimeShiftMs = 20, MaxTimeShiftMs = 500 });
        var package = TestPackages.Transformer(kind, tokenizer: tokenizer);
        await using var generator = MusicGenerator.Create(new InferenceOptions { ModelPath = package });
        var request = new GenerationRequest { MaxTokens = 300, Seed = 12, Sampling = new SamplingOptions { TokenBias = new Dictionary<int, float> { [tokenizer.Eos] = float.NegativeInfinity } } };
        var notes = new List<(int, MusicGen.Core.Music.Note)>();
        GenerationResult? result = null;
        await foreach (var e in generator.StreamAsync(request))
        {
            if (e.Kind == GenerationEventKind.Note) notes.Add((e.Track, e.Note));
            if (e.Kind == GenerationEventKind.Completed) result = e.Result;
        }
        var final = result!.Score.Tracks.SelectMany((t, i) => t.Notes.Select(n => (i, n))).ToList();
        Assert.True(final.Count > 0);
        Assert.Equal(final.OrderBy(x => x.Item1).ThenBy(x => x.n.Start).ThenBy(x => x.n.Pitch), notes.OrderBy(x => x.Item1).ThenBy(x => x.Item2.Start).ThenBy(x => x.Item2.Pitch));
    }
}
