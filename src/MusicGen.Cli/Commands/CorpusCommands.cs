using System.CommandLine;
using System.Globalization;
using MusicGen.Core.Corpus;
using MusicGen.Core.Music;
using MusicGen.Core.Tokenization;
using Spectre.Console;

namespace MusicGen.Cli.Commands;

/// <summary><c>musicgen corpus ...</c>: build and inspect token caches for training.</summary>
public static class CorpusCommands
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>The <c>corpus</c> command group.</summary>
    public static Command Create()
    {
        var corpus = new Command("corpus", "Build and inspect token caches (tokens.bin + index.json + tokenizer.json).");
        corpus.Subcommands.Add(Build());
        corpus.Subcommands.Add(Stats());
        return corpus;
    }

    private static Command Build()
    {
        var kind = TokensCommands.TokenizerOption();
        var config = TokensCommands.ConfigOption();
        var input = new Option<string>("--input", "-i") { Description = "A folder of MIDI files (recursive) or a JSB chorales .json file.", Required = true };
        var output = new Option<string>("--out", "-o") { Description = "Output folder of the cache.", Required = true };
        var valid = new Option<double>("--valid") { Description = "Share of MIDI files in the valid split (JSB keeps its splits).", DefaultValueFactory = _ => 0.1 };
        var seed = new Option<ulong>("--seed") { Description = "Seed of the split and of augmentation.", DefaultValueFactory = _ => 1UL };
        var copies = new Option<int>("--augment") { Description = "Augmented copies per training piece (0: none).", DefaultValueFactory = _ => 0 };
        var transpose = new Option<string>("--transpose") { Description = "Transposition range in semitones, e.g. -5..6.", DefaultValueFactory = _ => "-5..6" };
        var pitchRange = new Option<string>("--pitch-range") { Description = "Pitches transposed notes must stay within, e.g. 21..108.", DefaultValueFactory = _ => "21..108" };
        var stretch = new Option<string>("--stretch") { Description = "Tempo stretch factor range, e.g. 0.9..1.1 (above 1 is slower).", DefaultValueFactory = _ => "1..1" };
        var jitter = new Option<int>("--velocity-jitter") { Description = "Largest velocity change per note in augmented copies.", DefaultValueFactory = _ => 0 };
        var fpq = new Option<int>("--frames-per-quarter") { Description = "JSB input with remi/performance: frames per quarter note.", DefaultValueFactory = _ => 1 };
        var threads = new Option<int>("--threads") { Description = "Worker threads (default: all cores).", DefaultValueFactory = _ => Environment.ProcessorCount };
        var meters = MeterOption();
        var programs = TrackProgramOption();
        var cmd = new Command("build", "Tokenize a MIDI folder or the JSB JSON into a cache: split by file, augment the train split, skip and list bad files.")
        {
            kind, config, input, output, valid, seed, copies, transpose, pitchRange, stretch, jitter, fpq, threads, meters, programs,
        };
        cmd.SetAction(parse => TokensCommands.Guard(() =>
        {
            var (tMin, tMax) = IntRange(parse.GetValue(transpose)!, "--transpose");
            var (pMin, pMax) = IntRange(parse.GetValue(pitchRange)!, "--pitch-range");
            var (sMin, sMax) = DoubleRange(parse.GetValue(stretch)!, "--stretch");
            var options = new CorpusBuildOptions
            {
                Tokenizer = TokensCommands.ResolveTokenizer(parse.GetValue(kind)!, parse.GetValue(config)),
                Input = parse.GetValue(input)!,
                Output = parse.GetValue(output)!,
                ValidFraction = parse.GetValue(valid),
                Seed = parse.GetValue(seed),
                FramesPerQuarter = parse.GetValue(fpq),
                Parallelism = parse.GetValue(threads),
                MeterMap = MeterMap(parse.GetValue(meters)),
                TrackPrograms = TrackPrograms(parse.GetValue(programs)),
                Augmentation = new AugmentationOptions
                {
                    Copies = parse.GetValue(copies),
                    TransposeMin = tMin,
                    TransposeMax = tMax,
                    PitchMin = pMin,
                    PitchMax = pMax,
                    StretchMin = sMin,
                    StretchMax = sMax,
                    VelocityJitter = parse.GetValue(jitter),
                },
            };
            options.Validate();
            CorpusSummary summary = null!;
            AnsiConsole.Progress()
                .AutoClear(false)
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn())
                .Start(ctx =>
                {
                    var task = ctx.AddTask($"tokenizing ({options.Tokenizer.Kind})", maxValue: 1);
                    summary = CorpusBuilder.Build(options, (done, total) =>
                    {
                        task.MaxValue = total;
                        task.Value = done;
                    });
                    task.Value = task.MaxValue;
                });
            Print(TokenCorpus.Open(options.Output), summary);
            return 0;
        }));
        return cmd;
    }

    private static Command Stats()
    {
        var dir = new Argument<string>("DIR") { Description = "A cache folder written by corpus build." };
        var cmd = new Command("stats", "Summarise a token cache: documents and tokens per split, lengths, token kinds, skipped files.") { dir };
        cmd.SetAction(parse => TokensCommands.Guard(() =>
        {
            var corpus = TokenCorpus.Open(parse.GetValue(dir)!);
            Print(corpus, corpus.Index.Summary);
            PrintTokenKinds(corpus);
            return 0;
        }));
        return cmd;
    }

    private static void Print(TokenCorpus corpus, CorpusSummary s)
    {
        var table = new Table().Border(TableBorder.Rounded).AddColumns("split", "documents", "tokens", "median length", "max length");
        foreach (var split in corpus.Splits)
        {
            var lengths = corpus.Entries(split).Select(d => d.Length).Order().ToArray();
            table.AddRow(split, lengths.Length.ToString(Inv), s.Tokens.GetValueOrDefault(split).ToString("N0", Inv),
                lengths.Length == 0 ? "-" : lengths[lengths.Length / 2].ToString(Inv), lengths.Length == 0 ? "-" : lengths[^1].ToString(Inv));
        }

        AnsiConsole.Write(table);
        var lines = new[]
        {
            $"tokenizer:       {corpus.Tokenizer.Kind} ({s.VocabularySize} tokens), input {corpus.Index.Input}",
            $"sources:         {s.Sources} ({s.Skipped} skipped)",
            $"documents:       {s.Documents} (augmented copies per train piece: {corpus.Index.Augmentation.Copies})",
            $"vocabulary used: {s.VocabularyUsed} / {s.VocabularySize}",
            $"music:           {s.OriginalSeconds / 3600:0.00} h in originals, {s.TokensPerSecond:0.0} tokens per second of music",
            $"build time:      {s.ElapsedSeconds:0.0} s ({(s.ElapsedSeconds > 0 ? s.Sources / s.ElapsedSeconds : 0):0} sources/s)",
        };
        foreach (var line in lines)
        {
            Console.Out.WriteLine(line.ToString(Inv));
        }

        foreach (var skip in corpus.Index.Skipped.Take(20))
        {
            Console.Out.WriteLine($"  skipped {skip.Source}: {skip.Error}");
        }

        if (corpus.Index.Skipped.Count > 20)
        {
            Console.Out.WriteLine($"  ... {corpus.Index.Skipped.Count - 20} more skipped (see index.json)");
        }
    }

    private static void PrintTokenKinds(TokenCorpus corpus)
    {
        var t = corpus.Tokenizer;
        var counts = new long[t.VocabularySize];
        foreach (var id in corpus.Tokens.Span)
        {
            if ((uint)id < (uint)counts.Length)
            {
                counts[id]++;
            }
        }

        var total = Math.Max(1, counts.Sum());
        var kinds = Enumerable.Range(0, t.VocabularySize)
            .GroupBy(i => t.TokenName(i).Split('_')[0])
            .Select(g => (Kind: g.Key, Count: g.Sum(i => counts[i]), Used: g.Count(i => counts[i] > 0), Size: g.Count()))
            .OrderByDescending(x => x.Count);
        var table = new Table().Border(TableBorder.Rounded).AddColumns("token kind", "share", "ids used");
        foreach (var k in kinds)
        {
            table.AddRow(k.Kind, (100.0 * k.Count / total).ToString("0.0", Inv) + "%", $"{k.Used} / {k.Size}");
        }

        AnsiConsole.Write(table);
    }

    internal static Option<string[]> MeterOption() =>
        new("--meter") { Description = "Rewrite a time signature before tokenizing, FROM=TO (e.g. 1/4=4/4 for POP909's 1/4 files); repeatable.", AllowMultipleArgumentsPerToken = true };

    internal static Dictionary<string, string>? MeterMap(string[]? pairs)
    {
        if (pairs is null || pairs.Length == 0) return null;
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var pair in pairs)
        {
            var parts = pair.Split('=');
            if (parts.Length != 2) throw new ArgumentException($"--meter '{pair}': expected FROM=TO, e.g. 1/4=4/4.");
            map[parts[0].Trim()] = parts[1].Trim();
        }
        return map;
    }

    internal static Option<string[]> TrackProgramOption() =>
        new("--track-program") { Description = "Give a named track a program before tokenizing, NAME=PROGRAM (e.g. MELODY=1 to keep POP909's melody apart; names match ignoring case); repeatable.", AllowMultipleArgumentsPerToken = true };

    internal static Dictionary<string, int>? TrackPrograms(string[]? pairs)
    {
        if (pairs is null || pairs.Length == 0) return null;
        var map = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var pair in pairs)
        {
            var cut = pair.LastIndexOf('=');
            if (cut <= 0 || !int.TryParse(pair.AsSpan(cut + 1).Trim(), NumberStyles.None, Inv, out var program))
                throw new ArgumentException($"--track-program '{pair}': expected NAME=PROGRAM, e.g. MELODY=1.");
            map[pair[..cut].Trim()] = program;
        }
        _ = TrackProgramMap.Parse(map);
        return map;
    }

    private static (int, int) IntRange(string text, string option)
    {
        var parts = text.Split("..");
        if (parts.Length == 2 && int.TryParse(parts[0], NumberStyles.Integer, Inv, out var a) && int.TryParse(parts[1], NumberStyles.Integer, Inv, out var b))
        {
            return (a, b);
        }

        throw new ArgumentException($"{option} '{text}' is not a range like -5..6.");
    }

    private static (double, double) DoubleRange(string text, string option)
    {
        var parts = text.Split("..");
        if (parts.Length == 2 && double.TryParse(parts[0], NumberStyles.Float, Inv, out var a) && double.TryParse(parts[1], NumberStyles.Float, Inv, out var b))
        {
            return (a, b);
        }

        throw new ArgumentException($"{option} '{text}' is not a range like 0.9..1.1.");
    }
}
