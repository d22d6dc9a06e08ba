using System.Text.Json.Serialization;

namespace MusicGen.Training.Models;

/// <summary>Hyper-parameters of <see cref="TransformerMusicModel"/> (decoder-only, Llama-style).</summary>
public sealed class TransformerConfig
{
    /// <summary>Vocabulary size (set from the tokenizer when 0 in a config file).</summary>
    public int VocabSize { get; set; }
    /// <summary>Model width d.</summary>
    public int DModel { get; set; } = 256;
    /// <summary>Number of decoder layers.</summary>
    public int Layers { get; set; } = 4;
    /// <summary>Query heads H.</summary>
    public int Heads { get; set; } = 4;
    /// <summary>Key/value heads KV (grouped-query attention when smaller than <see cref="Heads"/>; 0 = Heads).</summary>
    public int KvHeads { get; set; }
    /// <summary>SwiGLU hidden size F.</summary>
    public int FfnHidden { get; set; } = 688;
    /// <summary>Longest sequence the model is trained for (positions beyond still work: rotary has no table limit).</summary>
    public int ContextLength { get; set; } = 512;
    /// <summary>Dropout on embeddings, attention probabilities and residual branches (training only).</summary>
    public double Dropout { get; set; } = 0.1;
    /// <summary>Rotary base theta (the contract fixes 10000).</summary>
    public double RopeTheta { get; set; } = 10000;

    /// <summary>Head size hd = d / H.</summary>
    [JsonIgnore] public int HeadSize => DModel / Heads;
    /// <summary>Effective KV heads.</summary>
    [JsonIgnore] public int EffectiveKvHeads => KvHeads == 0 ? Heads : KvHeads;

    /// <summary>Throws <see cref="ArgumentException"/> naming the first invalid field.</summary>
    public void Validate()
    {
        Require(VocabSize > 0, nameof(VocabSize), "must be positive");
        Require(DModel > 0, nameof(DModel), "must be positive");
        Require(Layers > 0, nameof(Layers), "must be positive");
        Require(Heads > 0 && DModel % Heads == 0, nameof(Heads), $"must be positive and divide dModel ({DModel})");
        Require(HeadSize % 2 == 0, nameof(Heads), $"head size dModel/heads = {HeadSize} must be even for rotary embeddings");
        Require(EffectiveKvHeads > 0 && Heads % EffectiveKvHeads == 0, nameof(KvHeads), $"must divide heads ({Heads})");
        Require(FfnHidden > 0, nameof(FfnHidden), "must be positive");
        Require(ContextLength > 0, nameof(ContextLength), "must be positive");
        Require(Dropout is >= 0 and < 1, nameof(Dropout), "must be in [0, 1)");
        Require(RopeTheta > 0, nameof(RopeTheta), "must be positive");
    }

    internal static void Require(bool ok, string field, string what)
    {
        if (!ok) throw new ArgumentException($"model config: {char.ToLowerInvariant(field[0])}{field[1..]} {what}");
    }
}

/// <summary>Hyper-parameters of <see cref="LstmMusicModel"/>.</summary>
public sealed class LstmConfig
{
    /// <summary>Vocabulary size (set from the tokenizer when 0 in a config file).</summary>
    public int VocabSize { get; set; }
    /// <summary>Embedding size E.</summary>
    public int EmbeddingSize { get; set; } = 128;
    /// <summary>Stacked LSTM layers L.</summary>
    public int Layers { get; set; } = 2;
    /// <summary>LSTM hidden units U.</summary>
    public int Units { get; set; } = 512;
    /// <summary>Units D of the ReLU dense layer.</summary>
    public int DenseUnits { get; set; } = 256;
    /// <summary>Dropout (embeddings, between LSTM layers, after the LSTM and after the dense layer; training only).</summary>
    public double Dropout { get; set; } = 0.2;
    /// <summary>Sequence length used in training (recorded for the package; the LSTM itself has no limit).</summary>
    public int ContextLength { get; set; } = 256;

    /// <summary>Throws <see cref="ArgumentException"/> naming the first invalid field.</summary>
    public void Validate()
    {
        TransformerConfig.Require(VocabSize > 0, nameof(VocabSize), "must be positive");
        TransformerConfig.Require(EmbeddingSize > 0, nameof(EmbeddingSize), "must be positive");
        TransformerConfig.Require(Layers > 0, nameof(Layers), "must be positive");
        TransformerConfig.Require(Units > 0, nameof(Units), "must be positive");
        TransformerConfig.Require(DenseUnits > 0, nameof(DenseUnits), "must be positive");
        TransformerConfig.Require(Dropout is >= 0 and < 1, nameof(Dropout), "must be in [0, 1)");
    }
}

/// <summary>Which model to build: <c>architecture</c> is <c>transformer</c> or <c>lstm</c>, with that section set.</summary>
public sealed class ModelSpec
{
    /// <summary><c>transformer</c> or <c>lstm</c>.</summary>
    public string Architecture { get; set; } = "transformer";
    /// <summary>Transformer hyper-parameters (when <see cref="Architecture"/> is transformer).</summary>
    public TransformerConfig? Transformer { get; set; }
    /// <summary>LSTM hyper-parameters (when <see cref="Architecture"/> is lstm).</summary>
    public LstmConfig? Lstm { get; set; }

    /// <summary>Sets the vocabulary size where it is 0 and validates the chosen section.</summary>
    public void Complete(int vocabSize)
    {
        switch (Architecture)
        {
            case "transformer":
                Transformer ??= new TransformerConfig();
                if (Transformer.VocabSize == 0) Transformer.VocabSize = vocabSize;
                Transformer.Validate();
                break;
            case "lstm":
                Lstm ??= new LstmConfig();
                if (Lstm.VocabSize == 0) Lstm.VocabSize = vocabSize;
                Lstm.Validate();
                break;
            default:
                throw new ArgumentException($"model config: architecture '{Architecture}' is not 'transformer' or 'lstm'");
        }
    }

    /// <summary>Builds the model (weights initialised from torch's current RNG).</summary>
    public TrainableMusicModel Build() => Architecture switch
    {
        "transformer" => new TransformerMusicModel(Transformer ?? throw new ArgumentException("model config: transformer section missing")),
        "lstm" => new LstmMusicModel(Lstm ?? throw new ArgumentException("model config: lstm section missing")),
        _ => throw new ArgumentException($"model config: architecture '{Architecture}' is not 'transformer' or 'lstm'"),
    };
}
