using System.Globalization;
using MusicGen.Core.Packaging;

namespace MusicGen.Onnx;

/// <summary>
/// Builds the transformer graphs of docs/onnx-graphs.md from plain weights, layer by layer:
/// <see cref="BuildPortable"/> (standard ONNX ops, concatenating KV cache, any padding through attention_mask) and
/// <see cref="BuildFast"/> (com.microsoft GroupQueryAttention with fused rotary on a shared KV buffer,
/// SkipSimplifiedLayerNormalization, logits of the last position only; fp32 or fp16).
/// </summary>
public static class TransformerGraphs
{
    /// <summary>File name of the portable graph in a package.</summary>
    public const string PortableFile = "model.onnx";
    /// <summary>File name of the fp32 fast graph.</summary>
    public const string FastFile = "model.fast.onnx";
    /// <summary>File name of the fp16 fast graph.</summary>
    public const string FastFp16File = "model.fast.fp16.onnx";
    /// <summary>File name of the fast graph with int8 linear-layer weights.</summary>
    public const string FastInt8File = "model.fast.int8.onnx";

    private const string Batch = "batch";
    private const string Seq = "seq";

    /// <summary>Rotary cos/sin tables [contextLength, hd/2] (non-interleaved, "rotate half"), as docs/contracts.md defines.</summary>
    public static (float[] Cos, float[] Sin) RotaryTables(TransformerConfig c)
    {
        ArgumentNullException.ThrowIfNull(c);
        int half = c.HeadSize / 2;
        var cos = new float[c.ContextLength * half];
        var sin = new float[c.ContextLength * half];
        // Computed in float64 and rounded once to float32 (as the TorchSharp model builds its table).
        for (int j = 0; j < half; j++)
        {
            double invFreq = Math.Pow(c.RopeTheta, -2.0 * j / c.HeadSize);
            for (int p = 0; p < c.ContextLength; p++)
            {
                double angle = p * invFreq;
                cos[p * half + j] = (float)Math.Cos(angle);
                sin[p * half + j] = (float)Math.Sin(angle);
            }
        }
        return (cos, sin);
    }

