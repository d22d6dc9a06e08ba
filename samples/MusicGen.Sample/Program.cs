// A .NET app that embeds MusicGen: register the engine with dependency injection, stream one piece note by note,
// then generate four variations concurrently (they share one batched decode loop) and write them as MIDI files.
//
//   dotnet run --project samples/MusicGen.Sample -- onnx/<model> [out-folder]
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using MusicGen.Inference;

if (args.Length < 1)
{
    Console.Error.WriteLine("usage: MusicGen.Sample <model-package-folder> [out-folder]");
    return 2;
}
var outDir = args.Length > 1 ? args[1] : "sample-out";
Directory.CreateDirectory(outDir);

var builder = Host.CreateApplicationBuilder();
builder.Services.AddMusicGeneration(o =>
{
    o.ModelPath = args[0];
    o.MaxBatchSize = 8;
});
using var host = builder.Build();
await host.StartAsync(); // options are validated here (ValidateOnStart)
var generator = host.Services.GetRequiredService<IMusicGenerator>();
Console.WriteLine($"model {generator.Package.Name} {generator.Package.Version} ({generator.Package.Architecture}, {generator.Package.Tokenizer.Kind} tokens)");

// 1. Streaming: notes arrive while the model is still writing.
var request = new GenerationRequest
{
    Bars = 8,
    MaxTokens = 1024,
    Seed = 2026,
    Sampling = new SamplingOptions { Temperature = 0.95f, TopP = 0.95f, RepetitionPenalty = 1.05f },
};
int notes = 0;
await foreach (var e in generator.StreamAsync(request))
{
    switch (e.Kind)
    {
        case GenerationEventKind.Note:
            if (notes++ < 12) Console.WriteLine($"  note pitch {e.Note.Pitch,3} at {e.StartSeconds,6:F2} s for {e.EndSeconds - e.StartSeconds:F2} s");
            break;
        case GenerationEventKind.Completed:
            var r = e.Result!;
            var path = Path.Combine(outDir, "streamed.mid");
            await File.WriteAllBytesAsync(path, r.Midi);
            Console.WriteLine($"streamed: {r.NoteCount} notes, {r.DurationSeconds:F1} s, {r.Timing.GeneratedTokens} tokens at {r.Timing.TokensPerSecond:F0} tok/s ({r.StopReason}) -> {path}");
            break;
    }
}

// 2. Concurrent callers: each request keeps its own seed, so results do not depend on what else is running.
var variations = await Task.WhenAll(Enumerable.Range(0, 4).Select(i => generator.GenerateAsync(new GenerationRequest
{
    MaxTokens = 512,
    Seed = 100 + i,
    Sampling = new SamplingOptions { Temperature = 1.0f, TopK = 40 },
})));
for (int i = 0; i < variations.Length; i++)
{
    var path = Path.Combine(outDir, $"variation-{i + 1}.mid");
    await File.WriteAllBytesAsync(path, variations[i].Midi);
    Console.WriteLine($"variation {i + 1}: {variations[i].NoteCount} notes, {variations[i].DurationSeconds:F1} s (seed {variations[i].Seed}) -> {path}");
}

await host.StopAsync();
return 0;
