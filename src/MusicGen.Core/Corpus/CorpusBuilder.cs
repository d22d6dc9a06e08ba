using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text.Json;
using MusicGen.Core.Midi;
using MusicGen.Core.Music;
using MusicGen.Core.Tokenization;

namespace MusicGen.Core.Corpus;

/// <summary>What <see cref="CorpusBuilder.Build"/> reads and writes.</summary>
public sealed record CorpusBuildOptions
{
    /// <summary>The tokenizer (its JSON goes to <c>tokenizer.json</c>).</summary>
    public required IMusicTokenizer Tokenizer { get; init; }

    /// <summary>A folder of MIDI files (searched recursively) or a JSB chorales <c>.json</c> file.</summary>
    public required string Input { get; init; }

    /// <summary>Output folder (created; existing cache files are replaced).</summary>
    public required string Output { get; init; }

    /// <summary>Share of MIDI files for the valid split (JSB keeps its own splits).</summary>
    public double ValidFraction { get; init; } = 0.1;

    /// <summary>Seed of the split and of augmentation.</summary>
    public ulong Seed { get; init; } = 1;

    /// <summary>Augmentation of the training split.</summary>
    public AugmentationOptions Augmentation { get; init; } = new();

    /// <summary>JSB input with a non-chorale tokenizer: frames per quarter note when frames become a score.</summary>
    public int FramesPerQuarter { get; init; } = 1;

    /// <summary>Worker threads (default: all cores).</summary>
    public int Parallelism { get; init; } = Environment.ProcessorCount;

    /// <summary>
    /// Time signatures to rewrite before tokenizing MIDI (<c>"1/4" -> "4/4"</c>), for corpora whose files declare a
    /// meter that is an export artifact (most POP909 files declare 1/4). Bar lines follow the new meter from each
    /// time-signature event on; notes do not move. Null or empty: meters as the files say.
    /// </summary>
    public IReadOnlyDictionary<string, string>? MeterMap { get; init; }

    /// <summary>
    /// Programs to give named tracks before tokenizing MIDI (<c>"MELODY" -> 1</c>), for corpora whose tracks share a
    /// program the tokenizer would merge (POP909's melody, bridge and piano are all program 0). Null or empty:
    /// programs as the files say. See <see cref="TrackProgramMap"/>.
    /// </summary>
    public IReadOnlyDictionary<string, int>? TrackPrograms { get; init; }

    /// <summary>
    /// Move every MIDI piece (both splits, before augmentation) to C major / A minor (<see cref="KeyNormalization"/>);
    /// each document records the shift (<see cref="CorpusDocument.KeyShift"/>).
    /// </summary>
    public bool NormalizeKey { get; init; }

    /// <summary>Throws when a value is out of range.</summary>
    public void Validate()
    {
        ArgumentNullException.ThrowIfNull(Tokenizer);
        if (string.IsNullOrWhiteSpace(Input) || (!Directory.Exists(Input) && !File.Exists(Input)))
        {
            throw new ArgumentException($"Corpus input '{Input}' is neither a folder nor a file.");
        }

        if (string.IsNullOrWhiteSpace(Output))
        {
            throw new ArgumentException("Corpus output folder is missing.");
        }

        if (ValidFraction is < 0 or >= 1)
        {
            throw new ArgumentException($"Valid fraction {ValidFraction} must be in [0, 1).");
        }

        if (FramesPerQuarter is < 1 or > 48 || Parallelism < 1)
        {
            throw new ArgumentException($"Frames per quarter {FramesPerQuarter} must be 1..48 and parallelism {Parallelism} at least 1.");
        }

        Augmentation.Validate();
        _ = MeterRewrite.Parse(MeterMap);
        _ = TrackProgramMap.Parse(TrackPrograms);
    }
}

/// <summary>
/// Builds a token cache: <c>tokenizer.json</c>, <c>tokens.bin</c> (little-endian int32 ids of all documents, one after
/// the other) and <c>index.json</c> (<see cref="CorpusIndex"/>). MIDI files are split into train/valid by file with a
/// seeded shuffle; JSB keeps its keys. Only the train split is augmented. Files that cannot be read are skipped and
/// listed, never fatal. Tokenization runs on all cores; the output is the same whatever the parallelism.
/// </summary>
public static class CorpusBuilder
{
    /// <summary>File names in a cache folder.</summary>
    public const string TokensFile = "tokens.bin", IndexFile = "index.json", TokenizerFile = "tokenizer.json";

