using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace MusicGen.Training.Models;

/// <summary>
/// Decoder-only transformer, pre-norm, Llama-style, no biases (the math of <c>docs/contracts.md</c>, which the ONNX
/// exporter mirrors weight for weight):
/// <code>
/// x = tok_embeddings[ids]
/// for each layer: h = x + wo(attn(rmsnorm(x; attn_norm)))
///                 x = h + w2(silu(w1(rmsnorm(h; ffn_norm))) * w3(rmsnorm(h; ffn_norm)))
/// logits = rmsnorm(x; norm) @ tok_embeddings^T          (tied)
/// </code>
/// Attention: rotary (non-interleaved, theta 10000) on q and k, causal softmax(q k^T / sqrt(hd)) v, each KV head
/// shared by heads/kvHeads query heads. Dropout (training only) acts on the embeddings and on both residual
/// branches; attention probabilities are not dropped, so training uses the fused scaled-dot-product kernel.
/// </summary>
public sealed class TransformerMusicModel : TrainableMusicModel
{
    private readonly Embedding tok_embeddings;
    private readonly ModuleList<TransformerBlock> layers;
    private readonly RmsNorm norm;
    private readonly RotaryTable rotary;
    private readonly TransformerConfig config;

    /// <summary>Builds the model with freshly initialised weights (normal, std 0.02; residual outputs scaled by 1/sqrt(2L)).</summary>
    public TransformerMusicModel(TransformerConfig config) : base(nameof(TransformerMusicModel))
    {
        config.Validate();
        this.config = config;
        tok_embeddings = nn.Embedding(config.VocabSize, config.DModel);
        layers = new ModuleList<TransformerBlock>();
        for (var i = 0; i < config.Layers; i++) layers.Add(new TransformerBlock(config));
        norm = new RmsNorm(config.DModel);
        rotary = new RotaryTable(config.HeadSize, config.RopeTheta);
        RegisterComponents();

        using var _ = no_grad();
        nn.init.normal_(tok_embeddings.weight!, 0, 0.02);
        foreach (var block in layers) block.Initialise(0.02, 0.02 / Math.Sqrt(2.0 * config.Layers));
    }

    /// <inheritdoc />
    /// <remarks>The final norm's gain: the output head is tied to the embeddings, which the inputs also use.</remarks>
    public override IReadOnlyList<string> LogitWeights { get; } = ["norm.weight"];

    /// <inheritdoc />
    public override string Architecture => "transformer";

    /// <inheritdoc />
    public override ModelSpec Spec => new() { Architecture = Architecture, Transformer = config };

    /// <inheritdoc />
    public override int VocabSize => config.VocabSize;

    /// <summary>The hyper-parameters.</summary>
    public TransformerConfig Config => config;

    /// <summary>Logits <c>[B,T,V]</c> for every position of <paramref name="ids"/> <c>[B,T]</c> (int64), positions 0..T-1.</summary>
    public override Tensor forward(Tensor ids) => Run(ids, null);

    /// <summary>
    /// Step API: runs <paramref name="ids"/> <c>[B,T]</c> at positions <c>cache.Length .. cache.Length+T-1</c>, attending
    /// to the cached keys/values, appends this chunk's keys/values to <paramref name="cache"/> and returns its logits
    /// <c>[B,T,V]</c>. Prefill (T &gt; 1) and decode (T = 1) alike.
    /// </summary>
    public Tensor Forward(Tensor ids, KvCache cache)
    {
        ArgumentNullException.ThrowIfNull(cache);
        if (cache.Layers != config.Layers) throw new ArgumentException($"cache has {cache.Layers} layers, model {config.Layers}", nameof(cache));
        return Run(ids, cache);
    }

    /// <summary>An empty KV cache for this model.</summary>
    public KvCache CreateCache() => new(config.Layers);

    private Tensor Run(Tensor ids, KvCache? cache)
    {
        if (ids.dim() != 2) throw new ArgumentException($"ids must be [batch, seq], got [{string.Join(", ", ids.shape)}]", nameof(ids));
        using var scope = NewDisposeScope();
        var past = cache?.Length ?? 0;
        var seq = (int)ids.shape[1];
        var (cos, sin) = rotary.Slice(past, seq, ids.device);
        var p = training ? config.Dropout : 0.0;
        var x = tok_embeddings.call(ids);
        if (p > 0) x = F.dropout(x, p, training);
        for (var i = 0; i < layers.Count; i++) x = layers[i].Forward(x, cos, sin, cache, i, past, p);
        x = norm.call(x);
        var logits = x.matmul(tok_embeddings.weight!.t());
        cache?.Advance(seq);
        return logits.MoveToOuterDisposeScope();
    }
}

