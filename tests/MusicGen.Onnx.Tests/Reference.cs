using MusicGen.Onnx;

namespace MusicGen.Onnx.Tests;

/// <summary>
/// Naive reference forward passes written straight from docs/contracts.md ("Model math"): plain loops, double
/// accumulators, one sequence at a time. Independent of the graph builders.
/// </summary>
internal static class Reference
{
    /// <summary>Logits [n, V] of a transformer over tokens at positions 0..n-1 (causal).</summary>
    public static float[][] Transformer(TransformerWeights w, IReadOnlyList<int> tokens)
    {
        var c = w.Config;
        int n = tokens.Count, d = c.DModel, H = c.Heads, KV = c.KvHeads, hd = c.HeadSize, F = c.FfnHidden, V = c.VocabSize;
        int grp = H / KV, half = hd / 2;
        var emb = w["tok_embeddings.weight"];
        var x = new double[n][];
        for (int t = 0; t < n; t++)
        {
            x[t] = new double[d];
            for (int j = 0; j < d; j++) x[t][j] = emb[tokens[t] * d + j];
        }
        for (int layer = 0; layer < c.Layers; layer++)
        {
            string L(string s) => TransformerWeights.Layer(layer, s);
            var q = new double[n][]; var k = new double[n][]; var v = new double[n][];
            for (int t = 0; t < n; t++)
            {
                var h = RmsNorm(x[t], w[L("attn_norm.weight")], c.NormEpsilon);
                q[t] = Linear(w[L("wq.weight")], h, H * hd);
                k[t] = Linear(w[L("wk.weight")], h, KV * hd);
                v[t] = Linear(w[L("wv.weight")], h, KV * hd);
                for (int head = 0; head < H; head++) Rotate(q[t], head * hd, t, half, c.RopeTheta, hd);
                for (int head = 0; head < KV; head++) Rotate(k[t], head * hd, t, half, c.RopeTheta, hd);
            }
            for (int t = 0; t < n; t++)
            {
                var att = new double[H * hd];
                for (int head = 0; head < H; head++)
                {
                    int kvh = head / grp;
                    var scores = new double[t + 1];
                    double max = double.NegativeInfinity;
                    for (int s = 0; s <= t; s++)
                    {
                        double dot = 0;
                        for (int j = 0; j < hd; j++) dot += q[t][head * hd + j] * k[s][kvh * hd + j];
                        scores[s] = dot / Math.Sqrt(hd);
                        max = Math.Max(max, scores[s]);
                    }
                    double sum = 0;
                    for (int s = 0; s <= t; s++) { scores[s] = Math.Exp(scores[s] - max); sum += scores[s]; }
                    for (int s = 0; s <= t; s++)
                        for (int j = 0; j < hd; j++) att[head * hd + j] += scores[s] / sum * v[s][kvh * hd + j];
                }
                var o = Linear(w[L("wo.weight")], att, d);
                for (int j = 0; j < d; j++) x[t][j] += o[j];
            }
            for (int t = 0; t < n; t++)
            {
                var h = RmsNorm(x[t], w[L("ffn_norm.weight")], c.NormEpsilon);
                var gate = Linear(w[L("w1.weight")], h, F);
                var up = Linear(w[L("w3.weight")], h, F);
                var a = new double[F];
                for (int j = 0; j < F; j++) a[j] = gate[j] / (1 + Math.Exp(-gate[j])) * up[j];
                var down = Linear(w[L("w2.weight")], a, d);
                for (int j = 0; j < d; j++) x[t][j] += down[j];
            }
        }
        var logits = new float[n][];
        for (int t = 0; t < n; t++)
        {
            var h = RmsNorm(x[t], w["norm.weight"], c.NormEpsilon);
            var l = Linear(emb, h, V);
            logits[t] = l.Select(z => (float)z).ToArray();
        }
        return logits;
    }

