using System.Globalization;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using MusicGen.Core.Packaging;

namespace MusicGen.Onnx;

/// <summary>
/// Runs a portable transformer graph with plain <c>Run</c> calls, the present tensors coming back as the next past.
/// For checking built graphs against a reference (the exporter's verifier and the tests), not for serving.
/// </summary>
public sealed class PortableGraphRunner
{
    private readonly InferenceSession _session;
    private readonly int _layers, _kvHeads, _headSize, _vocab;

    /// <summary>Creates a runner for a graph of these dimensions.</summary>
    public PortableGraphRunner(InferenceSession session, int layers, int kvHeads, int headSize, int vocabSize)
    {
        ArgumentNullException.ThrowIfNull(session);
        _session = session;
        _layers = layers;
        _kvHeads = kvHeads;
        _headSize = headSize;
        _vocab = vocabSize;
    }

    /// <summary>Creates a runner for a graph built from <paramref name="config"/>.</summary>
    public PortableGraphRunner(InferenceSession session, TransformerConfig config)
        : this(session, config.Layers, config.KvHeads, config.HeadSize, config.VocabSize)
    {
    }

    /// <summary>One run's outputs: logits <c>[B,S,V]</c> and per layer the present keys and values <c>[B,KV,T,hd]</c>.</summary>
    public sealed record Result(float[] Logits, float[][] PresentK, float[][] PresentV);

    /// <summary>An empty past (no cached positions) for every layer.</summary>
    public float[][] EmptyPast() => Enumerable.Range(0, _layers).Select(_ => Array.Empty<float>()).ToArray();

    /// <summary>
    /// One run: ids/pos <c>[B,S]</c>, mask <c>[B,T]</c>, past <c>[B,KV,T-S,hd]</c> per layer. Throws
    /// <see cref="InvalidOperationException"/> when the logits are not <c>[B,S,V]</c> or a present key not <c>[B,KV,T,hd]</c>.
    /// </summary>
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
            names.Add(Name("past_key_values.{0}.key", i));
            values.Add(OrtValue.CreateTensorValueFromMemory(pastK[i], [batch, _kvHeads, P, _headSize]));
            names.Add(Name("past_key_values.{0}.value", i));
            values.Add(OrtValue.CreateTensorValueFromMemory(pastV[i], [batch, _kvHeads, P, _headSize]));
            outNames.Add(Name("present.{0}.key", i));
            outNames.Add(Name("present.{0}.value", i));
        }
        try
        {
            using var runOptions = new RunOptions();
            using var outputs = _session.Run(runOptions, names, values, outNames);
            CheckShape("logits", outputs[0], [batch, S, _vocab]);
            var pk = new float[_layers][];
            var pv = new float[_layers][];
            for (int i = 0; i < _layers; i++)
            {
                CheckShape(outNames[1 + 2 * i], outputs[1 + 2 * i], [batch, _kvHeads, T, _headSize]);
                pk[i] = outputs[1 + 2 * i].GetTensorDataAsSpan<float>().ToArray();
                pv[i] = outputs[2 + 2 * i].GetTensorDataAsSpan<float>().ToArray();
            }
            return new Result(outputs[0].GetTensorDataAsSpan<float>().ToArray(), pk, pv);
        }
        finally
        {
            foreach (var v in values) v.Dispose();
        }
    }

    /// <summary>
    /// Runs a ragged batch: row b's first <c>lengths[b]</c> tokens of <c>seqs[b]</c> in one prefill (padded to the
    /// longest on the left or the right, the mask marking real slots, positions 0-based per row), then
    /// <paramref name="decodeSteps"/> steps in which every row appends its next token at the same new slot.
    /// <paramref name="onLogits"/> gets (row, position in the row's sequence, logits [V]) for every real position.
    /// </summary>
    public void RunRagged(int[][] seqs, int[] lengths, int decodeSteps, bool leftPadding, Action<int, int, ReadOnlySpan<float>> onLogits)
    {
        ArgumentNullException.ThrowIfNull(seqs);
        ArgumentNullException.ThrowIfNull(lengths);
        ArgumentNullException.ThrowIfNull(onLogits);
        int B = lengths.Length, S = lengths.Max(), V = _vocab;
        var ids = new long[B * S];
        var mask = new long[B * S];
        var pos = new long[B * S];
        var masks = new List<long>[B];
        for (int b = 0; b < B; b++)
        {
            int off = leftPadding ? S - lengths[b] : 0;
            for (int j = 0; j < lengths[b]; j++)
            {
                ids[b * S + off + j] = seqs[b][j];
                mask[b * S + off + j] = 1;
                pos[b * S + off + j] = j;
            }
            masks[b] = mask.Skip(b * S).Take(S).ToList();
        }
        var r = Run(B, ids, mask, pos, EmptyPast(), EmptyPast());
        for (int b = 0; b < B; b++)
        {
            int off = leftPadding ? S - lengths[b] : 0;
            for (int j = 0; j < lengths[b]; j++) onLogits(b, j, r.Logits.AsSpan((b * S + off + j) * V, V));
        }
        for (int step = 0; step < decodeSteps; step++)
        {
            var stepIds = new long[B];
            var stepPos = new long[B];
            for (int b = 0; b < B; b++)
            {
                stepIds[b] = seqs[b][lengths[b] + step];
                stepPos[b] = lengths[b] + step;
                masks[b].Add(1);
            }
            r = Run(B, stepIds, masks.SelectMany(m => m).ToArray(), stepPos, r.PresentK, r.PresentV);
            for (int b = 0; b < B; b++) onLogits(b, lengths[b] + step, r.Logits.AsSpan(b * V, V));
        }
    }

    private static void CheckShape(string name, OrtValue value, long[] expected)
    {
        var shape = value.GetTensorTypeAndShape().Shape;
        if (!shape.AsSpan().SequenceEqual(expected))
            throw new InvalidOperationException($"portable graph output '{name}' has shape [{string.Join(", ", shape)}], expected [{string.Join(", ", expected)}]");
    }

    private static string Name(string format, int i) => string.Format(CultureInfo.InvariantCulture, format, i);
}