/// <summary>One pre-norm decoder layer: fields <c>attn_norm, wq, wk, wv, wo, ffn_norm, w1, w2, w3</c>.</summary>
public sealed class TransformerBlock : nn.Module
{
    private readonly RmsNorm attn_norm;
    private readonly Linear wq, wk, wv, wo;
    private readonly RmsNorm ffn_norm;
    private readonly Linear w1, w2, w3;
    private readonly long heads, kvHeads, headSize, ffnHidden;

    /// <summary>Creates the layer's modules.</summary>
    public TransformerBlock(TransformerConfig c) : base(nameof(TransformerBlock))
    {
        heads = c.Heads;
        kvHeads = c.EffectiveKvHeads;
        headSize = c.HeadSize;
        ffnHidden = c.FfnHidden;
        attn_norm = new RmsNorm(c.DModel);
        wq = nn.Linear(c.DModel, heads * headSize, hasBias: false);
        wk = nn.Linear(c.DModel, kvHeads * headSize, hasBias: false);
        wv = nn.Linear(c.DModel, kvHeads * headSize, hasBias: false);
        wo = nn.Linear(heads * headSize, c.DModel, hasBias: false);
        ffn_norm = new RmsNorm(c.DModel);
        w1 = nn.Linear(c.DModel, c.FfnHidden, hasBias: false);
        w3 = nn.Linear(c.DModel, c.FfnHidden, hasBias: false);
        w2 = nn.Linear(c.FfnHidden, c.DModel, hasBias: false);
        RegisterComponents();
    }

    internal void Initialise(double std, double residualStd)
    {
        foreach (var l in new[] { wq, wk, wv, w1, w3 }) nn.init.normal_(l.weight!, 0, std);
        foreach (var l in new[] { wo, w2 }) nn.init.normal_(l.weight!, 0, residualStd);
    }

    internal Tensor Forward(Tensor x, Tensor cos, Tensor sin, KvCache? cache, int layer, int past, double dropout)
    {
        long b = x.shape[0], t = x.shape[1];
        var h = attn_norm.call(x);
        // q, k, v in one matmul ([wq; wk; wv] stacked, the same math as three), rotary on q and k in one pass over
        // the [B, T, heads, hd] layout (cos/sin broadcast as [T, 1, hd]).
        var qkv = F.linear(h, cat([wq.weight!, wk.weight!, wv.weight!], 0)).view(b, t, heads + 2 * kvHeads, headSize);
        var qk = RotaryTable.Apply(qkv.narrow(2, 0, heads + kvHeads), cos.unsqueeze(1), sin.unsqueeze(1));
        var q = qk.narrow(2, 0, heads).transpose(1, 2);
        var k = qk.narrow(2, heads, kvHeads).transpose(1, 2);
        var v = qkv.narrow(2, heads + kvHeads, kvHeads).transpose(1, 2);
        if (cache is not null) (k, v) = cache.Append(layer, k, v);
        if (kvHeads < heads)
        {
            // query head j uses kv head j / (heads / kvHeads)
            k = k.repeat_interleave(heads / kvHeads, dim: 1);
            v = v.repeat_interleave(heads / kvHeads, dim: 1);
        }
        Tensor y;
        if (past == 0) y = F.scaled_dot_product_attention(q, k, v, is_casual: t > 1);
        else if (t == 1) y = F.scaled_dot_product_attention(q, k, v);
        else
        {
            // chunk after a cached prefix: row i sees keys 0 .. past + i
            var rows = arange(past, past + t, dtype: ScalarType.Int64, device: x.device).unsqueeze(1);
            var cols = arange(0, past + t, dtype: ScalarType.Int64, device: x.device).unsqueeze(0);
            y = F.scaled_dot_product_attention(q, k, v, attn_mask: cols.le(rows));
        }
        y = y.transpose(1, 2).reshape(b, t, heads * headSize);
        var a = wo.call(y);
        if (dropout > 0) a = F.dropout(a, dropout, true);
        var hres = x + a;
        var g = ffn_norm.call(hres);
        // gate and up projections in one matmul ([w1; w3] stacked)
        var gu = F.linear(g, cat([w1.weight!, w3.weight!], 0));
        var f = w2.call(F.silu(gu.narrow(-1, 0, ffnHidden)) * gu.narrow(-1, ffnHidden, ffnHidden));
        if (dropout > 0) f = F.dropout(f, dropout, true);
        return hres + f;
    }
}

