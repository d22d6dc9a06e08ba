using System.Text.Json;

namespace MusicGen.Core.Corpus;

/// <summary>
/// The JSB chorales JSON: an object whose keys (<c>train</c>, <c>valid</c>, <c>test</c>, any subset) hold pieces, each
/// a list of time steps, each a list of sounding MIDI pitches. Negative pitches (silent voices in the voice-separated
/// layout) are dropped; pitches within a step are returned ascending without duplicates.
/// </summary>
public sealed class JsbDataset
{
    private JsbDataset(IReadOnlyList<(string Split, List<int[][]> Pieces)> splits) => Splits = splits;

    /// <summary>The splits in file order, each with its pieces.</summary>
    public IReadOnlyList<(string Split, List<int[][]> Pieces)> Splits { get; }

    /// <summary>Reads a JSB JSON file.</summary>
    /// <exception cref="InvalidDataException">The file is not in the JSB layout; the message says where.</exception>
    public static JsbDataset Load(string path)
    {
        using var doc = JsonDocument.Parse(File.ReadAllBytes(path));
        return Parse(doc.RootElement, path);
    }

    /// <summary>Reads JSB JSON text.</summary>
    public static JsbDataset Parse(string json, string source = "JSON")
    {
        using var doc = JsonDocument.Parse(json);
        return Parse(doc.RootElement, source);
    }

    private static JsbDataset Parse(JsonElement root, string source)
    {
        if (root.ValueKind != JsonValueKind.Object)
        {
            throw new InvalidDataException($"{source}: a JSB file is an object with keys train/valid/test.");
        }

        var splits = new List<(string, List<int[][]>)>();
        foreach (var prop in root.EnumerateObject())
        {
            if (prop.Name is not ("train" or "valid" or "test"))
            {
                continue;
            }

            if (prop.Value.ValueKind != JsonValueKind.Array)
            {
                throw new InvalidDataException($"{source}: '{prop.Name}' must be a list of pieces.");
            }

            var pieces = new List<int[][]>();
            var pi = 0;
            foreach (var piece in prop.Value.EnumerateArray())
            {
                if (piece.ValueKind != JsonValueKind.Array)
                {
                    throw new InvalidDataException($"{source}: {prop.Name}[{pi}] must be a list of time steps.");
                }

                var frames = new List<int[]>();
                var fi = 0;
                foreach (var step in piece.EnumerateArray())
                {
                    if (step.ValueKind != JsonValueKind.Array)
                    {
                        throw new InvalidDataException($"{source}: {prop.Name}[{pi}][{fi}] must be a list of pitches.");
                    }

                    var set = new SortedSet<int>();
                    foreach (var p in step.EnumerateArray())
                    {
                        if (p.ValueKind != JsonValueKind.Number || !p.TryGetDouble(out var d) || d != Math.Floor(d) || d > 127)
                        {
                            throw new InvalidDataException($"{source}: {prop.Name}[{pi}][{fi}] holds '{p}', not a MIDI pitch.");
                        }

                        if (d >= 0)
                        {
                            set.Add((int)d);
                        }
                    }

                    frames.Add(set.ToArray());
                    fi++;
                }

                pieces.Add(frames.ToArray());
                pi++;
            }

            splits.Add((prop.Name, pieces));
        }

        if (splits.Count == 0)
        {
            throw new InvalidDataException($"{source}: no train, valid or test key.");
        }

        return new JsbDataset(splits);
    }
}
