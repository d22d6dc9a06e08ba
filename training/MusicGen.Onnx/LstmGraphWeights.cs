using MusicGen.Core.Packaging;

namespace MusicGen.Onnx;

/// <summary>
/// Recovers an LSTM's TorchSharp-layout weights (<see cref="LstmWeights"/>) from a package's LSTM graph
/// (<c>model.onnx</c>): the inverse of <see cref="LstmGraph.Build"/>, which stores the embedding and biases of the dense
/// layers as they are, the dense matrices transposed, and the LSTM matrices and biases with their gate blocks
/// reordered from i, f, g, o to ONNX's i, o, f, c (input and recurrent biases kept apart in <c>B</c>). Transposes and
/// block copies copy values, so the recovered weights equal the exported ones bit for bit. Lets a package whose
/// training checkpoint is gone start a new training run (<c>training.initFrom</c>).
/// </summary>
public static class LstmGraphWeights
{
    /// <summary>The weights of the LSTM package in <paramref name="packageDirectory"/> (manifest checked, graph read).</summary>
    public static LstmWeights Read(string packageDirectory, out ModelManifest manifest) =>
        PackageGraphInitializers.Recover(packageDirectory, ModelArchitectures.Lstm, "an LSTM", GraphVariants.Lstm, "LSTM", LstmGraph.File, (m, initializers) =>
        {
            var h = m.HyperParameters;
            var config = new LstmConfig
            {
                VocabSize = h.VocabSize, EmbeddingSize = h.EmbeddingSize, Layers = h.LstmLayers, Units = h.LstmUnits, DenseUnits = h.DenseUnits,
            };
            return FromGraph(config, initializers);
        }, out manifest);

    /// <summary>The TorchSharp-layout weights from the LSTM graph's float initializers.</summary>
    public static LstmWeights FromGraph(LstmConfig config, IReadOnlyDictionary<string, (float[] Data, long[] Dims)> initializers)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(initializers);
        config.Validate();
        int U = config.Units, E = config.EmbeddingSize, V = config.VocabSize, D = config.DenseUnits;
        float[] Get(string name, params long[] want) => PackageGraphInitializers.Get(initializers, name, want);
        var w = new Dictionary<string, float[]>(StringComparer.Ordinal)
        {
            ["embedding.weight"] = (float[])Get("embedding.weight", V, E).Clone(),
            ["dense.weight"] = GraphOps.TransposeMatrix(Get("dense.weight_t", U, D), U, D),
            ["dense.bias"] = (float[])Get("dense.bias", D).Clone(),
            ["output.weight"] = GraphOps.TransposeMatrix(Get("output.weight_t", D, V), D, V),
            ["output.bias"] = (float[])Get("output.bias", V).Clone(),
        };
        for (int k = 0; k < config.Layers; k++)
        {
            int input = k == 0 ? E : U;
            string Name(string s) => string.Create(System.Globalization.CultureInfo.InvariantCulture, $"lstm.{s}_l{k}");
            w[LstmWeights.Lstm("weight_ih", k)] = LstmGraph.Unreorder(Get(Name("W"), 1, 4 * U, input), U, input);
            w[LstmWeights.Lstm("weight_hh", k)] = LstmGraph.Unreorder(Get(Name("R"), 1, 4 * U, U), U, U);
            var b = Get(Name("B"), 1, 8 * U);
            w[LstmWeights.Lstm("bias_ih", k)] = LstmGraph.Unreorder(b.AsSpan(0, 4 * U).ToArray(), U, 1);
            w[LstmWeights.Lstm("bias_hh", k)] = LstmGraph.Unreorder(b.AsSpan(4 * U, 4 * U).ToArray(), U, 1);
        }
        return new LstmWeights(config, w);
    }
}