    /// <summary>Logits [n, V] of the LSTM model, and the final (h, c) per layer, from the given initial state.</summary>
    public static (float[][] Logits, double[][] H, double[][] C) Lstm(LstmWeights w, IReadOnlyList<int> tokens, double[][]? h0 = null, double[][]? c0 = null)
    {
        var cfg = w.Config;
        int U = cfg.Units, E = cfg.EmbeddingSize, n = tokens.Count;
        var h = h0?.Select(a => (double[])a.Clone()).ToArray() ?? Enumerable.Range(0, cfg.Layers).Select(_ => new double[U]).ToArray();
        var c = c0?.Select(a => (double[])a.Clone()).ToArray() ?? Enumerable.Range(0, cfg.Layers).Select(_ => new double[U]).ToArray();
        var logits = new float[n][];
        var emb = w["embedding.weight"];
        for (int t = 0; t < n; t++)
        {
            var input = new double[E];
            for (int j = 0; j < E; j++) input[j] = emb[tokens[t] * E + j];
            for (int layer = 0; layer < cfg.Layers; layer++)
            {
                var gi = Linear(w[LstmWeights.Lstm("weight_ih", layer)], input, 4 * U);
                var gh = Linear(w[LstmWeights.Lstm("weight_hh", layer)], h[layer], 4 * U);
                var bi = w[LstmWeights.Lstm("bias_ih", layer)];
                var bh = w[LstmWeights.Lstm("bias_hh", layer)];
                var next = new double[U];
                for (int u = 0; u < U; u++)
                {
                    double G(int gate) => gi[gate * U + u] + gh[gate * U + u] + bi[gate * U + u] + bh[gate * U + u];
                    double i = Sigmoid(G(0)), f = Sigmoid(G(1)), g = Math.Tanh(G(2)), o = Sigmoid(G(3));
                    c[layer][u] = f * c[layer][u] + i * g;
                    next[u] = o * Math.Tanh(c[layer][u]);
                }
                h[layer] = next;
                input = next;
            }
            var dense = Linear(w["dense.weight"], input, cfg.DenseUnits);
            var db = w["dense.bias"];
            for (int j = 0; j < dense.Length; j++) dense[j] = Math.Max(0, dense[j] + db[j]);
            var outp = Linear(w["output.weight"], dense, cfg.VocabSize);
            var ob = w["output.bias"];
            logits[t] = outp.Select((z, j) => (float)(z + ob[j])).ToArray();
        }
        return (logits, h, c);
    }

    private static double Sigmoid(double z) => 1 / (1 + Math.Exp(-z));

    private static double[] RmsNorm(double[] x, float[] weight, double eps)
    {
        double ms = 0;
        foreach (var v in x) ms += v * v;
        double inv = 1 / Math.Sqrt(ms / x.Length + eps);
        var r = new double[x.Length];
        for (int j = 0; j < x.Length; j++) r[j] = x[j] * inv * weight[j];
        return r;
    }

    /// <summary>y = W x with W [outDim, in] row-major (TorchSharp Linear layout).</summary>
    private static double[] Linear(float[] weight, double[] x, int outDim)
    {
        int inDim = x.Length;
        var y = new double[outDim];
        for (int o = 0; o < outDim; o++)
        {
            double s = 0;
            for (int j = 0; j < inDim; j++) s += weight[o * inDim + j] * x[j];
            y[o] = s;
        }
        return y;
    }

    private static void Rotate(double[] vec, int offset, int position, int half, double theta, int hd)
    {
        for (int j = 0; j < half; j++)
        {
            double angle = position * Math.Pow(theta, -2.0 * j / hd);
            double cos = Math.Cos(angle), sin = Math.Sin(angle);
            double a = vec[offset + j], b = vec[offset + j + half];
            vec[offset + j] = a * cos - b * sin;
            vec[offset + j + half] = b * cos + a * sin;
        }
    }
}
