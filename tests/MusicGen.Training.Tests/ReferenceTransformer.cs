using MusicGen.Training.Models;

namespace MusicGen.Training.Tests;

/// <summary>docs/contracts.md's transformer math in plain loops (double precision), batch 1.</summary>
internal static class ReferenceTransformer
{
    public static float[] Logits(TransformerConfig c, Dictionary<string, (float[] Data, long[] Shape)> w, int[] ids)
    {
        int d = c.DModel, hN = c.Heads, kv = c.EffectiveKvHeads, hd = c.HeadSize, f = c.FfnHidden, v = c.VocabSize, n = ids.Length;
        var emb = w["tok_embeddings.weight"].Data;
        var x = new double[n][];
        for (var t = 0; t < n; t++) x[t] = Enumerable.Range(0, d).Select(j => (double)emb[ids[t] * d + j]).ToArray();
        for (var l = 0; l < c.Layers; l++)
        {
            string P(string s) => $"layers.{l}.{s}.weight";
            var h = x.Select(r => RmsNorm(r, w[P("attn_norm")].Data)).ToArray();
            var q = h.Select(r => MatVec(w[P("wq")].Data, r, hN * hd)).ToArray();
            var k = h.Select(r => MatVec(w[P("wk")].Data, r, kv * hd)).ToArray();
            var vv = h.Select(r => MatVec(w[P("wv")].Data, r, kv * hd)).ToArray();
            for (var t = 0; t < n; t++)
            {
                for (var head = 0; head < hN; head++) Rotate(q[t], head * hd, hd, t, c.RopeTheta);
                for (var head = 0; head < kv; head++) Rotate(k[t], head * hd, hd, t, c.RopeTheta);
            }
            var attn = new double[n][];
            for (var t = 0; t < n; t++)
            {
                attn[t] = new double[hN * hd];
                for (var head = 0; head < hN; head++)
                {
                    var kh = head / (hN / kv);
                    var scores = new double[t + 1];
                    for (var s = 0; s <= t; s++)
                    {
                        double dot = 0;
                        for (var j = 0; j < hd; j++) dot += q[t][head * hd + j] * k[s][kh * hd + j];
                        scores[s] = dot / Math.Sqrt(hd);
                    }
                    var max = scores.Max();
                    var e = scores.Select(s => Math.Exp(s - max)).ToArray();
                    var sum = e.Sum();
                    for (var s = 0; s <= t; s++)
                        for (var j = 0; j < hd; j++) attn[t][head * hd + j] += e[s] / sum * vv[s][kh * hd + j];
                }
            }
            for (var t = 0; t < n; t++)
            {
                var o = MatVec(w[P("wo")].Data, attn[t], d);
                for (var j = 0; j < d; j++) x[t][j] += o[j];
                var g = RmsNorm(x[t], w[P("ffn_norm")].Data);
                var a = MatVec(w[P("w1")].Data, g, f);
                var b = MatVec(w[P("w3")].Data, g, f);
                var m = a.Select((ai, i) => ai / (1 + Math.Exp(-ai)) * b[i]).ToArray();
                var down = MatVec(w[P("w2")].Data, m, d);
                for (var j = 0; j < d; j++) x[t][j] += down[j];
            }
        }
        var result = new float[n * v];
        for (var t = 0; t < n; t++)
        {
            var y = RmsNorm(x[t], w["norm.weight"].Data);
            var lg = MatVec(emb, y, v);
            for (var i = 0; i < v; i++) result[t * v + i] = (float)lg[i];
        }
        return result;
    }

    private static double[] RmsNorm(double[] x, float[] weight)
    {
        var ms = x.Select(a => a * a).Average();
        var inv = 1 / Math.Sqrt(ms + 1e-5);
        return x.Select((a, i) => a * inv * weight[i]).ToArray();
    }

    /// <summary>W [rows, x.Length] row-major times x.</summary>
    private static double[] MatVec(float[] w, double[] x, int rows)
    {
        var y = new double[rows];
        for (var r = 0; r < rows; r++)
        {
            double s = 0;
            for (var j = 0; j < x.Length; j++) s += w[r * x.Length + j] * x[j];
            y[r] = s;
        }
        return y;
    }

    private static void Rotate(double[] v, int offset, int hd, int pos, double theta)
    {
        var half = hd / 2;
        for (var j = 0; j < half; j++)
        {
            var angle = pos * Math.Pow(theta, -2.0 * j / hd);
            double x1 = v[offset + j], x2 = v[offset + j + half];
            v[offset + j] = x1 * Math.Cos(angle) - x2 * Math.Sin(angle);
            v[offset + j + half] = x2 * Math.Cos(angle) + x1 * Math.Sin(angle);
        }
    }
}