    /// <summary>
    /// The portable graph: inputs <c>input_ids</c> [batch, seq] int64, <c>attention_mask</c> [batch, total] int64,
    /// <c>position_ids</c> [batch, seq] int64, <c>past_key_values.{i}.key|value</c> [batch, kv_heads, past, hd];
    /// outputs <c>logits</c> [batch, seq, V] (every position) and <c>present.{i}.key|value</c> [batch, kv_heads, total, hd].
    /// </summary>
    public static BuiltGraph BuildPortable(TransformerWeights weights)
    {
        ArgumentNullException.ThrowIfNull(weights);
        var c = weights.Config;
        int d = c.DModel, H = c.Heads, KV = c.KvHeads, hd = c.HeadSize, F = c.FfnHidden, V = c.VocabSize, grp = H / KV;
        float eps = (float)c.NormEpsilon;
        var g = new OnnxGraphBuilder("musicgen_transformer_portable");
        g.AddMetadata("musicgen.variant", GraphVariants.Portable);
        var inputs = new List<TensorSpec>();
        var outputs = new List<TensorSpec>();

        var ids = g.In(inputs, "input_ids", OnnxDataType.Int64, Batch, Seq);
        var mask = g.In(inputs, "attention_mask", OnnxDataType.Int64, Batch, "total");
        var pos = g.In(inputs, "position_ids", OnnxDataType.Int64, Batch, Seq);
        var pastK = new string[c.Layers];
        var pastV = new string[c.Layers];
        for (int i = 0; i < c.Layers; i++)
        {
            pastK[i] = g.In(inputs, Name("past_key_values.{0}.key", i), OnnxDataType.Float, Batch, KV, "past", hd);
            pastV[i] = g.In(inputs, Name("past_key_values.{0}.value", i), OnnxDataType.Float, Batch, KV, "past", hd);
        }

        var emb = g.Initializer("tok_embeddings.weight", weights["tok_embeddings.weight"], V, d);
        var x = g.Op("Gather", [emb, ids], ("axis", 0L));

        // Rotary: cos/sin rows gathered by position_ids, [batch, seq, 1, hd/2] to broadcast over heads.
        var (cosTable, sinTable) = RotaryTables(c);
        var cosT = g.Initializer("rotary.cos", cosTable, c.ContextLength, hd / 2);
        var sinT = g.Initializer("rotary.sin", sinTable, c.ContextLength, hd / 2);
        var cos = g.Unsqueeze(g.Op("Gather", [cosT, pos], ("axis", 0L)), 2);
        var sin = g.Unsqueeze(g.Op("Gather", [sinT, pos], ("axis", 0L)), 2);

        // Mask bias [batch, 1, 1, seq, total]: query i sits at slot past + i and sees slot j when j <= past + i
        // and attention_mask[b, j] = 1. Masked scores get a large finite negative value (never -inf, so a fully
        // masked padding row stays finite and never poisons the cache with NaN).
        var sDim = g.ShapeSlice(ids, 1, 2);
        var tDim = g.ShapeSlice(mask, 1, 2);
        var pDim = g.Sub(tDim, sDim);
        var zero = g.ScalarInt64(0);
        var one = g.ScalarInt64(1);
        var keySlots = g.Op("Range", zero, g.Op("Squeeze", tDim), one);
        var querySlots = g.Add(g.Op("Range", zero, g.Op("Squeeze", sDim), one), pDim);
        var causal = g.Op("LessOrEqual", g.Unsqueeze(keySlots, 0), g.Unsqueeze(querySlots, 1));
        var padOk = g.Unsqueeze(g.Cast(mask, OnnxDataType.Bool), 1, 2);
        var allowed = g.Op("And", causal, padOk);
        var bias = g.Unsqueeze(g.Op("Where", allowed, g.ScalarFloat(0f), g.ScalarFloat(-1e30f)), 1);
        var scoresShape5 = g.Concat(0, g.ConstInt64(0, 0, grp, -1), tDim);
        var scoresShape4 = g.Concat(0, g.ConstInt64(0, 0, -1), tDim);
        var scale = g.ScalarFloat(1f / MathF.Sqrt(hd));

        for (int i = 0; i < c.Layers; i++)
        {
            string L(string s) => TransformerWeights.Layer(i, s);
            var n = g.RmsNorm(x, g.Initializer(L("attn_norm.weight"), weights[L("attn_norm.weight")], d), eps);
            var wqkv = g.Initializer(L("wqkv.fused"), GraphOps.FuseLinear(d, weights[L("wq.weight")], weights[L("wk.weight")], weights[L("wv.weight")]), d, (H + 2 * KV) * hd);
            var qkv = g.Split(g.MatMul(n, wqkv), -1, H * hd, KV * hd, KV * hd);
            var q = Rope(g, g.Reshape(qkv[0], 0, 0, H, hd), cos, sin, hd);
            var k = Rope(g, g.Reshape(qkv[1], 0, 0, KV, hd), cos, sin, hd);
            var v = g.Reshape(qkv[2], 0, 0, KV, hd);
            var presentK = Name("present.{0}.key", i);
            var presentV = Name("present.{0}.value", i);
            g.Node("Concat", [pastK[i], g.Transpose(k, 0, 2, 1, 3)], [presentK], "", ("axis", 2L));
            g.Node("Concat", [pastV[i], g.Transpose(v, 0, 2, 1, 3)], [presentV], "", ("axis", 2L));

            // Grouped heads without copying K/V: q [B,S,H,hd] -> [B,KV,grp*S,hd] against K [B,KV,T,hd].
            var qg = g.Reshape(g.Transpose(g.Reshape(g.Mul(q, scale), 0, 0, KV, grp, hd), 0, 2, 3, 1, 4), 0, 0, -1, hd);
            var scores = g.MatMul(qg, g.Transpose(presentK, 0, 1, 3, 2));
            var scores5 = g.Add(g.Op("Reshape", scores, scoresShape5), bias);
            var probs = g.Op("Reshape", g.Op("Softmax", [scores5], ("axis", -1L)), scoresShape4);
            var ctx = g.MatMul(probs, presentV);
            var merged = g.Reshape(g.Transpose(g.Reshape(ctx, 0, 0, grp, -1, hd), 0, 3, 1, 2, 4), 0, 0, H * hd);
            var wo = g.Initializer(L("wo.fused"), GraphOps.TransposeMatrix(weights[L("wo.weight")], d, H * hd), H * hd, d);
            var h = g.Add(x, g.MatMul(merged, wo));

            var n2 = g.RmsNorm(h, g.Initializer(L("ffn_norm.weight"), weights[L("ffn_norm.weight")], d), eps);
            var w13 = g.Initializer(L("w13.fused"), GraphOps.FuseLinear(d, weights[L("w1.weight")], weights[L("w3.weight")]), d, 2 * F);
            var gu = g.Split(g.MatMul(n2, w13), -1, F, F);
            var act = g.Mul(g.Mul(gu[0], g.Op("Sigmoid", gu[0])), gu[1]);
            var w2 = g.Initializer(L("w2.fused"), GraphOps.TransposeMatrix(weights[L("w2.weight")], d, F), F, d);
            x = g.Add(h, g.MatMul(act, w2));
        }

        var final = g.RmsNorm(x, g.Initializer("norm.weight", weights["norm.weight"], d), eps);
        var lmHead = g.Transpose(emb, 1, 0); // tied: the embedding itself, not a stored copy (ONNX Runtime folds the transpose at load)
        g.Node("MatMul", [final, lmHead], ["logits"]);
        g.Out(outputs, "logits", "logits", OnnxDataType.Float, Batch, Seq, V);
        for (int i = 0; i < c.Layers; i++)
        {
            g.Out(outputs, Name("present.{0}.key", i), Name("present.{0}.key", i), OnnxDataType.Float, Batch, KV, "total", hd);
            g.Out(outputs, Name("present.{0}.value", i), Name("present.{0}.value", i), OnnxDataType.Float, Batch, KV, "total", hd);
        }

        var entry = new GraphEntry
        {
            Variant = GraphVariants.Portable,
            File = PortableFile,
            Precision = "fp32",
            Inputs = inputs,
            Outputs = outputs,
            Logits = LogitsMode.All,
            KvLayout = Layout(c, shared: false, "float32"),
            Providers = ["cpu", "cuda"],
        };
        return new BuiltGraph(entry, g, sharesWeights: true);
    }

