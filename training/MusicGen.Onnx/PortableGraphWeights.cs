using MusicGen.Core.Packaging;

namespace MusicGen.Onnx;

/// <summary>
/// Recovers a transformer's contract weights (<see cref="TransformerWeights"/>) from a package's portable graph
/// (<c>model.onnx</c>): the inverse of <see cref="TransformerGraphs.BuildPortable"/>, which stores the embedding and
/// norms as they are and the linear layers fused and transposed (<c>wqkv.fused [d, (H+2KV)hd]</c>,
/// <c>wo.fused [H hd, d]</c>, <c>w13.fused [d, 2F]</c>, <c>w2.fused [F, d]</c>). Transposes and splits copy values, so
/// the recovered weights equal the exported ones bit for bit. Lets a package whose training checkpoint is gone start
/// a new training run (<c>training.initFrom</c>).
/// </summary>
public static class PortableGraphWeights
{
    /// <summary>The weights of the transformer package in <paramref name="packageDirectory"/> (manifest checked, portable graph read).</summary>
    public static TransformerWeights Read(string packageDirectory, out ModelManifest manifest) =>
        PackageGraphInitializers.Recover(packageDirectory, ModelArchitectures.Transformer, "a transformer", GraphVariants.Portable, "portable", TransformerGraphs.PortableFile, (m, initializers) =>
        {
            var h = m.HyperParameters;
            var config = new TransformerConfig
            {
                VocabSize = h.VocabSize, DModel = h.DModel, Layers = h.Layers, Heads = h.Heads, KvHeads = h.KvHeads,
                HeadSize = h.HeadSize, FfnHidden = h.FfnHidden, ContextLength = m.ContextLength, RopeTheta = h.RopeTheta,
                NormEpsilon = h.NormEpsilon,
            };
            return FromPortable(config, initializers);
        }, out manifest);

    /// <summary>The contract weights from the portable graph's float initializers.</summary>
    public static TransformerWeights FromPortable(TransformerConfig config, IReadOnlyDictionary<string, (float[] Data, long[] Dims)> initializers)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(initializers);
        config.Validate();
        int d = config.DModel, H = config.Heads, KV = config.KvHeads, hd = config.HeadSize, F = config.FfnHidden, V = config.VocabSize;
        float[] Get(string name, params long[] want) => PackageGraphInitializers.Get(initializers, name, want);
        var w = new Dictionary<string, float[]>(StringComparer.Ordinal)
        {
            ["tok_embeddings.weight"] = (float[])Get("tok_embeddings.weight", V, d).Clone(),
            ["norm.weight"] = (float[])Get("norm.weight", d).Clone(),
        };
        for (int i = 0; i < config.Layers; i++)
        {
            string L(string s) => TransformerWeights.Layer(i, s);
            w[L("attn_norm.weight")] = (float[])Get(L("attn_norm.weight"), d).Clone();
            w[L("ffn_norm.weight")] = (float[])Get(L("ffn_norm.weight"), d).Clone();
            // [d, (H+2KV)hd] -> [(H+2KV)hd, d]: the rows are wq, wk, wv stacked.
            var qkv = GraphOps.TransposeMatrix(Get(L("wqkv.fused"), d, (H + 2 * KV) * hd), d, (H + 2 * KV) * hd);
            w[L("wq.weight")] = qkv.AsSpan(0, H * hd * d).ToArray();
            w[L("wk.weight")] = qkv.AsSpan(H * hd * d, KV * hd * d).ToArray();
            w[L("wv.weight")] = qkv.AsSpan((H + KV) * hd * d, KV * hd * d).ToArray();
            w[L("wo.weight")] = GraphOps.TransposeMatrix(Get(L("wo.fused"), H * hd, d), H * hd, d);
            var w13 = GraphOps.TransposeMatrix(Get(L("w13.fused"), d, 2 * F), d, 2 * F);
            w[L("w1.weight")] = w13.AsSpan(0, F * d).ToArray();
            w[L("w3.weight")] = w13.AsSpan(F * d, F * d).ToArray();
            w[L("w2.weight")] = GraphOps.TransposeMatrix(Get(L("w2.fused"), F, d), F, d);
        }
        return new TransformerWeights(config, w);
    }
}
