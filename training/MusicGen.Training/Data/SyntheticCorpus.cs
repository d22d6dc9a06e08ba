namespace MusicGen.Training.Data;

/// <summary>Settings of <see cref="SyntheticCorpus"/>.</summary>
public sealed class SyntheticCorpusOptions
{
    /// <summary>Vocabulary size (ids 0 = PAD, 1 = BOS, 2 = EOS, the rest are "notes").</summary>
    public int VocabSize { get; set; } = 32;
    /// <summary>Training documents.</summary>
    public int TrainDocuments { get; set; } = 16;
    /// <summary>Validation documents.</summary>
    public int ValidDocuments { get; set; } = 4;
    /// <summary>Tokens per document (BOS and EOS included).</summary>
    public int DocumentLength { get; set; } = 64;
    /// <summary>Seed.</summary>
    public int Seed { get; set; } = 7;
}

/// <summary>
/// A learnable toy corpus: each document is BOS, a repeated motif of 3..6 "notes" transposed by a fixed interval at
/// each repetition, EOS. After one motif the rest is predictable, so a small model can drive the loss near zero.
/// </summary>
public static class SyntheticCorpus
{
    /// <summary>Padding, begin and end ids.</summary>
    public const int Pad = 0, Bos = 1, Eos = 2;

    /// <summary>Generates (train, valid) documents.</summary>
    public static (List<int[]> Train, List<int[]> Valid) Generate(SyntheticCorpusOptions o)
    {
        if (o.VocabSize < 8) throw new ArgumentException("synthetic corpus: vocabSize must be at least 8");
        if (o.DocumentLength < 4 || o.TrainDocuments < 1 || o.ValidDocuments < 0)
            throw new ArgumentException("synthetic corpus: documentLength >= 4, trainDocuments >= 1, validDocuments >= 0");
        var rng = new Random(o.Seed);
        var notes = o.VocabSize - 3;
        int[] Doc()
        {
            var motif = new int[rng.Next(3, 7)];
            for (var i = 0; i < motif.Length; i++) motif[i] = rng.Next(notes);
            var shift = rng.Next(1, 4);
            var d = new int[o.DocumentLength];
            d[0] = Bos;
            for (var i = 1; i < d.Length - 1; i++)
            {
                var rep = (i - 1) / motif.Length;
                d[i] = 3 + (motif[(i - 1) % motif.Length] + rep * shift) % notes;
            }
            d[^1] = Eos;
            return d;
        }
        var train = Enumerable.Range(0, o.TrainDocuments).Select(_ => Doc()).ToList();
        var valid = Enumerable.Range(0, o.ValidDocuments).Select(_ => Doc()).ToList();
        return (train, valid);
    }

    /// <summary>The synthetic corpus cut into windows.</summary>
    public static TrainingData Load(SyntheticCorpusOptions o, int seqLen, int stride)
    {
        var (train, valid) = Generate(o);
        static List<ReadOnlyMemory<int>> M(List<int[]> docs) => docs.Select(d => new ReadOnlyMemory<int>(d)).ToList();
        return new TrainingData(o.VocabSize, Pad, seqLen + 1,
            TrainingData.Cut(M(train), seqLen, stride, Pad), TrainingData.Cut(M(valid), seqLen, stride, Pad), null,
            $"synthetic (vocab {o.VocabSize}, {o.TrainDocuments}+{o.ValidDocuments} documents of {o.DocumentLength}, seed {o.Seed})");
    }
}