    /// <summary>
    /// The fast graph: inputs <c>input_ids</c> [batch, seq] int64, <c>seqlens_k</c> [batch] int32 (each row's total
    /// length - 1), <c>total_sequence_length</c> [] int32 (the batch's largest total length),
    /// <c>past_key_values.{i}.key|value</c> [batch, kv_heads, max_len, hd]; outputs <c>logits</c> [batch, 1, V] float32
    /// (each row's last real position) and <c>present.{i}.key|value</c> (bind to the same buffers as past).
    /// </summary>
    /// <param name="weights">The weights.</param>
    /// <param name="fp16">True: weights, activations and KV cache in float16 (for CUDA); logits are still float32.</param>
    /// <param name="int8">
    /// True: the four linear layers of every block (fused QKV, output, fused gate/up, down) as com.microsoft
    /// MatMulNBits with block-wise int8 weights and int8 compute, for the CPU; embeddings, norms, the tied LM head and
    /// the KV cache stay fp32. Not with <paramref name="fp16"/>.
    /// </param>
    public static BuiltGraph BuildFast(TransformerWeights weights, bool fp16 = false, bool int8 = false)
    {
        ArgumentNullException.ThrowIfNull(weights);
        if (fp16 && int8) throw new ArgumentException("The fast graph is either fp16 or int8, not both.", nameof(int8));
        var c = weights.Config;
        if (c.HeadSize % 16 != 0)
            throw new ArgumentException($"The fast graph needs a head size that is a multiple of 16 (GroupQueryAttention's rotary kernel); got {c.HeadSize}. Use the portable graph.");
        int d = c.DModel, H = c.Heads, KV = c.KvHeads, hd = c.HeadSize, F = c.FfnHidden, V = c.VocabSize;
        float eps = (float)c.NormEpsilon;
        var T = fp16 ? OnnxDataType.Float16 : OnnxDataType.Float;
        var variant = fp16 ? GraphVariants.FastFp16 : int8 ? GraphVariants.FastInt8 : GraphVariants.Fast;
        var g = new OnnxGraphBuilder("musicgen_transformer_" + variant.Replace('-', '_'));
        g.UseOpset("com.microsoft", 1);
        g.AddMetadata("musicgen.variant", variant);
        var inputs = new List<TensorSpec>();
        var outputs = new List<TensorSpec>();

        var ids = g.In(inputs, "input_ids", OnnxDataType.Int64, Batch, Seq);
        var seqlensK = g.In(inputs, "seqlens_k", OnnxDataType.Int32, Batch);
        var totalLen = g.In(inputs, "total_sequence_length", OnnxDataType.Int32);
        var pastK = new string[c.Layers];
        var pastV = new string[c.Layers];
        for (int i = 0; i < c.Layers; i++)
        {
            pastK[i] = g.In(inputs, Name("past_key_values.{0}.key", i), T, Batch, KV, "max_len", hd);
            pastV[i] = g.In(inputs, Name("past_key_values.{0}.value", i), T, Batch, KV, "max_len", hd);
        }

        var emb = g.Initializer("tok_embeddings.weight", T, weights["tok_embeddings.weight"], V, d);
        var x = g.Op("Gather", [emb, ids], ("axis", 0L));
        var (cosTable, sinTable) = RotaryTables(c);
        var cosCache = g.Initializer("rotary.cos", T, cosTable, c.ContextLength, hd / 2);
        var sinCache = g.Initializer("rotary.sin", T, sinTable, c.ContextLength, hd / 2);

        var n = g.Fresh("norm");
        g.Node("SimplifiedLayerNormalization", [x, g.Initializer(TransformerWeights.Layer(0, "attn_norm.weight"), T, weights[TransformerWeights.Layer(0, "attn_norm.weight")], d)],
            [n], "", ("axis", -1L), ("epsilon", eps), ("stash_type", 1L));
        var residual = x;
        for (int i = 0; i < c.Layers; i++)
        {
            string L(string s) => TransformerWeights.Layer(i, s);
            string Linear(string input, string name, float[] w, int k, int nOut) => int8
                ? g.MatMulInt8(input, name, w, k, nOut)
                : g.MatMul(input, g.Initializer(name, T, w, k, nOut));
            var qkv = Linear(n, L("wqkv.fused"), GraphOps.FuseLinear(d, weights[L("wq.weight")], weights[L("wk.weight")], weights[L("wv.weight")]), d, (H + 2 * KV) * hd);
            var attn = g.Fresh("attn");
            g.Node("GroupQueryAttention",
                [qkv, "", "", pastK[i], pastV[i], seqlensK, totalLen, cosCache, sinCache],
                [attn, Name("present.{0}.key", i), Name("present.{0}.value", i)],
                "com.microsoft",
                ("num_heads", (long)H), ("kv_num_heads", (long)KV), ("do_rotary", 1L), ("rotary_interleaved", 0L),
                ("scale", 1f / MathF.Sqrt(hd)), ("local_window_size", -1L));
            var wo = Linear(attn, L("wo.fused"), GraphOps.TransposeMatrix(weights[L("wo.weight")], d, H * hd), H * hd, d);
            (n, residual) = SkipNorm(g, wo, residual, g.Initializer(L("ffn_norm.weight"), T, weights[L("ffn_norm.weight")], d), eps);

            var gu = g.Split(Linear(n, L("w13.fused"), GraphOps.FuseLinear(d, weights[L("w1.weight")], weights[L("w3.weight")]), d, 2 * F), -1, F, F);
            var act = g.Mul(g.Mul(gu[0], g.Op("Sigmoid", gu[0])), gu[1]);
            var w2 = Linear(act, L("w2.fused"), GraphOps.TransposeMatrix(weights[L("w2.weight")], d, F), F, d);
            var nextName = i + 1 < c.Layers ? TransformerWeights.Layer(i + 1, "attn_norm.weight") : "norm.weight";
            (n, residual) = SkipNorm(g, w2, residual, g.Initializer(nextName, T, weights[nextName], d), eps);
        }

        // Last real position of each row: min(seq - 1, seqlens_k[b]). A right-padded first prompt ends at
        // seqlens_k[b]; a continuation (batch 1) or a decode step ends at seq - 1.
        var lastSeq = g.Sub(g.ShapeSlice(ids, 1, 2), g.ConstInt64(1));
        var last = g.Op("Min", lastSeq, g.Cast(seqlensK, OnnxDataType.Int64));
        var index = g.Op("Expand", g.Reshape(last, -1, 1, 1), g.ConstInt64(1, 1, d));
        var lastHidden = g.Op("GatherElements", [n, index], ("axis", 1L));
        var lmHead = g.Transpose(emb, 1, 0); // tied, as in the portable graph
        var logits = g.MatMul(lastHidden, lmHead);
        if (fp16) logits = g.Cast(logits, OnnxDataType.Float);
        g.Out(outputs, logits, "logits", OnnxDataType.Float, Batch, 1, V);
        for (int i = 0; i < c.Layers; i++)
        {
            g.Out(outputs, Name("present.{0}.key", i), Name("present.{0}.key", i), T, Batch, KV, "max_len", hd);
            g.Out(outputs, Name("present.{0}.value", i), Name("present.{0}.value", i), T, Batch, KV, "max_len", hd);
        }

        var entry = new GraphEntry
        {
            Variant = variant,
            File = fp16 ? FastFp16File : int8 ? FastInt8File : FastFile,
            Precision = fp16 ? "fp16" : int8 ? "int8" : "fp32",
            Inputs = inputs,
            Outputs = outputs,
            Logits = LogitsMode.Last,
            KvLayout = Layout(c, shared: true, fp16 ? "float16" : "float32"),
            Providers = fp16 ? ["cuda"] : ["cpu"],
        };
        // The fp16 graph's weights are other tensors (half precision): it stays self-contained.
        return new BuiltGraph(entry, g, sharesWeights: !fp16);
    }

