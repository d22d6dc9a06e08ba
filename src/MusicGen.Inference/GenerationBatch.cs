using MusicGen.Inference.Runtime;

namespace MusicGen.Inference;

/// <summary>
/// Sequences decoded together, one token each per <see cref="Step"/>: the unit of continuous batching. Sequences
/// join with <see cref="Add"/> (their prompt is prefilled in one run and the first token sampled) and leave when
/// they finish (at the end of the step that finished them) or with <see cref="Remove"/>, always between steps.
/// Each sequence samples with its own seeded generator, and each row's numbers do not depend on its batch mates,
/// so a request's tokens are the same alone or in any batch. Not thread-safe: drive it from one thread.
/// </summary>
public sealed class GenerationBatch : IDisposable
{
    private readonly IBatchDecoder _decoder;
    private readonly GenerationSequence?[] _rows;
    private readonly int[] _lastTokens;
    private readonly List<GenerationSequence> _finished;
    private bool _disposed;

    internal GenerationBatch(IBatchDecoder decoder, string graphVariant)
    {
        _decoder = decoder;
        GraphVariant = graphVariant;
        _rows = new GenerationSequence?[decoder.Capacity];
        _lastTokens = new int[decoder.Capacity];
        _finished = new List<GenerationSequence>(decoder.Capacity);
    }

    /// <summary>The graph this batch runs (<c>fast</c>, <c>portable</c> or <c>lstm</c>).</summary>
    public string GraphVariant { get; }

    /// <summary>Most sequences at once.</summary>
    public int Capacity => _decoder.Capacity;

    /// <summary>The decoder under this batch (tests).</summary>
    internal IBatchDecoder Decoder => _decoder;

    /// <summary>Sequences in the batch.</summary>
    public int Count => _decoder.Count;

    /// <summary>Longest sequence a slot holds.</summary>
    public int MaxLength => _decoder.MaxLength;

    /// <summary>The sequence in slot <paramref name="index"/> (0..Count-1; slots are renumbered when one leaves).</summary>
    public GenerationSequence this[int index] =>
        (uint)index < (uint)Count ? _rows[index]! : throw new ArgumentOutOfRangeException(nameof(index));

    /// <summary>Sequences that finished during the last <see cref="Step"/> or <see cref="Add"/> (already out of the batch).</summary>
    public IReadOnlyList<GenerationSequence> Finished => _finished;

    /// <summary>
    /// Adds a sequence: prefills its prompt in one run and samples its first token. Returns false when that token
    /// already finished it (it is then in <see cref="Finished"/>, not in the batch).
    /// </summary>
    public bool Add(GenerationSequence sequence)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentNullException.ThrowIfNull(sequence);
        if (sequence.Row >= 0 || sequence.IsFinished) throw new InvalidOperationException("The sequence is already in a batch or finished.");
        if (Count == Capacity) throw new InvalidOperationException($"The batch is full ({Capacity} sequences).");
        if (sequence.Length >= MaxLength)
            throw new ArgumentException($"The sequence has {sequence.Length} tokens but a slot holds {MaxLength}.", nameof(sequence));
        _finished.Clear();
        sequence.LimitLength(MaxLength);
        sequence.MarkPrefillStart();
        int row = Count;
        var logits = _decoder.Prefill(sequence.Tokens);
        _rows[row] = sequence;
        sequence.Row = row;
        sequence.SampleAndAppend(logits);
        if (!sequence.IsFinished) return true;
        Detach(row);
        _finished.Add(sequence);
        return false;
    }

    /// <summary>
    /// One decode step: every sequence gets one more token; finished sequences leave the batch and are listed in
    /// <see cref="Finished"/>. Allocates nothing. Returns how many finished.
    /// </summary>
    public int Step()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        _finished.Clear();
        int n = Count;
        if (n == 0) return 0;
        for (int i = 0; i < n; i++) _lastTokens[i] = _rows[i]!.LastToken;
        var logits = _decoder.Decode(_lastTokens.AsSpan(0, n));
        int vocab = _decoder.VocabularySize;
        for (int i = 0; i < n; i++)
            _rows[i]!.SampleAndAppend(logits.Slice(i * vocab, vocab));
        for (int i = n - 1; i >= 0; i--)
        {
            var s = _rows[i]!;
            if (!s.IsFinished) continue;
            Detach(i);
            _finished.Add(s);
        }
        for (int i = Count - 1; i >= 0; i--)
        {
            if (_decoder.Length(i) < MaxLength) continue;
            Slide(i); // rare: allocates a window and re-prefills
        }
        return _finished.Count;
    }

    /// <summary>A full row whose sequence wants more: re-prefill BOS + its last half and sample the next token from it.</summary>
    private void Slide(int row)
    {
        var sequence = _rows[row]!;
        Detach(row);
        var window = sequence.NextWindow(MaxLength);
        var logits = _decoder.Prefill(window);
        int at = Count - 1;
        _rows[at] = sequence;
        sequence.Row = at;
        sequence.SampleAndAppend(logits);
        if (!sequence.IsFinished) return;
        Detach(at);
        _finished.Add(sequence);
    }

    /// <summary>Takes a sequence out of the batch between steps (marked <see cref="StopReason.Cancelled"/> unless it already stopped).</summary>
    public bool Remove(GenerationSequence sequence)
    {
        ArgumentNullException.ThrowIfNull(sequence);
        int row = sequence.Row;
        if (row < 0 || row >= Count || !ReferenceEquals(_rows[row], sequence)) return false;
        sequence.Finish(StopReason.Cancelled);
        Detach(row);
        return true;
    }

    private void Detach(int row)
    {
        int last = Count - 1;
        var leaving = _rows[row]!;
        _decoder.RemoveRow(row);
        if (row != last)
        {
            _rows[row] = _rows[last];
            _rows[row]!.Row = row;
        }
        _rows[last] = null;
        leaving.Row = -1;
    }

    /// <summary>Frees the batch's KV cache and bindings.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _decoder.Dispose();
    }
}
