// An app that uses MusicGen the way a user does: from the MusicGen.Inference and MusicGen.Core NuGet packages.
// It generates a piece with a model package, reads the MIDI back with MusicGen.Core, and checks that the same seed
// gives the same bytes. Exit code 0 only when all of that holds.
//
//   bash scripts/package-test.sh                     (packs, then builds and runs this app against the packages)
//   dotnet run --project samples/MusicGen.FromPackages -- onnx/pop909-transformer out.mid
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using MusicGen.Core.Midi;
using MusicGen.Inference;

if (args.Length != 2)
{
    Console.Error.WriteLine("usage: MusicGen.FromPackages <model-package-folder> <out.mid>");
    return 2;
}

var builder = Host.CreateApplicationBuilder();
builder.Logging.SetMinimumLevel(LogLevel.Warning);
builder.Services.AddMusicGeneration(o => o.ModelPath = args[0]);
using var host = builder.Build();
await host.StartAsync();
var generator = host.Services.GetRequiredService<IMusicGenerator>();

var request = new GenerationRequest { Bars = 4, MaxTokens = 512, Seed = 19 };
var first = await generator.GenerateAsync(request);
var again = await generator.GenerateAsync(request);
await File.WriteAllBytesAsync(args[1], first.Midi);
await host.StopAsync();

var assembly = typeof(IMusicGenerator).Assembly.GetName();
var readBack = MidiScore.Read(first.Midi).Tracks.Sum(t => t.Notes.Count);
Console.WriteLine($"{assembly.Name} {assembly.Version} from {typeof(IMusicGenerator).Assembly.Location}");
Console.WriteLine($"model {generator.Package.Name} {generator.Package.Version}: {first.NoteCount} notes, " +
                  $"{first.DurationSeconds:F1} s, {first.Timing.GeneratedTokens} tokens ({first.StopReason}) -> {args[1]}");

var problems = new List<string>();
if (first.NoteCount == 0) problems.Add("the piece has no notes");
if (readBack != first.NoteCount) problems.Add($"MusicGen.Core reads {readBack} notes back, the generator reported {first.NoteCount}");
if (!first.Midi.AsSpan().SequenceEqual(again.Midi)) problems.Add("the same seed gave different MIDI bytes");
foreach (var p in problems) Console.Error.WriteLine($"FAIL: {p}");
if (problems.Count == 0) Console.WriteLine("package test passed: generated, read back, same seed gives the same MIDI");
return problems.Count == 0 ? 0 : 1;
