using System.Globalization;

namespace MusicGen.Onnx;

/// <summary>Hyper-parameters of the LSTM model (docs/contracts.md).</summary>
public sealed record LstmConfig
{
    /// <summary>Vocabulary size V.</summary>
    public required int VocabSize { get; init; }
    /// <summary>Embedding size E.</summary>
    public required int EmbeddingSize { get; init; }
    /// <summary>Stacked LSTM layers L.</summary>
    public required int Layers { get; init; }
    /// <summary>Hidden units U per layer.</summary>
    public required int Units { get; init; }
    /// <summary>Dense layer width D.</summary>
    public required int DenseUnits { get; init; }

    /// <summary>Throws <see cref="ArgumentException"/> naming the first bad field.</summary>
    public void Validate()
    {
        void Positive(int v, string n) { if (v <= 0) throw new ArgumentException($"LstmConfig.{n} must be positive, got {v}."); }
        Positive(VocabSize, nameof(VocabSize)); Positive(EmbeddingSize, nameof(EmbeddingSize)); Positive(Layers, nameof(Layers));
        Positive(Units, nameof(Units)); Positive(DenseUnits, nameof(DenseUnits));
    }
}

/// <summary>
/// LSTM weights keyed by TorchSharp state_dict names (gate order i, f, g, o as TorchSharp stacks them):
/// <c>embedding.weight [V,E]</c>; per layer k: <c>lstm.weight_ih_l{k} [4U, in]</c> (in = E for k = 0, else U),
/// <c>lstm.weight_hh_l{k} [4U,U]</c>, <c>lstm.bias_ih_l{k} [4U]</c>, <c>lstm.bias_hh_l{k} [4U]</c>;
/// <c>dense.weight [D,U]</c>, <c>dense.bias [D]</c>, <c>output.weight [V,D]</c>, <c>output.bias [V]</c>.
/// </summary>
public sealed class LstmWeights
{
    /// <summary>Creates the weights and checks every tensor's presence and length.</summary>
    public LstmWeights(LstmConfig config, IReadOnlyDictionary<string, float[]> tensors)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(tensors);
        config.Validate();
        Config = config;
        Tensors = tensors;
        WeightTensors.CheckAll("LSTM weights", ExpectedShapes(config), tensors);
    }

    /// <summary>Hyper-parameters.</summary>
    public LstmConfig Config { get; }

    /// <summary>Tensors by name.</summary>
    public IReadOnlyDictionary<string, float[]> Tensors { get; }

    /// <summary>A tensor by name.</summary>
    public float[] this[string name] => Tensors[name];

    /// <summary>Name of a per-layer LSTM tensor, e.g. <c>Lstm("weight_ih", 0)</c> = <c>lstm.weight_ih_l0</c>.</summary>
    public static string Lstm(string kind, int layer) => string.Create(CultureInfo.InvariantCulture, $"lstm.{kind}_l{layer}");

    /// <summary>Every tensor name with its shape.</summary>
    public static IEnumerable<(string Name, int[] Shape)> ExpectedShapes(LstmConfig c)
    {
        yield return ("embedding.weight", [c.VocabSize, c.EmbeddingSize]);
        for (int k = 0; k < c.Layers; k++)
        {
            int input = k == 0 ? c.EmbeddingSize : c.Units;
            yield return (Lstm("weight_ih", k), [4 * c.Units, input]);
            yield return (Lstm("weight_hh", k), [4 * c.Units, c.Units]);
            yield return (Lstm("bias_ih", k), [4 * c.Units]);
            yield return (Lstm("bias_hh", k), [4 * c.Units]);
        }
        yield return ("dense.weight", [c.DenseUnits, c.Units]);
        yield return ("dense.bias", [c.DenseUnits]);
        yield return ("output.weight", [c.VocabSize, c.DenseUnits]);
        yield return ("output.bias", [c.VocabSize]);
    }

    /// <summary>Random weights (uniform ±1/sqrt(fan_in), as PyTorch initializes), deterministic given the seed.</summary>
    public static LstmWeights Random(LstmConfig config, int seed)
    {
        ArgumentNullException.ThrowIfNull(config);
        config.Validate();
        var rng = new Random(seed);
        var t = new Dictionary<string, float[]>(StringComparer.Ordinal);
        foreach (var (name, shape) in ExpectedShapes(config))
        {
            int n = WeightTensors.Count(shape);
            float bound = name == "embedding.weight" ? 1f
                : name.StartsWith("lstm.", StringComparison.Ordinal) ? 1f / MathF.Sqrt(config.Units)
                : 1f / MathF.Sqrt(name.StartsWith("dense", StringComparison.Ordinal) ? config.Units : config.DenseUnits);
            var data = new float[n];
            for (int k = 0; k < n; k++) data[k] = (float)(rng.NextDouble() * 2 - 1) * bound;
            t[name] = data;
        }
        return new LstmWeights(config, t);
    }
}
