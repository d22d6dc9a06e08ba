using MusicGen.Core.Packaging;

namespace MusicGen.Onnx;

/// <summary>Small helpers over <see cref="OnnxGraphBuilder"/> for the decoder graphs (standard opset 21 ops).</summary>
internal static class GraphOps
{
    public static string MatMul(this OnnxGraphBuilder g, string a, string b) => g.Op("MatMul", a, b);
    public static string Add(this OnnxGraphBuilder g, string a, string b) => g.Op("Add", a, b);
    public static string Sub(this OnnxGraphBuilder g, string a, string b) => g.Op("Sub", a, b);
    public static string Mul(this OnnxGraphBuilder g, string a, string b) => g.Op("Mul", a, b);

    public static string Reshape(this OnnxGraphBuilder g, string x, params long[] shape) => g.Op("Reshape", x, g.ConstInt64(shape));

    public static string Transpose(this OnnxGraphBuilder g, string x, params long[] perm) => g.Op("Transpose", [x], ("perm", perm));

    public static string Unsqueeze(this OnnxGraphBuilder g, string x, params long[] axes) => g.Op("Unsqueeze", x, g.ConstInt64(axes));

    public static string Concat(this OnnxGraphBuilder g, long axis, params string[] xs) => g.Op("Concat", xs, ("axis", axis));

    /// <summary>Dimensions [start, end) of a tensor's shape, as a 1-D int64 tensor.</summary>
    public static string ShapeSlice(this OnnxGraphBuilder g, string x, long start, long end) =>
        g.Op("Shape", [x], ("start", start), ("end", end));

    public static string Cast(this OnnxGraphBuilder g, string x, OnnxDataType to) => g.Op("Cast", [x], ("to", (long)to));

    /// <summary>Splits along an axis into the given sizes.</summary>
    public static string[] Split(this OnnxGraphBuilder g, string x, long axis, params long[] sizes)
    {
        var outs = sizes.Select(_ => g.Fresh("split")).ToArray();
        g.Node("Split", [x, g.ConstInt64(sizes)], outs, "", ("axis", axis));
        return outs;
    }

    /// <summary>RMSNorm from standard ops: x / sqrt(mean(x^2) + eps) * w (the pattern ORT fuses into SimplifiedLayerNormalization).</summary>
    public static string RmsNorm(this OnnxGraphBuilder g, string x, string weight, float epsilon)
    {
        var sq = g.Op("Pow", x, g.ScalarFloat(2f));
        var mean = g.Op("ReduceMean", [sq, g.ConstInt64(-1)], ("keepdims", 1L));
        var std = g.Op("Sqrt", g.Add(mean, g.ScalarFloat(epsilon)));
        return g.Mul(g.Op("Div", x, std), weight);
    }

    /// <summary>Transposes a row-major [rows, cols] matrix into [cols, rows] (TorchSharp Linear [out,in] -> MatMul [in,out]).</summary>
    public static float[] TransposeMatrix(ReadOnlySpan<float> m, int rows, int cols)
    {
        var t = new float[m.Length];
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < cols; c++)
                t[c * rows + r] = m[r * cols + c];
        return t;
    }

    /// <summary>Stacks [rows_i, cols] matrices along rows, then transposes: Linear weights -> one fused MatMul [in, sum(out)].</summary>
    public static float[] FuseLinear(int inFeatures, params float[][] weights)
    {
        int totalOut = weights.Sum(w => w.Length / inFeatures);
        var stacked = new float[totalOut * inFeatures];
        int at = 0;
        foreach (var w in weights)
        {
            w.CopyTo(stacked, at);
            at += w.Length;
        }
        return TransposeMatrix(stacked, totalOut, inFeatures);
    }

    /// <summary>
    /// <c>x · W</c> with <c>W[k, n]</c> (row-major) quantized block-wise to symmetric int8 for com.microsoft
    /// MatMulNBits: <c>B[n, ceil(k / 32), 32]</c> as unsigned bytes around the implicit zero point 128 (a last partial
    /// block padded with zeros), one float scale per block (<c>max |w| / 127</c>), <c>accuracy_level</c> 4 (int8
    /// activations, int32 accumulation).
    /// </summary>
    public static string MatMulInt8(this OnnxGraphBuilder g, string x, string name, ReadOnlySpan<float> w, int k, int n)
    {
        const int Block = 32;
        var (q, scales) = QuantizeInt8(w, k, n, Block);
        int blocks = (k + Block - 1) / Block;
        var y = g.Fresh("qmatmul");
        g.Node("MatMulNBits", [x, g.Initializer(name + ".q8", q, n, blocks, Block), g.Initializer(name + ".scales", scales, (long)n * blocks)], [y],
            "com.microsoft", ("K", (long)k), ("N", (long)n), ("bits", 8L), ("block_size", (long)Block), ("accuracy_level", 4L));
        return y;
    }

    /// <summary>
    /// Block-wise symmetric int8 quantization of <c>W[k, n]</c> along k (see <see cref="MatMulInt8"/>): returns
    /// <c>q[n, ceil(k / block), block]</c> (value + 128; padding 128) and <c>scales[n, ceil(k / block)]</c>.
    /// </summary>
    public static (byte[] Quantized, float[] Scales) QuantizeInt8(ReadOnlySpan<float> w, int k, int n, int block)
    {
        int blocks = (k + block - 1) / block;
        var q = new byte[n * blocks * block];
        var scales = new float[n * blocks];
        for (int col = 0; col < n; col++)
        {
            for (int b = 0; b < blocks; b++)
            {
                int rows = Math.Min(block, k - b * block);
                float max = 0;
                for (int i = 0; i < rows; i++) max = MathF.Max(max, MathF.Abs(w[(b * block + i) * n + col]));
                float scale = max > 0 ? max / 127f : 1f;
                scales[col * blocks + b] = scale;
                int at = (col * blocks + b) * block;
                for (int i = 0; i < block; i++)
                    q[at + i] = (byte)(i < rows ? Math.Clamp((int)MathF.Round(w[(b * block + i) * n + col] / scale), -127, 127) + 128 : 128);
            }
        }
        return (q, scales);
    }

    public static string TypeName(OnnxDataType t) => t switch
    {
        OnnxDataType.Float => "float32",
        OnnxDataType.Float16 => "float16",
        OnnxDataType.Int64 => "int64",
        OnnxDataType.Int32 => "int32",
        OnnxDataType.Bool => "bool",
        OnnxDataType.UInt8 => "uint8",
        _ => t.ToString(),
    };

    /// <summary>Declares a graph input and records its spec.</summary>
    public static string In(this OnnxGraphBuilder g, List<TensorSpec> specs, string name, OnnxDataType type, params object[] dims)
    {
        specs.Add(Spec(name, type, dims));
        return g.Input(name, type, dims);
    }

    /// <summary>Renames a value to a graph output name (Identity) and declares it, recording its spec.</summary>
    public static void Out(this OnnxGraphBuilder g, List<TensorSpec> specs, string value, string name, OnnxDataType type, params object[] dims)
    {
        if (value != name) g.Node("Identity", [value], [name]);
        g.Output(name, type, dims);
        specs.Add(Spec(name, type, dims));
    }

    public static TensorSpec Spec(string name, OnnxDataType type, object[] dims) => new()
    {
        Name = name,
        ElementType = TypeName(type),
        Shape = dims.Select(d => Convert.ToString(d, System.Globalization.CultureInfo.InvariantCulture) ?? "").ToList(),
    };
}
