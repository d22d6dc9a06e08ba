using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using MusicGen.Core.Packaging;

namespace MusicGen.Training.Export;

/// <summary>Runs the portable graph with plain Run calls; present tensors come back as the next past.</summary>
internal sealed class PortableRunner(InferenceSession session, ModelManifest manifest)
{
    private readonly int _layers = manifest.HyperParameters.Layers;
    private readonly int _kv = manifest.HyperParameters.KvHeads;
    private readonly int _hd = manifest.HyperParameters.HeadSize;
    private readonly int _vocab = manifest.HyperParameters.VocabSize;

    public sealed record Result(float[] Logits, float[][] PresentK, float[][] PresentV);

    public float[][] EmptyPast() => Enumerable.Range(0, _layers).Select(_ => Array.Empty<float>()).ToArray();

    /// <summary>ids/pos [B,S], mask [B,T], past [B,KV,T-S,hd] per layer; logits [B,S,V].</summary>
    public Result Run(int batch, long[] ids, long[] mask, long[] pos, float[][] pastK, float[][] pastV)
    {
        int S = ids.Length / batch, T = mask.Length / batch, P = T - S;
        var names = new List<string> { "input_ids", "attention_mask", "position_ids" };
        var values = new List<OrtValue>
        {
            OrtValue.CreateTensorValueFromMemory(ids, [batch, S]),
            OrtValue.CreateTensorValueFromMemory(mask, [batch, T]),
            OrtValue.CreateTensorValueFromMemory(pos, [batch, S]),
        };
        var outNames = new List<string> { "logits" };
        for (int i = 0; i < _layers; i++)
        {
            names.Add($"past_key_values.{i}.key");
            values.Add(OrtValue.CreateTensorValueFromMemory(pastK[i], [batch, _kv, P, _hd]));
            names.Add($"past_key_values.{i}.value");
            values.Add(OrtValue.CreateTensorValueFromMemory(pastV[i], [batch, _kv, P, _hd]));
            outNames.Add($"present.{i}.key");
            outNames.Add($"present.{i}.value");
        }
        try
        {
            using var runOptions = new RunOptions();
            using var outputs = session.Run(runOptions, names, values, outNames);
            var pk = new float[_layers][];
            var pv = new float[_layers][];
            for (int i = 0; i < _layers; i++)
            {
                pk[i] = outputs[1 + 2 * i].GetTensorDataAsSpan<float>().ToArray();
                pv[i] = outputs[2 + 2 * i].GetTensorDataAsSpan<float>().ToArray();
            }
            var logits = outputs[0].GetTensorDataAsSpan<float>().ToArray();
            if (logits.Length != batch * S * _vocab) throw new InvalidOperationException($"portable logits have {logits.Length} values, expected {batch * S * _vocab}");
            return new Result(logits, pk, pv);
        }
        finally
        {
            foreach (var v in values) v.Dispose();
        }
    }
}

/// <summary>Runs a fast graph the engine's way: KV buffers of max length bound as both past and present (in place).</summary>
internal sealed class FastRunner : IDisposable
{
    private readonly InferenceSession _session;
    private readonly int _batch;
    private readonly OrtIoBinding _binding;
    private readonly RunOptions _runOptions = new();
    private readonly List<OrtValue> _cache = [];
    private readonly float[] _logits;
    private readonly OrtValue _logitsValue;

    public FastRunner(InferenceSession session, ModelManifest manifest, GraphEntry graph, int batch)
    {
        _session = session;
        _batch = batch;
        var hp = manifest.HyperParameters;
        var layout = graph.KvLayout ?? throw new InvalidOperationException($"{graph.File} has no kvLayout");
        bool fp16 = layout.ElementType == "float16";
        long[] shape = [batch, layout.KvHeads, layout.MaxLength, layout.HeadSize];
        int n = batch * layout.KvHeads * layout.MaxLength * layout.HeadSize;
        _binding = session.CreateIoBinding();
        for (int i = 0; i < layout.Layers; i++)
        {
            foreach (var (past, present) in new[] { (layout.PastKey, layout.PresentKey), (layout.PastValue, layout.PresentValue) })
            {
                var value = fp16
                    ? OrtValue.CreateTensorValueFromMemory(new Float16[n], shape)
                    : OrtValue.CreateTensorValueFromMemory(new float[n], shape);
                _cache.Add(value);
                _binding.BindInput(KvCacheLayout.Format(past, i), value);
                _binding.BindOutput(KvCacheLayout.Format(present, i), value);
            }
        }
        _logits = new float[batch * hp.VocabSize];
        _logitsValue = OrtValue.CreateTensorValueFromMemory(_logits, [batch, 1, hp.VocabSize]);
        _binding.BindOutput("logits", _logitsValue);
    }

    /// <summary>Runs S tokens per row (ids [B,S]); returns logits [B,V] of each row's last real position.</summary>
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

/// <summary>Runs the LSTM graph; state goes in as initial_h/initial_c and comes back as Y_h/Y_c.</summary>
internal sealed class LstmRunner(InferenceSession session, ModelManifest manifest)
{
    private readonly int _layers = manifest.HyperParameters.LstmLayers;
    private readonly int _units = manifest.HyperParameters.LstmUnits;

    public float[] ZeroState(int batch) => new float[_layers * batch * _units];

    public (float[] Logits, float[] H, float[] C) Run(int batch, long[] ids, float[] h, float[] c)
    {
        int S = ids.Length / batch;
        using var idsV = OrtValue.CreateTensorValueFromMemory(ids, [batch, S]);
        using var hV = OrtValue.CreateTensorValueFromMemory(h, [_layers, batch, _units]);
        using var cV = OrtValue.CreateTensorValueFromMemory(c, [_layers, batch, _units]);
        using var ro = new RunOptions();
        using var outs = session.Run(ro, ["input_ids", "initial_h", "initial_c"], [idsV, hV, cV], ["logits", "Y_h", "Y_c"]);
        return (outs[0].GetTensorDataAsSpan<float>().ToArray(), outs[1].GetTensorDataAsSpan<float>().ToArray(), outs[2].GetTensorDataAsSpan<float>().ToArray());
    }
}
