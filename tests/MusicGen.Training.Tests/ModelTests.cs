using MusicGen.Training.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace MusicGen.Training.Tests;

public sealed class ModelTests
{
    private static Tensor RandomIds(int batch, int seq, int vocab, long seed)
    {
        var g = new Generator((ulong)seed);
        return randint(0, vocab, [batch, seq], dtype: ScalarType.Int64, generator: g);
    }

    private static float MaxAbsDiff(Tensor a, Tensor b) => (a - b).abs().max().item<float>();

    [Theory]
    [InlineData(4, 4)] // multi-head attention
    [InlineData(4, 2)] // grouped KV heads
    [InlineData(4, 1)] // multi-query
    public void Transformer_cached_decoding_equals_full_forward(int heads, int kvHeads)
    {
        manual_seed(1);
        using var model = new TransformerMusicModel(new TransformerConfig
        {
            VocabSize = 40, DModel = 32, Layers = 2, Heads = heads, KvHeads = kvHeads, FfnHidden = 48, ContextLength = 64,
        });
        model.eval();
        using var _ = no_grad();
        using var ids = RandomIds(3, 40, 40, 7);
        using var full = model.call(ids);
        Assert.Equal(new long[] { 3, 40, 40 }, full.shape);

        // token by token
        using (var cache = model.CreateCache())
        {
            for (var t = 0; t < 40; t++)
            {
                using var step = model.Forward(ids.narrow(1, t, 1), cache);
                Assert.True(MaxAbsDiff(step, full.narrow(1, t, 1)) <= 1e-5f, $"step {t}");
            }
            Assert.Equal(40, cache.Length);
            Assert.Equal(new long[] { 3, kvHeads, 40, 8 }, cache.Keys(0)!.shape);
        }

        // prefill 17, then a chunk of 5 (masked against the cached prefix), then single steps
        using (var cache = model.CreateCache())
        {
            using var pre = model.Forward(ids.narrow(1, 0, 17), cache);
            Assert.True(MaxAbsDiff(pre, full.narrow(1, 0, 17)) <= 1e-5f);
            using var chunk = model.Forward(ids.narrow(1, 17, 5), cache);
            Assert.True(MaxAbsDiff(chunk, full.narrow(1, 17, 5)) <= 1e-5f);
            for (var t = 22; t < 40; t++)
            {
                using var step = model.Forward(ids.narrow(1, t, 1), cache);
                Assert.True(MaxAbsDiff(step, full.narrow(1, t, 1)) <= 1e-5f, $"step {t}");
            }
        }
    }

    [Fact]
    public void Transformer_is_causal()
    {
        manual_seed(2);
        using var model = new TransformerMusicModel(new TransformerConfig { VocabSize = 20, DModel = 16, Layers = 1, Heads = 2, FfnHidden = 32 });
        model.eval();
        using var _ = no_grad();
        using var a = RandomIds(1, 12, 20, 3);
        using var b = a.clone();
        b[0, 11] = tensor(5L == a[0, 11].item<long>() ? 6L : 5L);
        using var la = model.call(a);
        using var lb = model.call(b);
        Assert.True(MaxAbsDiff(la.narrow(1, 0, 11), lb.narrow(1, 0, 11)) == 0f);
        Assert.True(MaxAbsDiff(la.narrow(1, 11, 1), lb.narrow(1, 11, 1)) > 1e-4f);
    }

    [Fact]
    public void Transformer_weights_follow_the_contract_names_and_shapes()
    {
        using var model = new TransformerMusicModel(new TransformerConfig
        {
            VocabSize = 30, DModel = 32, Layers = 2, Heads = 4, KvHeads = 2, FfnHidden = 48,
        });
        var w = model.ExportWeights();
        var expected = new Dictionary<string, long[]>
        {
            ["tok_embeddings.weight"] = [30, 32],
            ["norm.weight"] = [32],
        };
        for (var i = 0; i < 2; i++)
        {
            expected[$"layers.{i}.attn_norm.weight"] = [32];
            expected[$"layers.{i}.wq.weight"] = [32, 32];
            expected[$"layers.{i}.wk.weight"] = [16, 32];
            expected[$"layers.{i}.wv.weight"] = [16, 32];
            expected[$"layers.{i}.wo.weight"] = [32, 32];
            expected[$"layers.{i}.ffn_norm.weight"] = [32];
            expected[$"layers.{i}.w1.weight"] = [48, 32];
            expected[$"layers.{i}.w3.weight"] = [48, 32];
            expected[$"layers.{i}.w2.weight"] = [32, 48];
        }
        Assert.Equal(expected.Keys.Order(), w.Keys.Order());
        foreach (var (name, shape) in expected)
        {
            Assert.Equal(shape, w[name].Shape);
            Assert.Equal(shape.Aggregate(1L, (a, b) => a * b), w[name].Data.LongLength);
        }
    }