/// <summary>
/// Runs a fast transformer graph the way the inference engine does: one IoBinding, KV buffers of the layout's length
/// bound as both past and present (written in place by GroupQueryAttention), logits bound to a preallocated
/// <c>[B,1,V]</c> buffer. For checking built graphs (the exporter's verifier and the tests).
/// </summary>
public sealed class FastGraphRunner : IDisposable
{
    private readonly InferenceSession _session;
    private readonly int _batch;
    private readonly OrtIoBinding _binding;
    private readonly RunOptions _runOptions = new();
    private readonly List<OrtValue> _cache = [];
    private readonly float[] _logits;
    private readonly OrtValue _logitsValue;

    /// <summary>
    /// Creates the runner: per layer a key and a value buffer <c>[batch, kvHeads, maxLength, headSize]</c> of the
    /// layout's element type (float16 or float32), bound under the layout's past/present names.
    /// </summary>
    public FastGraphRunner(InferenceSession session, KvCacheLayout layout, int vocabSize, int batch)
    {
        ArgumentNullException.ThrowIfNull(session);
        ArgumentNullException.ThrowIfNull(layout);
        _session = session;
        _batch = batch;
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
        _logits = new float[batch * vocabSize];
        _logitsValue = OrtValue.CreateTensorValueFromMemory(_logits, [batch, 1, vocabSize]);
        _binding.BindOutput("logits", _logitsValue);
    }

    /// <summary>Runs S tokens per row (ids <c>[B,S]</c>); returns logits <c>[B,V]</c> of each row's last real position.</summary>
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

    /// <inheritdoc />
    public void Dispose()
    {
        _binding.Dispose();
        _runOptions.Dispose();
        _logitsValue.Dispose();
        foreach (var v in _cache) v.Dispose();
    }
}

/// <summary>
/// Runs an LSTM graph: state goes in as <c>initial_h</c>/<c>initial_c</c> <c>[layers, B, units]</c> and comes back as
/// <c>Y_h</c>/<c>Y_c</c>. For checking built graphs (the exporter's verifier and the tests).
/// </summary>
public sealed class LstmGraphRunner
{
    private readonly InferenceSession _session;
    private readonly int _layers, _units;

    /// <summary>Creates a runner for a graph with these state dimensions.</summary>
    public LstmGraphRunner(InferenceSession session, int layers, int units)
    {
        ArgumentNullException.ThrowIfNull(session);
        _session = session;
        _layers = layers;
        _units = units;
    }

    /// <summary>A zero state <c>[layers, batch, units]</c>.</summary>
    public float[] ZeroState(int batch) => new float[_layers * batch * _units];

    /// <summary>Runs ids <c>[B,S]</c> from state (h, c); returns the logits <c>[B,S,V]</c> and the state after the last position.</summary>
    public (float[] Logits, float[] H, float[] C) Run(int batch, long[] ids, float[] h, float[] c)
    {
        int S = ids.Length / batch;
        using var idsV = OrtValue.CreateTensorValueFromMemory(ids, [batch, S]);
        using var hV = OrtValue.CreateTensorValueFromMemory(h, [_layers, batch, _units]);
        using var cV = OrtValue.CreateTensorValueFromMemory(c, [_layers, batch, _units]);
        using var ro = new RunOptions();
        using var outs = _session.Run(ro, ["input_ids", "initial_h", "initial_c"], [idsV, hV, cV], ["logits", "Y_h", "Y_c"]);
        return (outs[0].GetTensorDataAsSpan<float>().ToArray(), outs[1].GetTensorDataAsSpan<float>().ToArray(), outs[2].GetTensorDataAsSpan<float>().ToArray());
    }
}

/// <summary>Comparison of graph logits with reference logits.</summary>
public static class LogitComparison
{
    /// <summary>
    /// Max |a - b| over two equal-length spans (positive infinity when any difference is NaN); throws
    /// <see cref="InvalidOperationException"/> when the lengths differ.
    /// </summary>
    public static double MaxAbsDiff(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        if (a.Length != b.Length) throw new InvalidOperationException($"logit lengths differ: {a.Length} vs {b.Length}");
        double m = 0;
        for (int i = 0; i < a.Length; i++)
        {
            double d = Math.Abs((double)a[i] - b[i]);
            if (double.IsNaN(d)) return double.PositiveInfinity;
            m = Math.Max(m, d);
        }
        return m;
    }
}