    private static (string Normed, string Sum) SkipNorm(OnnxGraphBuilder g, string input, string skip, string gamma, float eps)
    {
        var normed = g.Fresh("norm");
        var sum = g.Fresh("residual");
        g.Node("SkipSimplifiedLayerNormalization", [input, skip, gamma], [normed, "", "", sum], "com.microsoft", ("epsilon", eps));
        return (normed, sum);
    }

    /// <summary>Non-interleaved rotary on x [B, S, N, hd] with cos/sin [B, S, 1, hd/2].</summary>
    private static string Rope(OnnxGraphBuilder g, string x, string cos, string sin, int hd)
    {
        var halves = g.Split(x, -1, hd / 2, hd / 2);
        var r1 = g.Sub(g.Mul(halves[0], cos), g.Mul(halves[1], sin));
        var r2 = g.Add(g.Mul(halves[1], cos), g.Mul(halves[0], sin));
        return g.Concat(-1, r1, r2);
    }

    private static KvCacheLayout Layout(TransformerConfig c, bool shared, string elementType) => new()
    {
        Layers = c.Layers,
        KvHeads = c.KvHeads,
        HeadSize = c.HeadSize,
        ElementType = elementType,
        SharedBuffer = shared,
        MaxLength = shared ? c.ContextLength : 0,
        Padding = shared ? "left-aligned" : "any",
    };

    private static string Name(string format, int i) => string.Format(CultureInfo.InvariantCulture, format, i);
}
