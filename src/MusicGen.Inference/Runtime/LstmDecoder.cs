using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using MusicGen.Core.Packaging;

namespace MusicGen.Inference.Runtime;

/// <summary>
/// The LSTM graph: state <c>[layers, n, units]</c> for h and c, kept compact for the current n in two native
/// buffers that swap roles each step (the step reads one and writes the other), bound once per batch size and side.
/// A row joining or leaving re-lays the small state out; a step allocates nothing.
/// </summary>
internal sealed unsafe class LstmDecoder : IBatchDecoder
{
    private readonly InferenceSession _session;
    private readonly int _vocab;
    private readonly int _layers;
    private readonly int _units;
    private readonly bool _logitsLast;
    private readonly NativeBuffer[] _h = new NativeBuffer[2];
    private readonly NativeBuffer[] _c = new NativeBuffer[2];
    private readonly NativeBuffer _ids;
    private readonly NativeBuffer _logits;
    private readonly int[] _lengths;
    private readonly OwnedBinding?[] _steps;
    private readonly RunOptions _runOptions = new();
    private int _current;

    public LstmDecoder(InferenceSession session, GraphEntry graph, ModelHyperParameters hp, int capacity, int maxLength)
    {
        _session = session;
        _vocab = hp.VocabSize;
        _layers = hp.LstmLayers;
        _units = hp.LstmUnits;
        _logitsLast = graph.Logits == LogitsMode.Last;
        Capacity = capacity;
        MaxLength = maxLength;
        foreach (var name in session.InputNames)
            if (name is not ("input_ids" or "initial_h" or "initial_c"))
                throw new InvalidOperationException($"The LSTM graph has an input '{name}' this engine does not know how to feed.");
        long stateBytes = (long)_layers * capacity * _units * 4;
        for (int i = 0; i < 2; i++)
        {
            _h[i] = new NativeBuffer(stateBytes);
            _c[i] = new NativeBuffer(stateBytes);
        }
        _ids = new NativeBuffer(capacity * 8L);
        _logits = new NativeBuffer((long)capacity * _vocab * 4);
        _lengths = new int[capacity];
        _steps = new OwnedBinding?[2 * (capacity + 1)];
    }

    public int Capacity { get; }

    public int Count { get; private set; }

    public int MaxLength { get; }

    public int VocabularySize => _vocab;

    public int Length(int row) => _lengths[row];

    public ReadOnlySpan<float> Prefill(ReadOnlySpan<int> tokens)
    {
        DecoderChecks.Prefill(Count, Capacity, MaxLength, tokens);
        int s = tokens.Length, n = Count;
        var ids = new long[s];
        for (int i = 0; i < s; i++) ids[i] = tokens[i];
        var zeros = new float[_layers * _units];
        using var idsValue = OrtValue.CreateTensorValueFromMemory(ids, [1, s]);
        using var h0 = OrtValue.CreateTensorValueFromMemory(zeros, [_layers, 1, _units]);
        using var c0 = OrtValue.CreateTensorValueFromMemory((float[])zeros.Clone(), [_layers, 1, _units]);
        using var outputs = _session.Run(_runOptions, ["input_ids", "initial_h", "initial_c"], [idsValue, h0, c0], ["logits", "Y_h", "Y_c"]);
        var logits = outputs[0].GetTensorDataAsSpan<float>();
        (_logitsLast ? logits[.._vocab] : logits[^_vocab..]).CopyTo(_logits.AsSpan<float>((long)n * _vocab, _vocab));

        // Widen the compact state from n to n + 1 rows (top layer first: blocks move right), then write the new row.
        Relayout(_h[_current], n, n + 1);
        Relayout(_c[_current], n, n + 1);
        var newH = outputs[1].GetTensorDataAsSpan<float>();
        var newC = outputs[2].GetTensorDataAsSpan<float>();
        for (int l = 0; l < _layers; l++)
        {
            newH.Slice(l * _units, _units).CopyTo(_h[_current].AsSpan<float>(((long)l * (n + 1) + n) * _units, _units));
            newC.Slice(l * _units, _units).CopyTo(_c[_current].AsSpan<float>(((long)l * (n + 1) + n) * _units, _units));
        }
        _lengths[n] = s;
        Count++;
        return _logits.AsSpan<float>((long)n * _vocab, _vocab);
    }

