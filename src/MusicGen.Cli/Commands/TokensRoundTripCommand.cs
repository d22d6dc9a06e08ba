using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using MusicGen.Core.Corpus;
using MusicGen.Core.Midi;
using MusicGen.Core.Music;
using MusicGen.Core.Tokenization;

namespace MusicGen.Cli.Commands;

/// <summary><c>musicgen tokens roundtrip</c>: decode(encode(x)) over a MIDI folder or the JSB chorales file.</summary>
internal static class TokensRoundTripCommand
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    internal static Command Create()
    {
        var input = new Argument<string>("INPUT") { Description = "A folder of MIDI files (recursive) or a JSB chorales JSON file." };
        var kind = TokensCommands.TokenizerOption();
        var config = TokensCommands.ConfigOption();
        var show = new Option<int>("--show") { Description = "How many non-exact pieces to list.", DefaultValueFactory = _ => 10 };
        var fpq = new Option<int>("--frames-per-quarter") { Description = "JSB input: frames per quarter note (1 for the quarter file, 4 for 16ths).", DefaultValueFactory = _ => 1 };
        var cmd = new Command("roundtrip", "decode(encode(x)) on every piece: exact and within-grid counts, largest errors, tokens per second of music.") { input, kind, config, show, fpq };
        cmd.SetAction(parse => TokensCommands.Guard(() =>
        {
            var t = TokensCommands.ResolveTokenizer(parse.GetValue(kind)!, parse.GetValue(config));
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
}
