using System.Globalization;

namespace MusicGen.Onnx;

/// <summary>Hyper-parameters of the decoder-only transformer (docs/contracts.md, "Model math").</summary>
public sealed record TransformerConfig
{
    /// <summary>Vocabulary size V.</summary>
    public required int VocabSize { get; init; }
    /// <summary>Model width d.</summary>
    public required int DModel { get; init; }
    /// <summary>Number of layers.</summary>
    public required int Layers { get; init; }
    /// <summary>Query heads H.</summary>
    public required int Heads { get; init; }
    /// <summary>Key/value heads (H must be a multiple).</summary>
    public required int KvHeads { get; init; }
    /// <summary>Head size hd (even).</summary>
    public required int HeadSize { get; init; }
    /// <summary>SwiGLU hidden size F.</summary>
    public required int FfnHidden { get; init; }
    /// <summary>Longest sequence the graphs accept (rotary tables, fast-graph KV buffer).</summary>
    public required int ContextLength { get; init; }
    /// <summary>Rotary theta.</summary>
    public double RopeTheta { get; init; } = 10000.0;
    /// <summary>RMSNorm epsilon.</summary>
    public double NormEpsilon { get; init; } = 1e-5;

    /// <summary>Throws <see cref="ArgumentException"/> naming the first bad field.</summary>
    public void Validate()
    {
        void Positive(int v, string n) { if (v <= 0) throw new ArgumentException($"TransformerConfig.{n} must be positive, got {v}."); }
        Positive(VocabSize, nameof(VocabSize)); Positive(DModel, nameof(DModel)); Positive(Layers, nameof(Layers));
        Positive(Heads, nameof(Heads)); Positive(KvHeads, nameof(KvHeads)); Positive(HeadSize, nameof(HeadSize));
        Positive(FfnHidden, nameof(FfnHidden)); Positive(ContextLength, nameof(ContextLength));
        if (Heads % KvHeads != 0) throw new ArgumentException($"TransformerConfig.Heads ({Heads}) must be a multiple of KvHeads ({KvHeads}).");
        if (HeadSize % 2 != 0) throw new ArgumentException($"TransformerConfig.HeadSize ({HeadSize}) must be even for rotary embeddings.");
        if (RopeTheta <= 0) throw new ArgumentException("TransformerConfig.RopeTheta must be positive.");
        if (NormEpsilon <= 0) throw new ArgumentException("TransformerConfig.NormEpsilon must be positive.");
    }
}

/// <summary>
/// Transformer weights as plain row-major float arrays keyed by the contract's names (TorchSharp state_dict keys):
/// <c>tok_embeddings.weight [V,d]</c>, <c>layers.{i}.attn_norm.weight [d]</c>, <c>layers.{i}.wq.weight [H*hd,d]</c>,
/// <c>.wk.weight [KV*hd,d]</c>, <c>.wv.weight [KV*hd,d]</c>, <c>.wo.weight [d,H*hd]</c>, <c>layers.{i}.ffn_norm.weight [d]</c>,
/// <c>.w1.weight [F,d]</c>, <c>.w3.weight [F,d]</c>, <c>.w2.weight [d,F]</c>, <c>norm.weight [d]</c>.
/// </summary>
public sealed class TransformerWeights
{
    /// <summary>Creates the weights and checks that every tensor is present with the right length.</summary>
    public TransformerWeights(TransformerConfig config, IReadOnlyDictionary<string, float[]> tensors)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(tensors);
        config.Validate();
        Config = config;
        Tensors = tensors;
        WeightTensors.CheckAll("Transformer weights", ExpectedShapes(config), tensors);
    }

    /// <summary>Hyper-parameters.</summary>
    public TransformerConfig Config { get; }

    /// <summary>Tensors by name.</summary>
    public IReadOnlyDictionary<string, float[]> Tensors { get; }

    /// <summary>A tensor by name.</summary>
    public float[] this[string name] => Tensors[name];

    /// <summary>Name of a per-layer tensor, e.g. <c>Layer(2, "wq.weight")</c> = <c>layers.2.wq.weight</c>.</summary>
    public static string Layer(int i, string suffix) => string.Create(CultureInfo.InvariantCulture, $"layers.{i}.{suffix}");

    /// <summary>Every tensor name with its shape.</summary>
    public static IEnumerable<(string Name, int[] Shape)> ExpectedShapes(TransformerConfig c)
    {
        yield return ("tok_embeddings.weight", [c.VocabSize, c.DModel]);
        for (int i = 0; i < c.Layers; i++)
        {
            yield return (Layer(i, "attn_norm.weight"), [c.DModel]);
            yield return (Layer(i, "wq.weight"), [c.Heads * c.HeadSize, c.DModel]);
            yield return (Layer(i, "wk.weight"), [c.KvHeads * c.HeadSize, c.DModel]);
            yield return (Layer(i, "wv.weight"), [c.KvHeads * c.HeadSize, c.DModel]);
            yield return (Layer(i, "wo.weight"), [c.DModel, c.Heads * c.HeadSize]);
            yield return (Layer(i, "ffn_norm.weight"), [c.DModel]);
            yield return (Layer(i, "w1.weight"), [c.FfnHidden, c.DModel]);
            yield return (Layer(i, "w3.weight"), [c.FfnHidden, c.DModel]);
            yield return (Layer(i, "w2.weight"), [c.DModel, c.FfnHidden]);
        }
        yield return ("norm.weight", [c.DModel]);
    }

    /// <summary>
    /// Random weights for tests and benchmarks: matrices uniform in ±1/sqrt(fan_in), norm weights around 1
    /// (deterministic given the seed).
    /// </summary>
    public static TransformerWeights Random(TransformerConfig config, int seed)
    {
        ArgumentNullException.ThrowIfNull(config);
        config.Validate();
        var rng = new Random(seed);
        var t = new Dictionary<string, float[]>(StringComparer.Ordinal);
        foreach (var (name, shape) in ExpectedShapes(config))
        {
            int n = WeightTensors.Count(shape);
            var data = new float[n];
            if (shape.Length == 1)
                for (int k = 0; k < n; k++) data[k] = 1f + (float)(rng.NextDouble() - 0.5) * 0.4f;
            else
            {
                float bound = name == "tok_embeddings.weight" ? 1f : 1f / MathF.Sqrt(shape[1]);
                for (int k = 0; k < n; k++) data[k] = (float)(rng.NextDouble() * 2 - 1) * bound;
            }
            t[name] = data;
        }
        return new TransformerWeights(config, t);
    }
}
