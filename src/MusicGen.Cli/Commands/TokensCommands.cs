using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using MusicGen.Core.Corpus;
using MusicGen.Core.Midi;
using MusicGen.Core.Music;
using MusicGen.Core.Tokenization;

namespace MusicGen.Cli.Commands;

/// <summary><c>musicgen tokens ...</c>: encode, decode, round-trip and fuzz the tokenizers.</summary>
public static class TokensCommands
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>The <c>tokens</c> command group.</summary>
    public static Command Create()
    {
        var tokens = new Command("tokens", "Tokenize MIDI, decode tokens, and check tokenizers (round trip, fuzz).");
        tokens.Subcommands.Add(Encode());
        tokens.Subcommands.Add(Decode());
        tokens.Subcommands.Add(RoundTripCommand());
        tokens.Subcommands.Add(Fuzz());
        tokens.Subcommands.Add(GrammarCheck());
        tokens.Subcommands.Add(Config());
        return tokens;
    }

    internal static Option<string> TokenizerOption() => new("--tokenizer", "-t")
    {
        Description = "Tokenizer kind: remi, performance or chorale (default configuration).",
        DefaultValueFactory = _ => RemiTokenizer.KindName,
    };

    internal static Option<FileInfo?> ConfigOption() => new("--config")
    {
        Description = "A tokenizer.json to use instead of a default configuration (overrides --tokenizer).",
    };

    internal static IMusicTokenizer ResolveTokenizer(string kind, FileInfo? config) =>
        config is not null ? TokenizerJson.FromJson(File.ReadAllText(config.FullName)) : TokenizerJson.CreateDefault(kind.Trim().ToLowerInvariant());

    private static Command Encode()
    {
        var file = new Argument<FileInfo>("FILE") { Description = "A MIDI file." };
        var kind = TokenizerOption();
        var config = ConfigOption();
        var ids = new Option<bool>("--ids") { Description = "Print token ids instead of names." };
        var meters = CorpusCommands.MeterOption();
        var cmd = new Command("encode", "Print the tokens of a MIDI file (readable names; a new line at each Bar or FrameEnd).") { file, kind, config, ids, meters };
        cmd.SetAction(parse => Guard(() =>
        {
            var t = ResolveTokenizer(parse.GetValue(kind)!, parse.GetValue(config));
            var score = MusicGen.Core.Music.MeterRewrite.Parse(CorpusCommands.MeterMap(parse.GetValue(meters))).Rewrite(MidiScore.Load(parse.GetValue(file)!.FullName));
            var encoded = t.Encode(score);
            Console.Out.Write(FormatTokens(t, encoded, parse.GetValue(ids)));
            Console.Error.WriteLine(string.Create(Inv, $"{encoded.Length} tokens, {TempoMap.For(score).ToSeconds(score.EndTick):0.##} s of music"));
            return 0;
        }));
        return cmd;
    }

    internal static string FormatTokens(IMusicTokenizer t, ReadOnlySpan<int> ids, bool asIds)
    {
        var sb = new StringBuilder();
        var lineStart = true;
        foreach (var id in ids)
        {
            var name = (uint)id < (uint)t.VocabularySize ? t.TokenName(id) : $"#{id}";
            if (name == "Bar" && !lineStart)
            {
                sb.Append('\n');
                lineStart = true;
            }

            if (!lineStart)
            {
                sb.Append(' ');
            }

            sb.Append(asIds ? id.ToString(Inv) : name);
            lineStart = false;
            if (name is "FrameEnd" or "BOS")
            {
                sb.Append('\n');
                lineStart = true;
            }
        }

        if (!lineStart)
        {
            sb.Append('\n');
        }

        return sb.ToString();
    }

    private static Command Decode()
    {
        var file = new Argument<FileInfo?>("FILE") { Description = "Tokens (ids or names, separated by white space); standard input when absent.", Arity = ArgumentArity.ZeroOrOne };
        var kind = TokenizerOption();
        var config = ConfigOption();
        var output = new Option<FileInfo>("--out", "-o") { Description = "MIDI file to write.", Required = true };
        var cmd = new Command("decode", "Decode token ids or names into a MIDI file (decoding never fails; unknown names are an error).") { file, kind, config, output };
        cmd.SetAction(parse => Guard(() =>
        {
            var t = ResolveTokenizer(parse.GetValue(kind)!, parse.GetValue(config));
            var f = parse.GetValue(file);
            var text = f is null ? Console.In.ReadToEnd() : File.ReadAllText(f.FullName);
            var ids = ParseTokens(t, text);
            var score = t.Decode(ids);
            var path = parse.GetValue(output)!.FullName;
            MidiScore.Save(score, path);
            Console.Out.WriteLine(string.Create(Inv, $"{ids.Length} tokens -> {score.AllNotes.Count()} notes in {score.Tracks.Count} track(s), {TempoMap.For(score).ToSeconds(score.EndTick):0.##} s: {path}"));
            return 0;
        }));
        return cmd;
    }

    /// <summary>Parses white-space separated ids or names (<c>#n</c> as printed for out-of-vocabulary ids is an id too).</summary>
    internal static int[] ParseTokens(IMusicTokenizer t, string text)
    {
        var parts = text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var ids = new int[parts.Length];
        for (var i = 0; i < parts.Length; i++)
        {
            var p = parts[i].Trim(',', '[', ']');
            if (int.TryParse(p.TrimStart('#'), NumberStyles.Integer, Inv, out var id))
            {
                ids[i] = id;
            }
            else
            {
                try
                {
                    ids[i] = t.TokenId(p);
                }
                catch (KeyNotFoundException)
                {
                    throw new ArgumentException($"Token {i + 1} '{p}' is not in the {t.Kind} vocabulary.");
                }
            }
        }

        return ids;
    }

    private static Command Config()
    {
        var kind = TokenizerOption();
        var cmd = new Command("config", "Print the default tokenizer.json of a kind (configuration and vocabulary).") { kind };
        cmd.SetAction(parse => Guard(() =>
        {
            var t = ResolveTokenizer(parse.GetValue(kind)!, null);
            Console.Out.WriteLine(t.ToJson());
            Console.Error.WriteLine($"{t.Kind}: {t.VocabularySize} tokens");
            return 0;
        }));
        return cmd;
    }

    private static Command RoundTripCommand()
    {
        var input = new Argument<string>("INPUT") { Description = "A folder of MIDI files (recursive) or a JSB chorales JSON file." };
        var kind = TokenizerOption();
        var config = ConfigOption();
        var show = new Option<int>("--show") { Description = "How many non-exact pieces to list.", DefaultValueFactory = _ => 10 };
        var fpq = new Option<int>("--frames-per-quarter") { Description = "JSB input: frames per quarter note (1 for the quarter file, 4 for 16ths).", DefaultValueFactory = _ => 1 };
        var cmd = new Command("roundtrip", "decode(encode(x)) on every piece: exact and within-grid counts, largest errors, tokens per second of music.") { input, kind, config, show, fpq };
        cmd.SetAction(parse => Guard(() =>
        {
            var t = ResolveTokenizer(parse.GetValue(kind)!, parse.GetValue(config));
            var path = parse.GetValue(input)!;
            var sw = Stopwatch.StartNew();
            var report = File.Exists(path) && path.EndsWith(".json", StringComparison.OrdinalIgnoreCase)
                ? RoundTripJsb(t, path, parse.GetValue(fpq))
                : RoundTripFolder(t, path, parse.GetValue(show));
            Console.Out.Write(report);
            Console.Out.WriteLine(string.Create(Inv, $"time:         {sw.Elapsed.TotalSeconds:0.0} s on {Environment.ProcessorCount} core(s)"));
            return 0;
        }));
        return cmd;
    }

    private static string RoundTripFolder(IMusicTokenizer t, string dir, int show)
    {
        if (!Directory.Exists(dir))
        {
            throw new ArgumentException($"No such folder or JSB .json file: {dir}");
        }

        var files = CorpusBuilder.FindMidiFiles(dir);
        var results = new (RoundTripResult? Result, string? Error)[files.Count];
        Parallel.For(0, files.Count, i =>
        {
            try
            {
                results[i] = (RoundTrip.Measure(t, MidiScore.Load(files[i])), null);
            }
            catch (Exception e) when (e is MidiFormatException or IOException or ArgumentException or InvalidDataException or MusicGen.Core.Limits.InputLimitExceededException)
            {
                results[i] = (null, e.Message.ReplaceLineEndings(" "));
            }
        });

        var ok = results.Where(r => r.Result is not null).Select(r => r.Result!).ToList();
        var sb = new StringBuilder();
        sb.Append(Inv, $"tokenizer:    {t.Kind} ({t.VocabularySize} tokens)\n");
        sb.Append(Inv, $"files:        {files.Count} ({files.Count - ok.Count} unreadable)\n");
        sb.Append(Inv, $"exact:        {ok.Count(r => r.Exact)} / {ok.Count} files (notes, instruments, tempos, time signatures)\n");
        sb.Append(Inv, $"within grid:  {ok.Count(r => r.WithinGrid)} / {ok.Count} files (every note back, onsets within half a step)\n");
        var notes = ok.Sum(r => (long)r.Notes);
        sb.Append(Inv, $"notes:        {notes}, exact {ok.Sum(r => (long)r.ExactNotes)} ({100.0 * ok.Sum(r => (long)r.ExactNotes) / Math.Max(1, notes):0.000}%), decoded {ok.Sum(r => (long)r.DecodedNotes)}\n");
        var unit = ok.Count > 0 ? ok[0].Unit : "";
        sb.Append(Inv, $"max error:    onset {Max(ok, r => r.MaxOnsetError):0.###} {unit}, release {Max(ok, r => r.MaxOffsetError):0.###} {unit}, velocity {Max(ok, r => r.MaxVelocityError)}\n");
        sb.Append(Inv, $"beyond half a step: onsets {ok.Sum(r => (long)r.OnsetsBeyondGrid)} notes, releases {ok.Sum(r => (long)r.ReleasesBeyondGrid)} notes\n");
        sb.Append(Inv, $"tempo maps equal: {ok.Count(r => r.TemposEqual)} / {ok.Count} files, max tempo error {Max(ok, r => r.MaxTempoErrorBpm):0.###} BPM\n");
        sb.Append(Inv, $"time signatures equal: {ok.Count(r => r.TimeSignaturesEqual)} / {ok.Count} files\n");
        var tokens = ok.Sum(r => (long)r.Tokens);
        var seconds = ok.Sum(r => r.Seconds);
        sb.Append(Inv, $"tokens:       {tokens} for {seconds / 3600:0.00} h of music: {tokens / Math.Max(1e-9, seconds):0.0} tokens per second, {tokens / (double)Math.Max(1, ok.Count):0} per piece\n");
        var bad = Enumerable.Range(0, files.Count).Where(i => results[i].Result is { Exact: false } || results[i].Error is not null).ToList();
        foreach (var i in bad.Take(show))
        {
            var rel = Path.GetRelativePath(dir, files[i]);
            sb.Append(results[i].Error is { } err ? $"  unreadable {rel}: {err}\n" : $"  not exact  {rel}: {results[i].Result}\n");
        }

        if (bad.Count > show)
        {
            sb.Append(Inv, $"  ... {bad.Count - show} more\n");
        }

        return sb.ToString();
    }

    private static double Max(List<RoundTripResult> results, Func<RoundTripResult, double> f) => results.Count == 0 ? 0 : results.Max(f);

    private static string RoundTripJsb(IMusicTokenizer t, string path, int framesPerQuarter)
    {
        var data = JsbDataset.Load(path);
        var sb = new StringBuilder();
        sb.Append(Inv, $"tokenizer:    {t.Kind} ({t.VocabularySize} tokens)\n");
        var chorale = t as ChoraleTokenizer;
        var framesTool = chorale ?? new ChoraleTokenizer(new ChoraleConfig { FramesPerQuarter = framesPerQuarter });
        long pieces = 0, exactPieces = 0, frames = 0, exactFrames = 0, tokens = 0;
        foreach (var (split, list) in data.Splits)
        {
            foreach (var piece in list)
            {
                pieces++;
                frames += piece.Length;
                List<int[]> back;
                int[] ids;
                if (chorale is not null)
                {
                    ids = chorale.EncodeFrames(piece);
                    back = chorale.DecodeFrames(ids);
                }
                else
                {
                    ids = t.Encode(framesTool.FramesToScore(piece));
                    back = framesTool.ScoreToFrames(t.Decode(ids));
                }

                tokens += ids.Length;
                var same = 0;
                for (var i = 0; i < piece.Length; i++)
                {
                    if (i < back.Count && back[i].AsSpan().SequenceEqual(piece[i].Distinct().Order().ToArray()))
                    {
                        same++;
                    }
                }

                exactFrames += same;
                if (same == piece.Length && back.Count == piece.Length)
                {
                    exactPieces++;
                }
            }

            sb.Append(Inv, $"split {split}: {list.Count} pieces\n");
        }

        var seconds = frames * 0.5 / framesPerQuarter;
        sb.Append(Inv, $"exact:        {exactPieces} / {pieces} pieces, {exactFrames} / {frames} frames\n");
        sb.Append(Inv, $"tokens:       {tokens} for {seconds / 3600:0.00} h of music at 120 BPM: {tokens / Math.Max(1e-9, seconds):0.0} tokens per second, {tokens / (double)frames:0.00} per frame\n");
        return sb.ToString();
    }

    private static Command Fuzz()
    {
        var kind = TokenizerOption();
        var config = ConfigOption();
        var count = new Option<int>("--count", "-n") { Description = "Random sequences per tokenizer.", DefaultValueFactory = _ => 1_000_000 };
        var maxLength = new Option<int>("--max-length") { Description = "Longest random sequence.", DefaultValueFactory = _ => 512 };
        var seed = new Option<ulong>("--seed") { Description = "Random seed.", DefaultValueFactory = _ => 1UL };
        var midi = new Option<int>("--midi-every") { Description = "Also write every n-th decoded score as MIDI bytes and read it back (0: never).", DefaultValueFactory = _ => 100 };
        var all = new Option<bool>("--all") { Description = "Fuzz every tokenizer kind (default configurations)." };
        var cmd = new Command("fuzz", "Decode random id sequences (any ints, also out of range) and check every result is a valid score.") { kind, config, count, maxLength, seed, midi, all };
        cmd.SetAction(parse => Guard(() =>
        {
            var kinds = parse.GetValue(all)
                ? TokenizerJson.Kinds.Select(TokenizerJson.CreateDefault).ToList()
                : [ResolveTokenizer(parse.GetValue(kind)!, parse.GetValue(config))];
            var failures = 0L;
            foreach (var t in kinds)
            {
                failures += FuzzOne(t, parse.GetValue(count), parse.GetValue(maxLength), parse.GetValue(seed), parse.GetValue(midi));
            }

            return failures == 0 ? 0 : 1;
        }));
        return cmd;
    }

    private static long FuzzOne(IMusicTokenizer t, int count, int maxLength, ulong seed, int midiEvery)
    {
        var sw = Stopwatch.StartNew();
        long failures = 0, notes = 0, tokens = 0, midiChecked = 0;
        string? firstFailure = null;
        var workers = Environment.ProcessorCount;
        var per = (count + workers - 1) / workers;
        Parallel.For(0, workers, w =>
        {
            var rng = new SplitMix64(seed + ((ulong)w * 0x9E3779B97F4A7C15UL) + (ulong)t.Kind.GetHashCode(StringComparison.Ordinal));
            var buffer = new int[maxLength];
            long localNotes = 0, localTokens = 0, localFailures = 0, localMidi = 0;
            var v = t.VocabularySize;
            for (var i = w * per; i < Math.Min(count, (w + 1) * per); i++)
            {
                var len = rng.NextInt(maxLength + 1);
                var mode = i % 4;
                for (var k = 0; k < len; k++)
                {
                    buffer[k] = mode switch
                    {
                        0 => (int)rng.NextULong(), // any int at all
                        1 => rng.NextInt(v + 8) - 4, // around the vocabulary, some outside
                        _ => rng.NextInt(v), // inside the vocabulary
                    };
                }

                try
                {
                    var score = t.Decode(buffer.AsSpan(0, len));
                    foreach (var track in score.Tracks)
                    {
                        foreach (var n in track.Notes)
                        {
                            if (n.End <= n.Start || n.Start < 0 || n.Pitch is < 0 or > 127 || n.Velocity is < 1 or > 127 || n.Channel is < 0 or > 15)
                            {
                                throw new InvalidDataException($"invalid note {n}");
                            }

                            localNotes++;
                        }
                    }

                    if (midiEvery > 0 && i % midiEvery == 0)
                    {
                        var back = MidiScore.Read(MidiScore.ToBytes(score));
                        if (back.AllNotes.Count() != score.AllNotes.Count())
                        {
                            throw new InvalidDataException("MIDI written and read back lost notes");
                        }

                        localMidi++;
                    }
                }
                catch (Exception e)
                {
                    localFailures++;
                    Interlocked.CompareExchange(ref firstFailure, $"{e.GetType().Name}: {e.Message} for [{string.Join(' ', buffer.Take(Math.Min(len, 40)))}...]", null);
                }

                localTokens += len;
            }

            Interlocked.Add(ref notes, localNotes);
            Interlocked.Add(ref tokens, localTokens);
            Interlocked.Add(ref failures, localFailures);
            Interlocked.Add(ref midiChecked, localMidi);
        });
        Console.Out.WriteLine(string.Create(Inv,
            $"{t.Kind}: {count} random sequences ({tokens} tokens, up to {maxLength} each) decoded, {failures} failures, {notes} notes, {midiChecked} written as MIDI and read back; {sw.Elapsed.TotalSeconds:0.0} s"));
        if (firstFailure is not null)
        {
            Console.Out.WriteLine("  first failure: " + firstFailure);
        }

        return failures;
    }

    private static Command GrammarCheck()
    {
        var count = new Option<int>("--count", "-n") { Description = "Sequences sampled per tokenizer.", DefaultValueFactory = _ => 10_000 };
        var length = new Option<int>("--length") { Description = "Tokens after which sampling winds down (prefers EOS, then closing tokens).", DefaultValueFactory = _ => 400 };
        var seed = new Option<ulong>("--seed") { Description = "Random seed.", DefaultValueFactory = _ => 1UL };
        var cmd = new Command("grammar-check", "Sample sequences under every tokenizer's grammar (uniform over legal tokens), time MaskLogits, and check each decodes and re-encodes to the same score.") { count, length, seed };
        cmd.SetAction(parse => Guard(() =>
        {
            var failures = 0L;
            foreach (var t in TokenizerJson.Kinds.Select(TokenizerJson.CreateDefault))
            {
                failures += GrammarCheckOne(t, parse.GetValue(count), parse.GetValue(length), parse.GetValue(seed));
            }

            return failures == 0 ? 0 : 1;
        }));
        return cmd;
    }

    private static long GrammarCheckOne(IMusicTokenizer t, int count, int windDown, ulong seed)
    {
        var g = t.CreateGrammar();
        var rng = new SplitMix64(seed);
        var logits = new float[t.VocabularySize];
        var legal = new int[t.VocabularySize];
        var ids = new List<int>(4096);
        var closing = new[] { "EOS", "NoteOff", "FrameEnd", "Duration", "Bar" }
            .Select(p => Enumerable.Range(0, t.VocabularySize).Where(i => t.TokenName(i).StartsWith(p, StringComparison.Ordinal)).ToHashSet()).ToArray();
        long tokens = 0, failures = 0, unfinished = 0, replayTokens = 0;
        var replay = new List<int[]>();
        string? first = null;
        var total = Stopwatch.StartNew();
        for (var s = 0; s < count; s++)
        {
            g.Reset();
            ids.Clear();
            while (!g.IsFinished && ids.Count < windDown * 4)
            {
                logits.AsSpan().Fill(0f);
                g.MaskLogits(logits);
                var n = 0;
                for (var i = 0; i < logits.Length; i++)
                {
                    if (!float.IsNegativeInfinity(logits[i]))
                    {
                        legal[n++] = i;
                    }
                }

                if (n == 0)
                {
                    failures++;
                    first ??= $"no legal token after {ids.Count} tokens";
                    break;
                }

                var next = legal[rng.NextInt(n)];
                if (ids.Count >= windDown)
                {
                    foreach (var set in closing)
                    {
                        var k = Array.FindIndex(legal, 0, n, set.Contains);
                        if (k >= 0)
                        {
                            next = legal[k];
                            break;
                        }
                    }
                }

                g.Accept(next);
                ids.Add(next);
            }

            tokens += ids.Count;
            if (replayTokens < 100_000)
            {
                replay.Add(ids.ToArray());
                replayTokens += ids.Count;
            }

            if (!g.IsFinished)
            {
                unfinished++;
                continue;
            }

            var score = t.Decode(ids.ToArray());
            var r = RoundTrip.Measure(t, score);
            if (!r.Exact)
            {
                failures++;
                first ??= $"{r} for {string.Join(' ', ids.Take(60).Select(t.TokenName))}...";
            }
        }

        // Time MaskLogits + Accept by replaying sampled sequences (the first pass warms up the JIT).
        var maskNs = 0.0;
        for (var pass = 0; pass < 3; pass++)
        {
            var sw = Stopwatch.StartNew();
            foreach (var seq in replay)
            {
                g.Reset();
                foreach (var id in seq)
                {
                    g.MaskLogits(logits);
                    g.Accept(id);
                }
            }

            maskNs = sw.Elapsed.TotalNanoseconds / Math.Max(1, replayTokens);
        }
        Console.Out.WriteLine(string.Create(Inv,
            $"{t.Kind}: {count} sequences sampled under the grammar ({tokens} tokens, {unfinished} unfinished), {failures} not decoding to a score that re-encodes identically; MaskLogits + Accept {maskNs:0} ns per token (vocabulary {t.VocabularySize}); {total.Elapsed.TotalSeconds:0.0} s"));
        if (first is not null)
        {
            Console.Out.WriteLine("  first failure: " + first);
        }

        return failures;
    }

    internal static int Guard(Func<int> body)
    {
        try
        {
            return body();
        }
        catch (Exception e) when (e is MidiFormatException or IOException or UnauthorizedAccessException or ArgumentException or InvalidOperationException or FormatException or KeyNotFoundException or InvalidDataException
                                      or MusicGen.Core.Limits.InputLimitExceededException)
        {
            Console.Error.WriteLine("error: " + e.Message.ReplaceLineEndings(" "));
            return 1;
        }
    }
}
