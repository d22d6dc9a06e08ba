using System.Runtime.InteropServices;
using System.Text.Json;
using MusicGen.Core.Tokenization;

namespace MusicGen.Core.Corpus;

/// <summary>A built token cache (see <see cref="CorpusBuilder"/>), held in memory.</summary>
public sealed class TokenCorpus
{
    private readonly int[] _tokens;

    private TokenCorpus(string directory, IMusicTokenizer tokenizer, CorpusIndex index, int[] tokens)
    {
        Directory = directory;
        Tokenizer = tokenizer;
        Index = index;
        _tokens = tokens;
    }

    /// <summary>The cache folder.</summary>
    public string Directory { get; }

    /// <summary>The tokenizer rebuilt from <c>tokenizer.json</c>.</summary>
    public IMusicTokenizer Tokenizer { get; }

    /// <summary>The index: documents, skipped sources, totals.</summary>
    public CorpusIndex Index { get; }

    /// <summary>All tokens of all documents.</summary>
    public ReadOnlyMemory<int> Tokens => _tokens;

    /// <summary>Splits present, in order of first appearance.</summary>
    public IReadOnlyList<string> Splits => Index.Documents.Select(d => d.Split).Distinct().ToList();

    /// <summary>Opens a cache folder and checks that its files agree.</summary>
    /// <exception cref="InvalidDataException">A file is missing or inconsistent; the message names it.</exception>
    public static TokenCorpus Open(string dir)
    {
        ArgumentNullException.ThrowIfNull(dir);
        string Need(string name)
        {
            var p = Path.Combine(dir, name);
            return File.Exists(p) ? p : throw new InvalidDataException($"Corpus cache {dir} has no {name}.");
        }

        IMusicTokenizer tokenizer;
        try
        {
            tokenizer = TokenizerJson.FromJson(File.ReadAllText(Need(CorpusBuilder.TokenizerFile)));
        }
        catch (FormatException e)
        {
            throw new InvalidDataException($"{Path.Combine(dir, CorpusBuilder.TokenizerFile)}: {e.Message}", e);
        }

        CorpusIndex index;
        try
        {
            index = JsonSerializer.Deserialize<CorpusIndex>(File.ReadAllText(Need(CorpusBuilder.IndexFile)), CorpusBuilder.Json)
                ?? throw new InvalidDataException($"{Path.Combine(dir, CorpusBuilder.IndexFile)} is empty.");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{Path.Combine(dir, CorpusBuilder.IndexFile)} is malformed: {e.Message}", e);
        }

        var bytes = File.ReadAllBytes(Need(CorpusBuilder.TokensFile));
        if (bytes.Length % 4 != 0)
        {
            throw new InvalidDataException($"{CorpusBuilder.TokensFile} in {dir} has {bytes.Length} bytes, not a whole number of int32 ids.");
        }

        var tokens = MemoryMarshal.Cast<byte, int>(bytes).ToArray();
        if (!BitConverter.IsLittleEndian)
        {
            for (var i = 0; i < tokens.Length; i++)
            {
                tokens[i] = System.Buffers.Binary.BinaryPrimitives.ReverseEndianness(tokens[i]);
            }
        }

        foreach (var d in index.Documents)
        {
            if (d.Offset < 0 || d.Length < 0 || d.Offset + d.Length > tokens.Length)
            {
                throw new InvalidDataException(
                    $"{CorpusBuilder.IndexFile} in {dir}: document {d.Source} ({d.Split}) spans tokens {d.Offset}..{d.Offset + d.Length} beyond the {tokens.Length} in {CorpusBuilder.TokensFile}.");
            }
        }

        return new TokenCorpus(dir, tokenizer, index, tokens);
    }

    /// <summary>The documents of a split (<c>train</c>, <c>valid</c>, <c>test</c>), in cache order; empty when absent.</summary>
    public IReadOnlyList<ReadOnlyMemory<int>> Documents(string split) =>
        Index.Documents.Where(d => d.Split == split).Select(d => new ReadOnlyMemory<int>(_tokens, (int)d.Offset, d.Length)).ToList();

    /// <summary>The index entries of a split, in the same order as <see cref="Documents"/>.</summary>
    public IReadOnlyList<CorpusDocument> Entries(string split) => Index.Documents.Where(d => d.Split == split).ToList();

    /// <summary>Windows over a split's documents.</summary>
    public IReadOnlyList<TokenWindow> Windows(string split, TokenWindows windows)
    {
        ArgumentNullException.ThrowIfNull(windows);
        return windows.Cut(Documents(split));
    }
}
