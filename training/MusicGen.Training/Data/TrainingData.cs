namespace MusicGen.Training.Data;

/// <summary>
/// Training and validation windows ready for batching: each window holds <see cref="WindowLength"/> = T+1 tokens
/// (inputs are the first T, targets the last T), stored row by row, padded with <see cref="Pad"/> on the right.
/// </summary>
public sealed class TrainingData
{
    /// <summary>Creates the data from already cut matrices.</summary>
    public TrainingData(int vocabSize, int pad, int windowLength, int[] train, int[] valid, string? tokenizerJson, string description)
    {
        if (vocabSize < 2) throw new ArgumentException("vocabulary must have at least 2 tokens", nameof(vocabSize));
        if (windowLength < 2) throw new ArgumentException("window length must be at least 2", nameof(windowLength));
        if (train.Length % windowLength != 0 || valid.Length % windowLength != 0)
            throw new ArgumentException("window matrices must hold whole windows");
        if (train.Length == 0) throw new ArgumentException($"{description}: no training windows");
        foreach (var arr in new[] { train, valid })
            foreach (var t in arr)
                if ((uint)t >= (uint)vocabSize)
                    throw new ArgumentException($"{description}: token id {t} is outside the vocabulary of {vocabSize}");
        VocabSize = vocabSize;
        Pad = pad;
        WindowLength = windowLength;
        Train = train;
        Valid = valid;
        TokenizerJson = tokenizerJson;
        Description = description;
    }

    /// <summary>Vocabulary size V.</summary>
    public int VocabSize { get; }
    /// <summary>Padding id (ignored by the loss).</summary>
    public int Pad { get; }
    /// <summary>Tokens per window (T+1).</summary>
    public int WindowLength { get; }
    /// <summary>Training windows, row-major <c>[TrainCount, WindowLength]</c>.</summary>
    public int[] Train { get; }
    /// <summary>Validation windows, row-major.</summary>
    public int[] Valid { get; }
    /// <summary>The tokenizer's JSON configuration (null for synthetic data).</summary>
    public string? TokenizerJson { get; }
    /// <summary>Where the data came from (for logs and manifests).</summary>
    public string Description { get; }
    /// <summary>Number of training windows.</summary>
    public int TrainCount => Train.Length / WindowLength;
    /// <summary>Number of validation windows.</summary>
    public int ValidCount => Valid.Length / WindowLength;

    /// <summary>
    /// Cuts documents into windows of <paramref name="seqLen"/>+1 tokens starting every <paramref name="stride"/>
    /// tokens; a document's tail (or a short document) becomes one right-padded window.
    /// </summary>
    public static int[] Cut(IReadOnlyList<ReadOnlyMemory<int>> documents, int seqLen, int stride, int pad)
    {
        var len = seqLen + 1;
        var rows = new List<(ReadOnlyMemory<int> Doc, int Start)>();
        foreach (var doc in documents)
        {
            if (doc.Length < 2) continue;
            for (var start = 0; ; start += stride)
            {
                rows.Add((doc, start));
                if (start + len >= doc.Length) break;
            }
        }
        var data = new int[rows.Count * len];
        for (var r = 0; r < rows.Count; r++)
        {
            var (doc, start) = rows[r];
            var n = Math.Min(len, doc.Length - start);
            var dst = data.AsSpan(r * len, len);
            doc.Span.Slice(start, n).CopyTo(dst);
            dst[n..].Fill(pad);
        }
        return data;
    }
}
