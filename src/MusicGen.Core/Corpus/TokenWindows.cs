namespace MusicGen.Core.Corpus;

/// <summary>What to do with the end of a document that does not fill a whole window.</summary>
public enum WindowTail
{
    /// <summary>Keep it as a last window padded with PAD.</summary>
    Pad,

    /// <summary>Drop it (documents shorter than a window are dropped too).</summary>
    Drop,

    /// <summary>Move the last window back so it ends at the document's end (shorter documents are padded).</summary>
    Align,
}

/// <summary>
/// A window of one document: <see cref="Lead"/> when set, then <see cref="Tokens"/> (together at most the window
/// length), then padding.
/// </summary>
/// <param name="Document">Index of the document in the list that was cut.</param>
/// <param name="Offset">Position of the first of <see cref="Tokens"/> in the document.</param>
/// <param name="Tokens">The document's tokens; the rest of the window is padding.</param>
public readonly record struct TokenWindow(int Document, int Offset, ReadOnlyMemory<int> Tokens)
{
    /// <summary>A token restated before <see cref="Tokens"/> (see <see cref="WindowLead"/>), or null.</summary>
    public int? Lead { get; init; }

    /// <summary>Copies <see cref="Lead"/> and the tokens to <paramref name="destination"/> and fills the rest with <paramref name="pad"/>.</summary>
    public void CopyTo(Span<int> destination, int pad)
    {
        if (Lead is int lead && destination.Length > 0)
        {
            destination[0] = lead;
            destination = destination[1..];
        }

        var n = Math.Min(Tokens.Length, destination.Length);
        Tokens.Span[..n].CopyTo(destination);
        destination[n..].Fill(pad);
    }
}

/// <summary>
/// Cuts documents into fixed-length windows for training: windows start every <see cref="Stride"/> tokens; with
/// <see cref="Truncate"/> only each document's first window is kept. Padding uses <see cref="PadId"/>. With a
/// <see cref="Lead"/>, a window that starts inside a document begins with the latest lead token before it (the key in
/// force there), followed by one token fewer of the document.
/// </summary>
public sealed class TokenWindows
{
    /// <summary>Creates the cutter.</summary>
    public TokenWindows(int length, int stride, int padId, WindowTail tail = WindowTail.Pad, bool truncate = false)
    {
        if (length < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(length), length, "Window length must be at least 1.");
        }

        if (stride < 1 || stride > length)
        {
            throw new ArgumentOutOfRangeException(nameof(stride), stride, $"Stride must be 1..{length} (the window length).");
        }

        Length = length;
        Stride = stride;
        PadId = padId;
        Tail = tail;
        Truncate = truncate;
    }

    /// <summary>The tokens restated at the start of a window inside a document (windows need 2 tokens at least), or null.</summary>
    public WindowLead? Lead { get; init; }

    /// <summary>Tokens per window.</summary>
    public int Length { get; }

    /// <summary>Tokens between window starts.</summary>
    public int Stride { get; }

    /// <summary>Padding id.</summary>
    public int PadId { get; }

    /// <summary>Handling of a document's end.</summary>
    public WindowTail Tail { get; }

    /// <summary>Keep only the first window of each document.</summary>
    public bool Truncate { get; }

    /// <summary>The windows of every document, in document order.</summary>
    public List<TokenWindow> Cut(IReadOnlyList<ReadOnlyMemory<int>> documents)
    {
        ArgumentNullException.ThrowIfNull(documents);
        var result = new List<TokenWindow>();
        for (var d = 0; d < documents.Count; d++)
        {
            var doc = documents[d];
            var n = doc.Length;
            if (n == 0)
            {
                continue;
            }

            if (n <= Length)
            {
                if (n == Length || Tail != WindowTail.Drop)
                {
                    result.Add(new TokenWindow(d, 0, doc));
                }

                continue;
            }

            for (var start = 0; ; start += Stride)
            {
                if (start + Length >= n)
                {
                    // The last window reaches the end.
                    if (start + Length == n)
                    {
                        result.Add(new TokenWindow(d, start, doc.Slice(start, Length)));
                    }
                    else if (Tail == WindowTail.Pad)
                    {
                        result.Add(new TokenWindow(d, start, doc[start..]));
                    }
                    else if (Tail == WindowTail.Align && (result.Count == 0 || result[^1].Document != d || result[^1].Offset != n - Length))
                    {
                        result.Add(new TokenWindow(d, n - Length, doc.Slice(n - Length, Length)));
                    }

                    break;
                }

                result.Add(new TokenWindow(d, start, doc.Slice(start, Length)));
                if (Truncate)
                {
                    break;
                }
            }
        }

        if (Lead is null)
        {
            return result;
        }

        return Length >= 2 ? Restate(result, documents, Lead) : throw new InvalidOperationException("Windows that restate a lead token need at least 2 tokens.");
    }

    /// <summary>Puts the latest lead token before each window that starts inside its document (dropping the window's last token when it is full).</summary>
    private List<TokenWindow> Restate(List<TokenWindow> windows, IReadOnlyList<ReadOnlyMemory<int>> documents, WindowLead lead)
    {
        for (var i = 0; i < windows.Count; i++)
        {
            var w = windows[i];
            if (w.Offset == 0 || lead.Latest(documents[w.Document].Span[..w.Offset]) is not int token)
            {
                continue;
            }

            var tokens = w.Tokens.Length >= Length ? w.Tokens[..(Length - 1)] : w.Tokens;
            windows[i] = w with { Tokens = tokens, Lead = token };
        }

        return windows;
    }

    /// <summary>The windows as a padded <c>[count, Length]</c> array, row by row.</summary>
    public int[] ToMatrix(IReadOnlyList<TokenWindow> windows)
    {
        ArgumentNullException.ThrowIfNull(windows);
        var data = new int[windows.Count * Length];
        for (var i = 0; i < windows.Count; i++)
        {
            windows[i].CopyTo(data.AsSpan(i * Length, Length), PadId);
        }

        return data;
    }
}
