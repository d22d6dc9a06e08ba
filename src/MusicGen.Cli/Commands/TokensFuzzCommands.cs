using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using MusicGen.Core.Corpus;
using MusicGen.Core.Midi;
using MusicGen.Core.Music;
using MusicGen.Core.Tokenization;

namespace MusicGen.Cli.Commands;

/// <summary><c>musicgen tokens fuzz</c> and <c>grammar-check</c>: random and grammar-sampled sequences always decode.</summary>
internal static class TokensFuzzCommands
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    internal static Command Fuzz()
    {
        var kind = TokensCommands.TokenizerOption();
        var config = TokensCommands.ConfigOption();
        var count = new Option<int>("--count", "-n") { Description = "Random sequences per tokenizer.", DefaultValueFactory = _ => 1_000_000 };
        var maxLength = new Option<int>("--max-length") { Description = "Longest random sequence.", DefaultValueFactory = _ => 512 };
        var seed = new Option<ulong>("--seed") { Description = "Random seed.", DefaultValueFactory = _ => 1UL };
        var midi = new Option<int>("--midi-every") { Description = "Also write every n-th decoded score as MIDI bytes and read it back (0: never).", DefaultValueFactory = _ => 100 };
        var all = new Option<bool>("--all") { Description = "Fuzz every tokenizer kind (default configurations)." };
        var cmd = new Command("fuzz", "Decode random id sequences (any ints, also out of range) and check every result is a valid score.") { kind, config, count, maxLength, seed, midi, all };
        cmd.SetAction(parse => TokensCommands.Guard(() =>
        {
            var kinds = parse.GetValue(all)
                ? TokenizerJson.Kinds.Select(TokenizerJson.CreateDefault).ToList()
                : [TokensCommands.ResolveTokenizer(parse.GetValue(kind)!, parse.GetValue(config))];
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

    internal static Command GrammarCheck()
    {
        var count = new Option<int>("--count", "-n") { Description = "Sequences sampled per tokenizer.", DefaultValueFactory = _ => 10_000 };
        var length = new Option<int>("--length") { Description = "Tokens after which sampling winds down (prefers EOS, then closing tokens).", DefaultValueFactory = _ => 400 };
        var seed = new Option<ulong>("--seed") { Description = "Random seed.", DefaultValueFactory = _ => 1UL };
        var cmd = new Command("grammar-check", "Sample sequences under every tokenizer's grammar (uniform over legal tokens), time MaskLogits, and check each decodes and re-encodes to the same score.") { count, length, seed };
        cmd.SetAction(parse => TokensCommands.Guard(() =>
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
}