    public ReadOnlySpan<float> Decode(ReadOnlySpan<int> tokens)
    {
        int n = Count;
        DecoderChecks.Decode(n, tokens);
        if (n == 0) return [];
        var ids = _ids.AsSpan<long>(0, n);
        for (int i = 0; i < n; i++)
        {
            if (_lengths[i] >= MaxLength) DecoderChecks.ThrowRowFull(i, MaxLength);
            ids[i] = tokens[i];
        }
        var step = _steps[2 * n + _current] ??= StepBinding(n, _current);
        _session.RunWithBinding(_runOptions, step.Binding);
        _current ^= 1;
        for (int i = 0; i < n; i++) _lengths[i]++;
        return _logits.AsSpan<float>(0, n * _vocab);
    }

    public void RemoveRow(int row)
    {
        if ((uint)row >= (uint)Count) throw new ArgumentOutOfRangeException(nameof(row));
        int n = Count, last = n - 1;
        foreach (var buffer in (ReadOnlySpan<NativeBuffer>)[_h[_current], _c[_current]])
        {
            if (row != last)
                for (int l = 0; l < _layers; l++)
                    buffer.AsSpan<float>(((long)l * n + last) * _units, _units).CopyTo(buffer.AsSpan<float>(((long)l * n + row) * _units, _units));
            Relayout(buffer, n, n - 1);
        }
        _lengths[row] = _lengths[last];
        _lengths[last] = 0;
        Count--;
    }

    /// <summary>Re-strides <c>[layers, from, units]</c> as <c>[layers, to, units]</c> keeping the first min(from, to) rows.</summary>
    private void Relayout(NativeBuffer buffer, int from, int to)
    {
        if (from == to || _layers == 1) return;
        long keep = (long)Math.Min(from, to) * _units * 4;
        if (to > from)
        {
            for (int l = _layers - 1; l >= 1; l--) Move(l);
        }
        else
        {
            for (int l = 1; l < _layers; l++) Move(l);
        }

        void Move(int l)
        {
            var src = buffer.Pointer + (nint)((long)l * from * _units * 4);
            var dst = buffer.Pointer + (nint)((long)l * to * _units * 4);
            Buffer.MemoryCopy((void*)src, (void*)dst, keep, keep);
        }
    }

    public void Dispose()
    {
        foreach (var s in _steps) s?.Dispose();
        for (int i = 0; i < 2; i++)
        {
            _h[i].Dispose();
            _c[i].Dispose();
        }
        _ids.Dispose();
        _logits.Dispose();
        _runOptions.Dispose();
    }

    /// <summary>Everything bound for a decode step of exactly n rows reading state buffer <paramref name="side"/>.</summary>
    private OwnedBinding StepBinding(int n, int side)
    {
        var b = new OwnedBinding(_session);
        var cpu = OrtMemoryInfo.DefaultInstance;
        long stateBytes = (long)_layers * n * _units * 4;
        long[] stateShape = [_layers, n, _units];
        b.Bind(true, "input_ids", OrtValue.CreateTensorValueWithData(cpu, TensorElementType.Int64, [n, 1], _ids.Pointer, n * 8L));
        b.Bind(true, "initial_h", OrtValue.CreateTensorValueWithData(cpu, TensorElementType.Float, stateShape, _h[side].Pointer, stateBytes));
        b.Bind(true, "initial_c", OrtValue.CreateTensorValueWithData(cpu, TensorElementType.Float, stateShape, _c[side].Pointer, stateBytes));
        b.Bind(false, "Y_h", OrtValue.CreateTensorValueWithData(cpu, TensorElementType.Float, stateShape, _h[side ^ 1].Pointer, stateBytes));
        b.Bind(false, "Y_c", OrtValue.CreateTensorValueWithData(cpu, TensorElementType.Float, stateShape, _c[side ^ 1].Pointer, stateBytes));
        b.Bind(false, "logits", OrtValue.CreateTensorValueWithData(cpu, TensorElementType.Float, [n, 1, _vocab], _logits.Pointer, (long)n * _vocab * 4));
        return b;
    }
}