    internal static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        WriteIndented = true,
    };

    /// <summary>MIDI files under a folder (recursive, <c>.mid</c>/<c>.midi</c>/<c>.smf</c>), sorted by relative path.</summary>
    public static List<string> FindMidiFiles(string dir) =>
        Directory.EnumerateFiles(dir, "*", new EnumerationOptions { RecurseSubdirectories = true, IgnoreInaccessible = true, MatchCasing = MatchCasing.CaseInsensitive })
            .Where(f => Path.GetExtension(f).ToLowerInvariant() is ".mid" or ".midi" or ".smf")
            .OrderBy(f => Path.GetRelativePath(dir, f).Replace('\\', '/'), StringComparer.Ordinal)
            .ToList();

    /// <summary>Builds the cache. <paramref name="progress"/> is called (from worker threads) after each source.</summary>
    public static CorpusSummary Build(CorpusBuildOptions options, Action<int, int>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var sw = Stopwatch.StartNew();
        var sources = LoadSources(options);
        var results = new SourceResult[sources.Count];
        var meters = MeterRewrite.Parse(options.MeterMap);
        var programs = TrackProgramMap.Parse(options.TrackPrograms);
        var done = 0;
        Parallel.For(0, sources.Count, new ParallelOptions { MaxDegreeOfParallelism = options.Parallelism, CancellationToken = cancellationToken }, i =>
        {
            results[i] = Process(options, s => programs.Rewrite(meters.Rewrite(s)), sources[i], i);
            progress?.Invoke(Interlocked.Increment(ref done), sources.Count);
        });

        Directory.CreateDirectory(options.Output);
        var index = Write(options, sources, results, sw);
        return index.Summary;
    }

    private sealed record Source(string Name, string Split, string? Path, int[][]? Frames);

    private sealed record SourceResult(List<(int[] Ids, string? Augmentation, double Seconds)> Documents, string? Error)
    {
        public int? KeyShift { get; init; }
    }

    private static List<Source> LoadSources(CorpusBuildOptions o)
    {
        if (File.Exists(o.Input))
        {
            var jsb = JsbDataset.Load(o.Input);
            return jsb.Splits.SelectMany(s => s.Pieces.Select((p, i) => new Source($"{s.Split}/{i}", s.Split, null, p))).ToList();
        }

        var files = FindMidiFiles(o.Input);
        var order = Enumerable.Range(0, files.Count).ToArray();
        var rng = new SplitMix64(o.Seed);
        for (var i = order.Length - 1; i > 0; i--)
        {
            var j = rng.NextInt(i + 1);
            (order[i], order[j]) = (order[j], order[i]);
        }

        var valid = o.ValidFraction > 0 && files.Count >= 2 ? Math.Max(1, (int)Math.Round(files.Count * o.ValidFraction)) : 0;
        var isValid = new bool[files.Count];
        foreach (var i in order.Take(valid))
        {
            isValid[i] = true;
        }

        return files.Select((f, i) => new Source(Path.GetRelativePath(o.Input, f).Replace('\\', '/'), isValid[i] ? "valid" : "train", f, null)).ToList();
    }

    private static SourceResult Process(CorpusBuildOptions o, Func<Score, Score> prepare, Source source, int index)
    {
        var docs = new List<(int[], string?, double)>();
        try
        {
            var copies = source.Split == "train" ? o.Augmentation.Copies : 0;
            if (source.Frames is { } frames && o.Tokenizer is ChoraleTokenizer chorale)
            {
                if (frames.All(f => f.Length == 0))
                {
                    return new SourceResult(docs, "no notes");
                }

                var seconds = frames.Length * 0.5 / chorale.Config.FramesPerQuarter;
                docs.Add((chorale.EncodeFrames(frames), null, seconds));
                for (var c = 1; c <= copies; c++)
                {
                    var (aug, what) = o.Augmentation.Apply(frames, new SplitMix64(SplitMix64.Mix(SplitMix64.Mix(o.Seed, (ulong)index), (ulong)c)));
                    docs.Add((chorale.EncodeFrames(aug), what, seconds));
                }

                return new SourceResult(docs, null);
            }

            var score = source.Frames is { } f2
                ? new ChoraleTokenizer(new ChoraleConfig { FramesPerQuarter = o.FramesPerQuarter }).FramesToScore(f2)
                : MidiScore.Load(source.Path!);
            score = prepare(score);
            if (!score.AllNotes.Any())
            {
                return new SourceResult(docs, "no notes");
            }

            int? keyShift = null;
            if (o.NormalizeKey)
            {
                (score, var shift) = KeyNormalization.Apply(score);
                keyShift = shift;
            }

            docs.Add((o.Tokenizer.Encode(score), null, TempoMap.For(score).ToSeconds(score.EndTick)));
            for (var c = 1; c <= copies; c++)
            {
                var (aug, what) = o.Augmentation.Apply(score, new SplitMix64(SplitMix64.Mix(SplitMix64.Mix(o.Seed, (ulong)index), (ulong)c)));
                docs.Add((o.Tokenizer.Encode(aug), what, TempoMap.For(aug).ToSeconds(aug.EndTick)));
            }

            return new SourceResult(docs, null) { KeyShift = keyShift };
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // A bad file never aborts the build: it is skipped and listed.
            return new SourceResult([], $"{e.GetType().Name}: {e.Message.ReplaceLineEndings(" ")}");
        }
    }

    private static CorpusIndex Write(CorpusBuildOptions o, List<Source> sources, SourceResult[] results, Stopwatch sw)
    {
        var documents = new List<CorpusDocument>();
        var skipped = new List<SkippedSource>();
        var used = new bool[o.Tokenizer.VocabularySize];
        var tokens = new Dictionary<string, long>();
        var perSplit = new Dictionary<string, int>();
        long offset = 0, originalTokens = 0;
        double originalSeconds = 0;
        var binPath = Path.Combine(o.Output, TokensFile);
        using (var stream = new FileStream(binPath + ".tmp", FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20))
        {
            for (var i = 0; i < sources.Count; i++)
            {
                var r = results[i];
                if (r.Error is not null)
                {
                    skipped.Add(new SkippedSource(sources[i].Name, r.Error));
                    continue;
                }

                foreach (var (ids, aug, seconds) in r.Documents)
                {
                    WriteInts(stream, ids);
                    foreach (var id in ids)
                    {
                        if ((uint)id < (uint)used.Length)
                        {
                            used[id] = true;
                        }
                    }

                    var split = sources[i].Split;
                    documents.Add(new CorpusDocument { Offset = offset, Length = ids.Length, Source = sources[i].Name, Split = split, Augmentation = aug, Seconds = Math.Round(seconds, 3), KeyShift = r.KeyShift });
                    offset += ids.Length;
                    tokens[split] = tokens.GetValueOrDefault(split) + ids.Length;
                    perSplit[split] = perSplit.GetValueOrDefault(split) + 1;
                    if (aug is null)
                    {
                        originalTokens += ids.Length;
                        originalSeconds += seconds;
                    }
                }
            }
        }

        File.Move(binPath + ".tmp", binPath, overwrite: true);
        File.WriteAllText(Path.Combine(o.Output, TokenizerFile), o.Tokenizer.ToJson());
        var index = new CorpusIndex
        {
            Tokenizer = o.Tokenizer.Kind,
            Input = o.Input,
            Seed = o.Seed,
            ValidFraction = o.ValidFraction,
            Augmentation = o.Augmentation,
            NormalizeKey = o.NormalizeKey,
            Documents = documents,
            Skipped = skipped,
            Summary = new CorpusSummary
            {
                Sources = sources.Count,
                Skipped = skipped.Count,
                Documents = documents.Count,
                Tokens = tokens,
                DocumentsPerSplit = perSplit,
                OriginalTokens = originalTokens,
                OriginalSeconds = Math.Round(originalSeconds, 3),
                VocabularyUsed = used.Count(u => u),
                VocabularySize = used.Length,
                ElapsedSeconds = Math.Round(sw.Elapsed.TotalSeconds, 3),
            },
        };
        File.WriteAllText(Path.Combine(o.Output, IndexFile), JsonSerializer.Serialize(index, Json));
        return index;
    }

    private static void WriteInts(Stream stream, int[] ids)
    {
        if (!BitConverter.IsLittleEndian)
        {
            ids = ids.Select(System.Buffers.Binary.BinaryPrimitives.ReverseEndianness).ToArray();
        }

        stream.Write(MemoryMarshal.AsBytes(ids.AsSpan()));
    }
}