/// <summary>
/// Rotary position embedding, non-interleaved ("rotate half"): <c>inv_freq[j] = theta^(-2j/hd)</c>,
/// angle = position * inv_freq (computed in float64, rounded to float32), cos/sin repeated over both halves.
/// The table grows on demand and lives outside every dispose scope.
/// </summary>
internal sealed class RotaryTable(int headSize, double theta)
{
    private Tensor? cos, sin;
    private int length;

    public (Tensor Cos, Tensor Sin) Slice(int start, int count, Device device)
    {
        if (cos is null || start + count > length || cos.device_type != device.type || cos.device_index != device.index)
            Build(Math.Max(start + count, Math.Max(2 * length, 256)), device);
        return (cos!.narrow(0, start, count), sin!.narrow(0, start, count));
    }

    private void Build(int n, Device device)
    {
        cos?.Dispose();
        sin?.Dispose();
        using var scope = NewDisposeScope();
        var invFreq = pow(theta, -arange(0, headSize, 2, ScalarType.Float64) / headSize);
        var angles = outer(arange(n, ScalarType.Float64), invFreq);
        var emb = cat([angles, angles], -1);
        cos = emb.cos().to_type(ScalarType.Float32).to(device).DetachFromDisposeScope();
        sin = emb.sin().to_type(ScalarType.Float32).to(device).DetachFromDisposeScope();
        length = n;
    }

    /// <summary><c>x * cos + rotate_half(x) * sin</c> with <c>rotate_half([x1, x2]) = [-x2, x1]</c> over the last axis.</summary>
    public static Tensor Apply(Tensor x, Tensor cos, Tensor sin)
    {
        var half = x.shape[^1] / 2;
        var x1 = x.narrow(-1, 0, half);
        var x2 = x.narrow(-1, half, half);
        return x * cos + cat([x2.neg(), x1], -1) * sin;
    }
}

/// <summary>Per-layer cached keys and values <c>[B, kvHeads, Length, hd]</c> (rotary already applied to keys).</summary>
public sealed class KvCache : IDisposable
{
    private readonly Tensor?[] keys, values;

    internal KvCache(int layers)
    {
        Layers = layers;
        keys = new Tensor?[layers];
        values = new Tensor?[layers];
    }

    /// <summary>Number of layers.</summary>
    public int Layers { get; }

    /// <summary>Positions cached so far.</summary>
    public int Length { get; private set; }

    /// <summary>Cached keys of one layer (null before the first step).</summary>
    public Tensor? Keys(int layer) => keys[layer];

    /// <summary>Cached values of one layer (null before the first step).</summary>
    public Tensor? Values(int layer) => values[layer];

    internal (Tensor K, Tensor V) Append(int layer, Tensor k, Tensor v)
    {
        var oldK = keys[layer];
        var oldV = values[layer];
        var newK = oldK is null ? k.contiguous() : cat([oldK, k], 2);
        var newV = oldV is null ? v.contiguous() : cat([oldV, v], 2);
        // A step's keys carry no gradient history we need; keep them outside the caller's dispose scope.
        keys[layer] = newK.detach().DetachFromDisposeScope();
        values[layer] = newV.detach().DetachFromDisposeScope();
        oldK?.Dispose();
        oldV?.Dispose();
        return (keys[layer]!, values[layer]!);
    }

    internal void Advance(int count) => Length += count;

    /// <summary>Frees the cached tensors.</summary>
    public void Dispose()
    {
        for (var i = 0; i < Layers; i++)
        {
            keys[i]?.Dispose();
            values[i]?.Dispose();
            keys[i] = values[i] = null;
        }
        Length = 0;
    }
}
