using MusicGen.Core.Tokenization;

namespace MusicGen.Core.Corpus;

/// <summary>
/// The tokens that a window cut from the middle of a sequence restates at its start, so that what they say stays in
/// the context: the key tokens (<c>Key_..</c>, REMI with <c>keyTokens</c>). Training windows
/// (<see cref="TokenWindows"/>) and the engine's window when the context is full both use it.
/// </summary>
public sealed class WindowLead
{
    private readonly bool[] _lead;

    private WindowLead(bool[] lead) => _lead = lead;

    /// <summary>The key tokens of <paramref name="tokenizer"/>'s vocabulary, or null when it has none.</summary>
    public static WindowLead? ForKeys(IMusicTokenizer tokenizer)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        var lead = new bool[tokenizer.VocabularySize];
        var any = false;
        for (var id = 0; id < lead.Length; id++)
        {
            lead[id] = tokenizer.TokenName(id).StartsWith("Key_", StringComparison.Ordinal);
            any |= lead[id];
        }

        return any ? new WindowLead(lead) : null;
    }

    /// <summary>Whether <paramref name="id"/> is a lead token.</summary>
    public bool IsLead(int id) => (uint)id < (uint)_lead.Length && _lead[id];

    /// <summary>The last lead token of <paramref name="tokens"/>, or null when there is none.</summary>
    public int? Latest(ReadOnlySpan<int> tokens)
    {
        for (var i = tokens.Length - 1; i >= 0; i--)
        {
            if (IsLead(tokens[i]))
            {
                return tokens[i];
            }
        }

        return null;
    }
}
