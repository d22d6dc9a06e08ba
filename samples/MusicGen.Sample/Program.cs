// A .NET app that embeds MusicGen with two models side by side: each is a keyed IMusicGenerator registered with
// dependency injection and wrapped in the library's decorators (a log line per generation, OpenTelemetry spans and
// metrics). It streams one pop piece note by note, then writes four variations from each model at once (each
// model batches its own concurrent requests) as MIDI files.
//
//   dotnet run --project samples/MusicGen.Sample -- [pop-package] [folk-package] [out-folder]
//   (defaults: onnx/pop909-transformer onnx/nottingham-lstm sample-out)
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using MusicGen.Inference;

var popPath = args.Length > 0 ? args[0] : "onnx/pop909-transformer";
var folkPath = args.Length > 1 ? args[1] : "onnx/nottingham-lstm";
var outDir = args.Length > 2 ? args[2] : "sample-out";
Directory.CreateDirectory(outDir);

var builder = Host.CreateApplicationBuilder();
// Two models, one key each. The options of a key are named options, so they can be bound from configuration too:
// builder.Services.Configure<InferenceOptions>("pop", builder.Configuration.GetSection("Models:Pop")).
builder.Services.AddKeyedMusicGenerator("pop", o => { o.ModelPath = popPath; o.MaxBatchSize = 8; })
    .UseLogging()        // outermost: one log line per generation (model, tokens, duration, finish reason, seed)
    .UseOpenTelemetry(); // a span and metrics per generation on ActivitySource/Meter "MusicGen"
builder.Services.AddKeyedMusicGenerator("folk", o => { o.ModelPath = folkPath; o.MaxBatchSize = 8; })
    .UseLogging()
    .UseOpenTelemetry();
using var host = builder.Build();
await host.StartAsync(); // both models' options are validated here (ValidateOnStart)
var pop = host.Services.GetRequiredKeyedService<IMusicGenerator>("pop");
var folk = host.Services.GetRequiredKeyedService<IMusicGenerator>("folk");
foreach (var (key, g) in new[] { ("pop", pop), ("folk", folk) })
    Console.WriteLine($"{key}: model {g.Package.Name} {g.Package.Version} ({g.Package.Architecture}, {g.Package.Tokenizer.Kind} tokens)");

// 1. Streaming: notes arrive while the model is still writing.
var request = new GenerationRequest
{
    Bars = 8,
    MaxTokens = 1024,
    Seed = 2026,
    Sampling = new SamplingOptions { Temperature = 0.95f, TopP = 0.95f, RepetitionPenalty = 1.05f },
};
int notes = 0;
await foreach (var e in pop.StreamAsync(request))
{
    switch (e.Kind)
    {
        case GenerationEventKind.Note:
            if (notes++ < 12) Console.WriteLine($"  note pitch {e.Note.Pitch,3} at {e.StartSeconds,6:F2} s for {e.EndSeconds - e.StartSeconds:F2} s");
            break;
        case GenerationEventKind.Completed:
            var r = e.Result!;
            var path = Path.Combine(outDir, "pop-streamed.mid");
            await File.WriteAllBytesAsync(path, r.Midi);
            Console.WriteLine($"streamed: {r.NoteCount} notes, {r.DurationSeconds:F1} s, {r.Timing.GeneratedTokens} tokens at {r.Timing.TokensPerSecond:F0} tok/s ({r.StopReason}) -> {path}");
            break;
    }
}

// 2. Concurrent callers on both models: each request keeps its own seed, so results do not depend on what else runs.
var jobs = new[] { ("pop", pop), ("folk", folk) }
    .SelectMany(m => Enumerable.Range(0, 4).Select(i => (Key: m.Item1, Index: i, Task: m.Item2.GenerateAsync(new GenerationRequest
    {
        MaxTokens = 512,
        Seed = 100 + i,
        Sampling = new SamplingOptions { Temperature = 1.0f, TopK = 40 },
    }))))
    .ToList();
await Task.WhenAll(jobs.Select(j => j.Task));
foreach (var (key, index, task) in jobs)
{
    var result = task.Result;
    var path = Path.Combine(outDir, $"{key}-variation-{index + 1}.mid");
    await File.WriteAllBytesAsync(path, result.Midi);
    Console.WriteLine($"{key} variation {index + 1}: {result.NoteCount} notes, {result.DurationSeconds:F1} s (seed {result.Seed}) -> {path}");
}

await host.StopAsync();
return 0;
