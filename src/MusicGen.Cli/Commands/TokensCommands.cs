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
        tokens.Subcommands.Add(TokensRoundTripCommand.Create());
        tokens.Subcommands.Add(TokensFuzzCommands.Fuzz());
        tokens.Subcommands.Add(TokensFuzzCommands.GrammarCheck());
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
        var programs = CorpusCommands.TrackProgramOption();
        var cmd = new Command("encode", "Print the tokens of a MIDI file (readable names; a new line at each Bar or FrameEnd).") { file, kind, config, ids, meters, programs };
        cmd.SetAction(parse => Guard(() =>
        {
            var t = ResolveTokenizer(parse.GetValue(kind)!, parse.GetValue(config));
            var score = MeterRewrite.Parse(CorpusCommands.MeterMap(parse.GetValue(meters))).Rewrite(MidiScore.Load(parse.GetValue(file)!.FullName));
            score = TrackProgramMap.Parse(CorpusCommands.TrackPrograms(parse.GetValue(programs))).Rewrite(score);
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