    [Fact]
    public void Transformer_matches_the_contract_math_written_out()
    {
        // An independent re-statement of docs/contracts.md (explicit loops over heads, softmax, rotary) on the
        // exported arrays, compared with the TorchSharp forward.
        manual_seed(3);
        var cfg = new TransformerConfig { VocabSize = 11, DModel = 8, Layers = 2, Heads = 2, KvHeads = 1, FfnHidden = 12 };
        using var model = new TransformerMusicModel(cfg);
        model.eval();
        var w = model.ExportWeights();
        int[] ids = [3, 1, 4, 1, 5, 9, 2, 6];
        using var _ = no_grad();
        using var t = tensor(ids.Select(i => (long)i).ToArray(), [1, ids.Length]);
        using var logits = model.call(t);
        var reference = ReferenceTransformer.Logits(cfg, w, ids);
        var got = logits.reshape(-1).data<float>().ToArray();
        for (var i = 0; i < got.Length; i++) Assert.True(Math.Abs(got[i] - reference[i]) <= 1e-4, $"logit {i}: {got[i]} vs {reference[i]}");
    }

    [Fact]
    public void Lstm_cached_decoding_equals_full_forward()
    {
        manual_seed(4);
        using var model = new LstmMusicModel(new LstmConfig { VocabSize = 30, EmbeddingSize = 16, Layers = 2, Units = 24, DenseUnits = 20 });
        model.eval();
        using var _ = no_grad();
        using var ids = RandomIds(2, 33, 30, 9);
        using var full = model.call(ids);
        LstmState? state = null;
        for (var t = 0; t < 33; t++)
        {
            var (step, next) = model.Forward(ids.narrow(1, t, 1), state);
            state?.Dispose();
            state = next;
            using (step) Assert.True(MaxAbsDiff(step, full.narrow(1, t, 1)) <= 1e-5f, $"step {t}");
        }
        Assert.Equal(new long[] { 2, 2, 24 }, state!.H.shape);
        state.Dispose();

        // prefill 20 then steps
        var (pre, s) = model.Forward(ids.narrow(1, 0, 20), null);
        Assert.True(MaxAbsDiff(pre, full.narrow(1, 0, 20)) <= 1e-5f);
        var (rest, s2) = model.Forward(ids.narrow(1, 20, 13), s);
        Assert.True(MaxAbsDiff(rest, full.narrow(1, 20, 13)) <= 1e-5f);
        pre.Dispose(); rest.Dispose(); s.Dispose(); s2.Dispose();
    }

    [Fact]
    public void Lstm_weight_names_and_shapes()
    {
        using var model = new LstmMusicModel(new LstmConfig { VocabSize = 30, EmbeddingSize = 16, Layers = 2, Units = 24, DenseUnits = 20 });
        var w = model.ExportWeights();
        Assert.Equal(new long[] { 30, 16 }, w["embedding.weight"].Shape);
        Assert.Equal(new long[] { 96, 16 }, w["lstm.weight_ih_l0"].Shape);
        Assert.Equal(new long[] { 96, 24 }, w["lstm.weight_ih_l1"].Shape);
        Assert.Equal(new long[] { 96, 24 }, w["lstm.weight_hh_l1"].Shape);
        Assert.Equal(new long[] { 96 }, w["lstm.bias_ih_l1"].Shape);
        Assert.Equal(new long[] { 96 }, w["lstm.bias_hh_l0"].Shape);
        Assert.Equal(new long[] { 20, 24 }, w["dense.weight"].Shape);
        Assert.Equal(new long[] { 20 }, w["dense.bias"].Shape);
        Assert.Equal(new long[] { 30, 20 }, w["output.weight"].Shape);
        Assert.Equal(new long[] { 30 }, w["output.bias"].Shape);
        Assert.Equal(13, w.Count);
    }

    [Fact]
    public void Bad_configs_are_rejected_with_the_field_named()
    {
        var e = Assert.Throws<ArgumentException>(() => new TransformerConfig { VocabSize = 10, DModel = 30, Heads = 4 }.Validate());
        Assert.Contains("heads", e.Message);
        e = Assert.Throws<ArgumentException>(() => new TransformerConfig { VocabSize = 10, DModel = 32, Heads = 4, KvHeads = 3 }.Validate());
        Assert.Contains("kvHeads", e.Message);
        e = Assert.Throws<ArgumentException>(() => new LstmConfig { VocabSize = 0 }.Validate());
        Assert.Contains("vocabSize", e.Message);
    }
}
