using System.Globalization;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using MusicGen.Onnx;

namespace MusicGen.Onnx.Tests;

/// <summary>Runs the portable graph with plain Run calls (present tensors copied back as the next past).</summary>
internal sealed class PortableRunner(InferenceSession session, TransformerConfig config)
{
    public sealed record Result(float[] Logits, float[][] PresentK, float[][] PresentV, int Total);

    /// <summary>One run: ids/pos [B,S], mask [B,T], past [B,KV,P,hd] per layer (P = T - S).</summary>
    public Result Run(int batch, long[] ids, long[] mask, long[] pos, float[][] pastK, float[][] pastV)
    {
        int S = ids.Length / batch, T = mask.Length / batch, P = T - S;
        int KV = config.KvHeads, hd = config.HeadSize;
        var names = new List<string> { "input_ids", "attention_mask", "position_ids" };
        var values = new List<OrtValue>
        {
            OrtValue.CreateTensorValueFromMemory(ids, [batch, S]),
            OrtValue.CreateTensorValueFromMemory(mask, [batch, T]),
            OrtValue.CreateTensorValueFromMemory(pos, [batch, S]),
        };
        for (int i = 0; i < config.Layers; i++)
        {
            names.Add(Key(i)); values.Add(OrtValue.CreateTensorValueFromMemory(pastK[i], [batch, KV, P, hd]));
            names.Add(Value(i)); values.Add(OrtValue.CreateTensorValueFromMemory(pastV[i], [batch, KV, P, hd]));
        }
        var outNames = new List<string> { "logits" };
        for (int i = 0; i < config.Layers; i++) { outNames.Add($"present.{i}.key"); outNames.Add($"present.{i}.value"); }
        using var runOptions = new RunOptions();
        using var outputs = session.Run(runOptions, names, values, outNames);
        foreach (var v in values) v.Dispose();
        var logits = outputs[0].GetTensorDataAsSpan<float>().ToArray();
        var pk = new float[config.Layers][];
        var pv = new float[config.Layers][];
        for (int i = 0; i < config.Layers; i++)
        {
            pk[i] = outputs[1 + 2 * i].GetTensorDataAsSpan<float>().ToArray();
            pv[i] = outputs[2 + 2 * i].GetTensorDataAsSpan<float>().ToArray();
            Assert.Equal(new long[] { batch, KV, T, hd }, outputs[1 + 2 * i].GetTensorTypeAndShape().Shape);
        }
        Assert.Equal(new long[] { batch, S, config.VocabSize }, outputs[0].GetTensorTypeAndShape().Shape);
        return new Result(logits, pk, pv, T);
    }

    public float[][] EmptyPast(int batch) => Enumerable.Range(0, config.Layers).Select(_ => Array.Empty<float>()).ToArray();

    private static string Key(int i) => string.Create(CultureInfo.InvariantCulture, $"past_key_values.{i}.key");
    private static string Value(int i) => string.Create(CultureInfo.InvariantCulture, $"past_key_values.{i}.value");
}

/// <summary>
/// Runs the fast graph the way the engine does: one IoBinding, KV buffers of max length bound as both past and
/// present (written in place by GroupQueryAttention), logits bound to a preallocated [B,1,V] buffer.
/// </summary>
internal sealed class FastRunner : IDisposable
{
    private readonly InferenceSession _session;
    private readonly TransformerConfig _config;
    private readonly int _batch;
    private readonly OrtIoBinding _binding;
    private readonly RunOptions _runOptions = new();
    private readonly List<OrtValue> _cache = [];
    private readonly float[] _logits;
    private readonly OrtValue _logitsValue;

    public FastRunner(InferenceSession session, TransformerConfig config, int batch, bool fp16 = false, int? bufferLength = null)
    {
        _session = session;
        _config = config;
        _batch = batch;
        _binding = session.CreateIoBinding();
        int length = bufferLength ?? config.ContextLength;
        long[] shape = [batch, config.KvHeads, length, config.HeadSize];
        int n = batch * config.KvHeads * length * config.HeadSize;
        for (int i = 0; i < config.Layers; i++)
        {
            foreach (var kind in new[] { "key", "value" })
            {
                var value = fp16
                    ? OrtValue.CreateTensorValueFromMemory(new Float16[n], shape)
                    : OrtValue.CreateTensorValueFromMemory(new float[n], shape);
                _cache.Add(value);
                _binding.BindInput($"past_key_values.{i}.{kind}", value);
                _binding.BindOutput($"present.{i}.{kind}", value);
            }
        }
        _logits = new float[batch * config.VocabSize];
        _logitsValue = OrtValue.CreateTensorValueFromMemory(_logits, [batch, 1, config.VocabSize]);
        _binding.BindOutput("logits", _logitsValue);
    }

    /// <summary>Runs S tokens per row; returns logits [B, V] of each row's last real position.</summary>
    public float[] Step(long[] ids, int[] seqlensK, int totalSequenceLength)
    {
        int S = ids.Length / _batch;
        using var idsValue = OrtValue.CreateTensorValueFromMemory(ids, [_batch, S]);
        using var seqValue = OrtValue.CreateTensorValueFromMemory(seqlensK, [_batch]);
        using var totalValue = OrtValue.CreateTensorValueFromMemory(new[] { totalSequenceLength }, []);
        _binding.BindInput("input_ids", idsValue);
        _binding.BindInput("seqlens_k", seqValue);
        _binding.BindInput("total_sequence_length", totalValue);
        _session.RunWithBinding(_runOptions, _binding);
        return (float[])_logits.Clone();
    }

    public void Dispose()
    {
        _binding.Dispose();
        _runOptions.Dispose();
        _logitsValue.Dispose();
        foreach (var v in _cache) v.Dispose();
    }
}
