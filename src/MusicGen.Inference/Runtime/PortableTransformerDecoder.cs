using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using MusicGen.Core.Packaging;

namespace MusicGen.Inference.Runtime;

/// <summary>
/// The portable transformer graph (standard ONNX ops, <c>present = concat(past, new)</c>). Each row keeps the
/// present tensors ONNX Runtime returned and feeds them back as its next past, with no copy on our side. Rows run one
/// after another (batch 1 each): the portable graph has no shared buffer to batch ragged rows into without padding,
/// and row-by-row keeps every row's numbers identical to running it alone.
/// </summary>
internal sealed class PortableTransformerDecoder : IBatchDecoder
{
    private readonly InferenceSession _session;
    private readonly KvCacheLayout _kv;
    private readonly int _vocab;
    private readonly bool _logitsLast;
    private readonly string[] _inputNames;
    private readonly string[] _outputNames;
    private readonly Row?[] _rows;
    private readonly float[] _logits;
    private readonly long[] _ones;
    private readonly RunOptions _runOptions = new();

    public PortableTransformerDecoder(InferenceSession session, GraphEntry graph, int vocabularySize, int capacity, int maxLength)
    {
        _session = session;
        _kv = graph.KvLayout ?? throw new ArgumentException("The portable graph has no kvLayout.", nameof(graph));
        _vocab = vocabularySize;
        _logitsLast = graph.Logits == LogitsMode.Last;
        Capacity = capacity;
        MaxLength = maxLength;
        var inputs = new List<string> { "input_ids", "attention_mask", "position_ids" };
        var outputs = new List<string> { "logits" };
        for (int i = 0; i < _kv.Layers; i++)
        {
            inputs.Add(KvCacheLayout.Format(_kv.PastKey, i));
            inputs.Add(KvCacheLayout.Format(_kv.PastValue, i));
            outputs.Add(KvCacheLayout.Format(_kv.PresentKey, i));
            outputs.Add(KvCacheLayout.Format(_kv.PresentValue, i));
        }
        foreach (var name in session.InputNames)
            if (!inputs.Contains(name)) throw new InvalidOperationException($"The portable graph has an input '{name}' this engine does not know how to feed.");
        _inputNames = [.. inputs];
        _outputNames = [.. outputs];
        _rows = new Row?[capacity];
        _logits = new float[(long)capacity * vocabularySize];
        _ones = GC.AllocateArray<long>(maxLength, pinned: true);
        Array.Fill(_ones, 1L);
    }

    public int Capacity { get; }

    public int Count { get; private set; }

    public int MaxLength { get; }

    public int VocabularySize => _vocab;

    public int Length(int row) => _rows[row]!.Length;

    public ReadOnlySpan<float> Prefill(ReadOnlySpan<int> tokens)
    {
        DecoderChecks.Prefill(Count, Capacity, MaxLength, tokens);
        var row = new Row();
        var pasts = new OrtValue[2 * _kv.Layers];
        var type = _kv.ElementType == "float16" ? TensorElementType.Float16 : TensorElementType.Float;
        for (int i = 0; i < pasts.Length; i++)
            pasts[i] = OrtValue.CreateAllocatedTensorValue(OrtAllocator.DefaultInstance, type, [1, _kv.KvHeads, 0, _kv.HeadSize]);
        try
        {
            Run(row, tokens, 0, pasts, Count);
        }
        finally
        {
            foreach (var p in pasts) p.Dispose();
        }
        _rows[Count] = row;
        return _logits.AsSpan(Count++ * _vocab, _vocab);
    }

    public ReadOnlySpan<float> Decode(ReadOnlySpan<int> tokens)
    {
        DecoderChecks.Decode(Count, tokens);
        for (int i = 0; i < Count; i++)
        {
            var row = _rows[i]!;
            if (row.Length >= MaxLength) DecoderChecks.ThrowRowFull(i, MaxLength);
            Run(row, tokens.Slice(i, 1), row.Length, null, i);
        }
        return _logits.AsSpan(0, Count * _vocab);
    }

    private void Run(Row row, ReadOnlySpan<int> tokens, int past, OrtValue[]? emptyPasts, int logitsRow)
    {
        int s = tokens.Length;
        var ids = new long[s];
        var positions = new long[s];
        for (int i = 0; i < s; i++)
        {
            ids[i] = tokens[i];
            positions[i] = past + i;
        }
        using var idsValue = OrtValue.CreateTensorValueFromMemory(ids, [1, s]);
        using var mask = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, _ones.AsMemory(0, past + s), [1, past + s]);
        using var positionValue = OrtValue.CreateTensorValueFromMemory(positions, [1, s]);
        var inputs = new OrtValue[_inputNames.Length];
        inputs[0] = idsValue;
        inputs[1] = mask;
        inputs[2] = positionValue;
        for (int i = 0; i < 2 * _kv.Layers; i++)
            inputs[3 + i] = emptyPasts is not null ? emptyPasts[i] : row.Outputs![1 + i];
        var outputs = _session.Run(_runOptions, _inputNames, inputs, _outputNames);
        var logits = outputs[0].GetTensorDataAsSpan<float>();
        var last = _logitsLast ? logits[.._vocab] : logits[^_vocab..];
        last.CopyTo(_logits.AsSpan(logitsRow * _vocab, _vocab));
        row.Outputs?.Dispose();
        row.Outputs = outputs;
        row.Length = past + s;
    }

    public void RemoveRow(int row)
    {
        if ((uint)row >= (uint)Count) throw new ArgumentOutOfRangeException(nameof(row));
        _rows[row]!.Outputs?.Dispose();
        _rows[row] = _rows[Count - 1];
        _rows[Count - 1] = null;
        Count--;
    }

    public void Dispose()
    {
        for (int i = 0; i < Count; i++) _rows[i]?.Outputs?.Dispose();
        _runOptions.Dispose();
    }

    private sealed class Row
    {
        public int Length;
        public IDisposableReadOnlyCollection<OrtValue>? Outputs;
    }
}
