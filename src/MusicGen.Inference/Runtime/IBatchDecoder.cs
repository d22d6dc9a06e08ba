namespace MusicGen.Inference.Runtime;

/// <summary>
/// Runs one model over a batch of rows (sequences) kept compact in rows 0..Count-1. A row joins with
/// <see cref="Prefill"/> (its whole prompt in one run), advances one token per <see cref="Decode"/>, and leaves with
/// <see cref="RemoveRow"/> (the last row moves into its place). Not thread-safe: one driver at a time.
/// </summary>
internal interface IBatchDecoder : IDisposable
{
    /// <summary>Most rows at once.</summary>
    int Capacity { get; }

    /// <summary>Rows in use.</summary>
    int Count { get; }

    /// <summary>Longest sequence a row can hold (tokens in its cache).</summary>
    int MaxLength { get; }

    /// <summary>Vocabulary size (logits per row).</summary>
    int VocabularySize { get; }

    /// <summary>Tokens held by row <paramref name="row"/>.</summary>
    int Length(int row);

    /// <summary>Adds a row holding <paramref name="tokens"/> (run in one pass); returns its last position's logits.</summary>
    ReadOnlySpan<float> Prefill(ReadOnlySpan<int> tokens);

    /// <summary>Appends <paramref name="tokens"/>[i] to row i for every row; returns logits, row-major <c>[Count, V]</c>.</summary>
    ReadOnlySpan<float> Decode(ReadOnlySpan<int> tokens);

    /// <summary>Removes a row; the last row takes its index.</summary>
    void RemoveRow(int row);
}
