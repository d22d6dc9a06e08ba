using System.Globalization;
using MusicGen.Core.Packaging;

namespace MusicGen.Onnx;

/// <summary>
/// Builds the LSTM graph: embedding -> stacked ONNX LSTM nodes (one per layer, state carried through
/// <c>initial_h</c>/<c>initial_c</c> and <c>Y_h</c>/<c>Y_c</c>) -> dense + ReLU -> output projection.
/// Inputs <c>input_ids</c> [batch, seq] int64, <c>initial_h</c>/<c>initial_c</c> [layers, batch, U] float32;
/// outputs <c>logits</c> [batch, seq, V], <c>Y_h</c>/<c>Y_c</c> [layers, batch, U] (the state after the last position).
/// </summary>
public static class LstmGraph
{
    /// <summary>File name of the LSTM graph in a package.</summary>
    public const string File = "model.onnx";

    // TorchSharp stacks gates i, f, g, o; ONNX wants i, o, f, c (c = g). ONNX block k takes TorchSharp block TorchGate[k].
    private static readonly int[] TorchGate = [0, 3, 1, 2];

    /// <summary>Builds the graph from TorchSharp-layout weights.</summary>
    public static BuiltGraph Build(LstmWeights weights)
    {
        ArgumentNullException.ThrowIfNull(weights);
        var c = weights.Config;
        int U = c.Units, E = c.EmbeddingSize, V = c.VocabSize, D = c.DenseUnits;
        var g = new OnnxGraphBuilder("musicgen_lstm");
        g.AddMetadata("musicgen.variant", GraphVariants.Lstm);
        var inputs = new List<TensorSpec>();
        var outputs = new List<TensorSpec>();
        const string Batch = "batch";
        var ids = g.In(inputs, "input_ids", OnnxDataType.Int64, Batch, "seq");
        var h0 = g.In(inputs, "initial_h", OnnxDataType.Float, c.Layers, Batch, U);
        var c0 = g.In(inputs, "initial_c", OnnxDataType.Float, c.Layers, Batch, U);

        var emb = g.Initializer("embedding.weight", weights["embedding.weight"], V, E);
        // [B,S,E] -> time-major [S,B,E] (LSTM layout 0; keeps initial_h/Y_h as [layers, batch, U]).
        var x = g.Transpose(g.Op("Gather", [emb, ids], ("axis", 0L)), 1, 0, 2);
        var hs = new string[c.Layers];
        var cs = new string[c.Layers];
        for (int k = 0; k < c.Layers; k++)
        {
            int input = k == 0 ? E : U;
            var w = g.Initializer(Name("lstm.W_l{0}", k), Reorder(weights[LstmWeights.Lstm("weight_ih", k)], U, input), 1, 4 * U, input);
            var r = g.Initializer(Name("lstm.R_l{0}", k), Reorder(weights[LstmWeights.Lstm("weight_hh", k)], U, U), 1, 4 * U, U);
            var b = g.Initializer(Name("lstm.B_l{0}", k),
                [.. Reorder(weights[LstmWeights.Lstm("bias_ih", k)], U, 1), .. Reorder(weights[LstmWeights.Lstm("bias_hh", k)], U, 1)], 1, 8 * U);
            var layerIndex = g.ConstInt64(k);
            var hInit = g.Op("Gather", [h0, layerIndex], ("axis", 0L));
            var cInit = g.Op("Gather", [c0, layerIndex], ("axis", 0L));
            var y = g.Fresh("lstm_y");
            hs[k] = g.Fresh("lstm_h");
            cs[k] = g.Fresh("lstm_c");
            g.Node("LSTM", [x, w, r, b, "", hInit, cInit], [y, hs[k], cs[k]], "",
                ("hidden_size", (long)U), ("direction", "forward"), ("layout", 0L));
            x = g.Op("Squeeze", y, g.ConstInt64(1)); // [S,1,B,U] -> [S,B,U]
        }
        var top = g.Transpose(x, 1, 0, 2); // [B,S,U]
        var dense = g.Op("Relu", g.Add(g.MatMul(top, g.Initializer("dense.weight_t", GraphOps.TransposeMatrix(weights["dense.weight"], D, U), U, D)),
            g.Initializer("dense.bias", weights["dense.bias"], D)));
        var logits = g.Add(g.MatMul(dense, g.Initializer("output.weight_t", GraphOps.TransposeMatrix(weights["output.weight"], V, D), D, V)),
            g.Initializer("output.bias", weights["output.bias"], V));
        g.Out(outputs, logits, "logits", OnnxDataType.Float, Batch, "seq", V);
        g.Out(outputs, c.Layers == 1 ? hs[0] : g.Concat(0, hs), "Y_h", OnnxDataType.Float, c.Layers, Batch, U);
        g.Out(outputs, c.Layers == 1 ? cs[0] : g.Concat(0, cs), "Y_c", OnnxDataType.Float, c.Layers, Batch, U);

        var entry = new GraphEntry
        {
            Variant = GraphVariants.Lstm,
            File = File,
            Precision = "fp32",
            Inputs = inputs,
            Outputs = outputs,
            Logits = LogitsMode.All,
            Providers = ["cpu", "cuda"],
        };
        return new BuiltGraph(entry, g.ToModelBytes());
    }

    /// <summary>Reorders the four gate blocks (each <paramref name="units"/> rows of <paramref name="cols"/>) from i,f,g,o to i,o,f,c.</summary>
    internal static float[] Reorder(float[] torch, int units, int cols)
    {
        var onnx = new float[torch.Length];
        int block = units * cols;
        for (int k = 0; k < 4; k++)
            Array.Copy(torch, TorchGate[k] * block, onnx, k * block, block);
        return onnx;
    }

    /// <summary>The inverse of <see cref="Reorder"/>: gate blocks from ONNX's i,o,f,c back to TorchSharp's i,f,g,o.</summary>
    internal static float[] Unreorder(float[] onnx, int units, int cols)
    {
        var torch = new float[onnx.Length];
        int block = units * cols;
        for (int k = 0; k < 4; k++)
            Array.Copy(onnx, k * block, torch, TorchGate[k] * block, block);
        return torch;
    }

    private static string Name(string format, int i) => string.Format(CultureInfo.InvariantCulture, format, i);
}
