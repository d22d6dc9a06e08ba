using System.Text.Json;
using MusicGen.Core.Midi;
using MusicGen.Core.Music;
using MusicGen.Core.Tokenization;

namespace MusicGen.Evaluation;

/// <summary>Token sequences to score with <see cref="NllEvaluator"/>, read from a JSB-style JSON file or a MIDI folder.</summary>
public static class NllData
{
    /// <summary>
    /// Reads the sequences of <paramref name="path"/>: a <c>.json</c> file of frames
    /// (<c>{"train"|"valid"|"test": [piece, ...]}</c>, a piece a list of time steps, a step a list of MIDI pitches;
    /// negative entries are silent voices and left out) taking the key <paramref name="split"/>; or a folder whose
    /// MIDI files are all read (<paramref name="split"/> is not used: a folder is one split). A chorale tokenizer
    /// encodes frames directly; any other tokenizer encodes the frames as a score of
    /// <paramref name="framesPerQuarter"/> frames per quarter note.
    /// </summary>
    /// <exception cref="FileNotFoundException">The path does not exist.</exception>
    /// <exception cref="InvalidDataException">The JSON does not have the expected shape or lacks the split; the message says where.</exception>
    /// <param name="path">A JSB-style <c>.json</c> file or a folder of MIDI files.</param>
    /// <param name="split">Key of the JSON to read.</param>
    /// <param name="tokenizer">The model's tokenizer.</param>
    /// <param name="framesPerQuarter">Frames per quarter note when JSON frames become a score.</param>
    /// <param name="prepare">What to do to each MIDI file's score first, as the model's training data was (null: nothing;
    /// <c>ModelPackage.PrepareInput</c> for a package's meter and track-program maps).</param>
    public static IReadOnlyList<int[]> Load(string path, string split, IMusicTokenizer tokenizer, int framesPerQuarter = 1, Func<Score, Score>? prepare = null)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        prepare ??= s => s;
        if (Directory.Exists(path))
        {
            return Directory.EnumerateFiles(path, "*", SearchOption.AllDirectories)
                .Where(f => f.EndsWith(".mid", StringComparison.OrdinalIgnoreCase) || f.EndsWith(".midi", StringComparison.OrdinalIgnoreCase))
                .Order(StringComparer.Ordinal)
                .Select(f => tokenizer.Encode(prepare(MidiScore.Load(f))))
                .ToArray();
        }

        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"No such file or folder: {path}", path);
        }

        var frames = ReadFrames(path, split);
        var chorale = tokenizer as ChoraleTokenizer;
        var toScore = chorale is null ? new ChoraleTokenizer(new ChoraleConfig { FramesPerQuarter = framesPerQuarter }) : null;
        var sequences = new int[frames.Count][];
        for (int i = 0; i < frames.Count; i++)
        {
            try
            {
                sequences[i] = chorale is not null ? chorale.EncodeFrames(frames[i]) : tokenizer.Encode(toScore!.FramesToScore(frames[i]));
            }
            catch (Exception e) when (e is ArgumentException or MusicGen.Core.Limits.InputLimitExceededException)
            {
                throw new InvalidDataException($"{path}: {split}[{i}]: {e.Message} The model's tokenizer cannot encode this piece.", e);
            }
        }

        return sequences;
    }

    /// <summary>The pieces of one split of a JSB-style JSON file, each a list of frames of pitches (negative entries dropped).</summary>
    public static List<IReadOnlyList<IReadOnlyList<int>>> ReadFrames(string path, string split)
    {
        using var doc = JsonDocument.Parse(File.ReadAllBytes(path));
        if (doc.RootElement.ValueKind != JsonValueKind.Object)
        {
            throw new InvalidDataException($"{path}: expected an object with keys such as \"train\", \"valid\", \"test\".");
        }

        if (!doc.RootElement.TryGetProperty(split, out var pieces))
        {
            var keys = string.Join(", ", doc.RootElement.EnumerateObject().Select(p => p.Name));
            throw new InvalidDataException($"{path}: no split \"{split}\" (the file has: {keys}).");
        }

        var result = new List<IReadOnlyList<IReadOnlyList<int>>>();
        int i = 0;
        foreach (var piece in pieces.EnumerateArray())
        {
            var frames = new List<IReadOnlyList<int>>();
            int t = 0;
            foreach (var step in piece.EnumerateArray())
            {
                if (step.ValueKind != JsonValueKind.Array)
                {
                    throw new InvalidDataException($"{path}: {split}[{i}][{t}] is not a list of pitches.");
                }

                var pitches = new List<int>();
                foreach (var p in step.EnumerateArray())
                {
                    if (!p.TryGetDouble(out double v) || v != Math.Floor(v))
                    {
                        throw new InvalidDataException($"{path}: {split}[{i}][{t}] holds {p.GetRawText()}, not a MIDI pitch.");
                    }

                    if (v >= 0)
                    {
                        pitches.Add((int)v);
                    }
                }

                frames.Add(pitches);
                t++;
            }

            result.Add(frames);
            i++;
        }

        return result;
    }
}

/// <summary>Adapts a tokenizer's <see cref="ITokenGrammar"/> to the NLL scorer.</summary>
public sealed class GrammarConstraint(ITokenGrammar grammar) : ITokenConstraint
{
    /// <inheritdoc />
    public void Reset() => grammar.Reset();

    /// <inheritdoc />
    public void Accept(int token) => grammar.Accept(token);

    /// <inheritdoc />
    public void MaskLogits(Span<float> logits) => grammar.MaskLogits(logits);
}
