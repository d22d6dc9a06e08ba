using System.Runtime.ExceptionServices;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using MusicGen.Core.Packaging;

namespace MusicGen.Inference.Runtime;

/// <summary>
/// The fast transformer graph (com.microsoft GroupQueryAttention): one KV buffer per layer and kind,
/// <c>[capacity, kvHeads, maxLength, headSize]</c>, bound as both past and present so ONNX Runtime writes each new
/// position in place. A decode step for n rows binds views of the first n rows; views, bindings and input buffers
/// are made once per batch size, so a step allocates nothing. Rows are left-aligned (position 0 at slot 0) and
/// ragged: <c>seqlens_k</c> gives each row's length. A decode step of many rows can be cut into contiguous slices
/// that run at once on the same session, one per core (<see cref="StepWorker"/>): each slice is a complete step of
/// its rows, so the result is identical to one run over all rows. On CUDA (<see cref="KvMemory"/>) the KV buffers are
/// device memory and ids, lengths and logits pinned host memory: a step moves only those across the bus.
/// </summary>
internal sealed unsafe class FastTransformerDecoder : IBatchDecoder
{
    private readonly InferenceSession _session;
    private readonly GraphEntry _graph;
    private readonly KvCacheLayout _kv;
    private readonly int _vocab;
    private readonly int _elementSize;
    private readonly TensorElementType _kvType;
    private readonly long _rowElements;          // kvHeads * maxLength * headSize
    private readonly NativeBuffer[] _keys;
    private readonly NativeBuffer[] _values;
    private readonly NativeBuffer _ids;          // int64 [capacity]
    private readonly NativeBuffer _seqlens;      // int32 [capacity]
    private readonly NativeBuffer _total;        // int32 scalar
    private readonly NativeBuffer _logits;       // float32 [capacity, V]
    private readonly int[] _lengths;
    private readonly OwnedBinding?[] _steps;
    private readonly StepWorker[] _workers;             // slices - 1 helper threads
    private readonly int _parallelMinRows;
    private readonly OwnedBinding[]?[] _sliceSteps;     // [rows] -> one binding per slice
    private readonly RunOptions _runOptions = new();
    private readonly bool _logitsLast;
    private readonly OrtMemoryInfo _cpu = OrtMemoryInfo.DefaultInstance;
    private readonly KvMemory _memory;

    /// <param name="session">Runs prefills and decode steps (the one-thread session).</param>
    /// <param name="graph">The fast graph's manifest entry.</param>
    /// <param name="vocabularySize">Logits per row.</param>
    /// <param name="capacity">Most rows.</param>
    /// <param name="maxLength">Positions per row in the KV buffers.</param>
    /// <param name="parallelSlices">Slices a large decode step is cut into, run at once (1 = off).</param>
    /// <param name="parallelMinRows">Fewest rows for a decode step to be cut into slices.</param>
    /// <param name="memory">Where the KV buffers live (owned by the decoder from here); null for host memory.</param>
    public FastTransformerDecoder(InferenceSession session, GraphEntry graph, int vocabularySize, int capacity, int maxLength,
        int parallelSlices = 1, int parallelMinRows = 0, KvMemory? memory = null)
    {
        _memory = memory ?? KvMemory.Host();
        ArgumentOutOfRangeException.ThrowIfLessThan(parallelSlices, 1);
        _session = session;
        bool parallel = parallelSlices > 1 && capacity >= Math.Max(parallelMinRows, parallelSlices);
        _parallelMinRows = Math.Max(parallelMinRows, parallelSlices);
        _graph = graph;
        _kv = graph.KvLayout ?? throw new ArgumentException("The fast graph has no kvLayout.", nameof(graph));
        _vocab = vocabularySize;
        Capacity = capacity;
        MaxLength = maxLength;
        _kvType = _kv.ElementType == "float16" ? TensorElementType.Float16 : TensorElementType.Float;
        _elementSize = _kvType == TensorElementType.Float16 ? 2 : 4;
        _logitsLast = graph.Logits == LogitsMode.Last;
        foreach (var name in session.InputNames)
        {
            if (name is not ("input_ids" or "seqlens_k" or "total_sequence_length") && !name.StartsWith("past_key_values.", StringComparison.Ordinal)
                && !IsKvName(name))
                throw new InvalidOperationException($"The fast graph has an input '{name}' this engine does not know how to feed.");
        }
        _rowElements = (long)_kv.KvHeads * maxLength * _kv.HeadSize;
        _keys = new NativeBuffer[_kv.Layers];
        _values = new NativeBuffer[_kv.Layers];
        for (int i = 0; i < _kv.Layers; i++)
        {
            _keys[i] = _memory.AllocateKv(capacity * _rowElements * _elementSize);
            _values[i] = _memory.AllocateKv(capacity * _rowElements * _elementSize);
        }
        _ids = _memory.AllocateHost(capacity * 8L);
        _seqlens = _memory.AllocateHost(capacity * 4L);
        _total = _memory.AllocateHost(4);
        _logits = _memory.AllocateHost((long)capacity * vocabularySize * 4);
        _lengths = new int[capacity];
        _steps = new OwnedBinding?[capacity + 1];
        _sliceSteps = new OwnedBinding[]?[capacity + 1];
        _workers = parallel
            ? [.. Enumerable.Range(1, parallelSlices - 1).Select(i => new StepWorker($"musicgen-decode-{i}"))]
            : [];
    }

    private bool IsKvName(string name)
    {
        for (int i = 0; i < _kv.Layers; i++)
            if (name == KvCacheLayout.Format(_kv.PastKey, i) || name == KvCacheLayout.Format(_kv.PastValue, i)) return true;
        return false;
    }

    public int Capacity { get; }

    public int Count { get; private set; }

    public int MaxLength { get; }

    public int VocabularySize => _vocab;

    public int Length(int row) => _lengths[row];

    /// <summary>Decode steps run as parallel slices so far (tests check the split really happens).</summary>
    internal long ParallelSteps { get; private set; }

    /// <summary>Slices a decode step of many rows is cut into (1 when steps are never split).</summary>
    internal int Slices => _workers.Length + 1;

    public ReadOnlySpan<float> Prefill(ReadOnlySpan<int> tokens)
    {
        DecoderChecks.Prefill(Count, Capacity, MaxLength, tokens);
        int row = Count;
        int s = tokens.Length;
        var ids = new long[s];
        for (int i = 0; i < s; i++) ids[i] = tokens[i];
        using var binding = _session.CreateIoBinding();
        using var idsValue = OrtValue.CreateTensorValueFromMemory(ids, [1, s]);
        using var seqlens = OrtValue.CreateTensorValueFromMemory(new[] { s - 1 }, [1]);
        using var total = OrtValue.CreateTensorValueFromMemory(new[] { s }, []);
        binding.BindInput("input_ids", idsValue);
        binding.BindInput("seqlens_k", seqlens);
        binding.BindInput("total_sequence_length", total);
        var views = new List<OrtValue>(4 * _kv.Layers);
        try
        {
            for (int layer = 0; layer < _kv.Layers; layer++)
            {
                var k = RowView(_keys[layer], row, 1);
                var v = RowView(_values[layer], row, 1);
                views.Add(k);
                views.Add(v);
                binding.BindInput(KvCacheLayout.Format(_kv.PastKey, layer), k);
                binding.BindInput(KvCacheLayout.Format(_kv.PastValue, layer), v);
                binding.BindOutput(KvCacheLayout.Format(_kv.PresentKey, layer), k);
                binding.BindOutput(KvCacheLayout.Format(_kv.PresentValue, layer), v);
            }
            var logitsRow = _logits.AsSpan<float>((long)row * _vocab, _vocab);
            if (_logitsLast)
            {
                var logits = OrtValue.CreateTensorValueWithData(_cpu, TensorElementType.Float, [1, 1, _vocab],
                    _logits.Pointer + (nint)((long)row * _vocab * 4), (long)_vocab * 4);
                views.Add(logits);
                binding.BindOutput("logits", logits);
                _session.RunWithBinding(_runOptions, binding);
            }
            else
            {
                binding.BindOutputToDevice("logits", _cpu);
                _session.RunWithBinding(_runOptions, binding);
                using var outputs = binding.GetOutputValues();
                var all = outputs[0].GetTensorDataAsSpan<float>();
                all[^_vocab..].CopyTo(logitsRow);
            }
        }
        finally
        {
            foreach (var v in views) v.Dispose();
        }
        _lengths[row] = s;
        Count++;
        return _logits.AsSpan<float>((long)row * _vocab, _vocab);
    }

    public ReadOnlySpan<float> Decode(ReadOnlySpan<int> tokens)
    {
        int n = Count;
        DecoderChecks.Decode(n, tokens);
        if (n == 0) return [];
        var ids = _ids.AsSpan<long>(0, n);
        var seqlens = _seqlens.AsSpan<int>(0, n);
        int max = 0;
        for (int i = 0; i < n; i++)
        {
            int len = _lengths[i];
            if (len >= MaxLength) DecoderChecks.ThrowRowFull(i, MaxLength);
            ids[i] = tokens[i];
            seqlens[i] = len;              // total length after this token, minus one
            if (len + 1 > max) max = len + 1;
        }
        _total.AsSpan<int>(0, 1)[0] = max;
        if (_workers.Length > 0 && n >= _parallelMinRows)
        {
            RunSlices(_sliceSteps[n] ??= SliceBindings(n));
            ParallelSteps++;
        }
        else
        {
            var step = _steps[n] ??= StepBinding(0, n);
            _session.RunWithBinding(_runOptions, step.Binding);
        }
        for (int i = 0; i < n; i++) _lengths[i]++;
        return _logits.AsSpan<float>(0, n * _vocab);
    }

    /// <summary>Runs slice 0 on this thread and the others on the workers; waits for all, then rethrows the first error.</summary>
    private void RunSlices(OwnedBinding[] slices)
    {
        for (int w = 0; w < _workers.Length; w++) _workers[w].Start(_session, slices[w + 1].Binding);
        Exception? first = null;
        try
        {
            _session.RunWithBinding(_runOptions, slices[0].Binding);
        }
        catch (Exception e)
        {
            first = e;
        }
        for (int w = 0; w < _workers.Length; w++)
        {
            try
            {
                _workers[w].Wait();
            }
            catch (Exception e)
            {
                first ??= e;
            }
        }
        if (first is not null) ExceptionDispatchInfo.Throw(first);
    }

    /// <summary>Bindings of an n-row step cut into contiguous slices of nearly equal size.</summary>
    private OwnedBinding[] SliceBindings(int n)
    {
        int parts = _workers.Length + 1;
        var slices = new OwnedBinding[parts];
        for (int i = 0, start = 0; i < parts; i++)
        {
            int rows = n / parts + (i < n % parts ? 1 : 0);
            slices[i] = StepBinding(start, rows);
            start += rows;
        }
        return slices;
    }

    public void RemoveRow(int row)
    {
        if ((uint)row >= (uint)Count) throw new ArgumentOutOfRangeException(nameof(row));
        int last = Count - 1;
        if (row != last)
        {
            // Copy the last row's filled positions into the freed row, head by head.
            long bytes = (long)_lengths[last] * _kv.HeadSize * _elementSize;
            long headStride = (long)MaxLength * _kv.HeadSize * _elementSize;
            for (int layer = 0; layer < _kv.Layers; layer++)
            {
                CopyRow(_keys[layer], last, row, bytes, headStride);
                CopyRow(_values[layer], last, row, bytes, headStride);
            }
            _memory.FinishCopies();
            _lengths[row] = _lengths[last];
        }
        _lengths[last] = 0;
        Count--;
    }

    private void CopyRow(NativeBuffer buffer, int from, int to, long bytes, long headStride)
    {
        for (int h = 0; h < _kv.KvHeads; h++)
        {
            var src = buffer.Pointer + (nint)(from * _rowElements * _elementSize + h * headStride);
            var dst = buffer.Pointer + (nint)(to * _rowElements * _elementSize + h * headStride);
            _memory.CopyKv(dst, src, bytes);
        }
    }

    private OrtValue RowView(NativeBuffer buffer, int firstRow, int rows) =>
        OrtValue.CreateTensorValueWithData(_memory.KvInfo, _kvType, [rows, _kv.KvHeads, MaxLength, _kv.HeadSize],
            buffer.Pointer + (nint)(firstRow * _rowElements * _elementSize), rows * _rowElements * _elementSize);

    public void Dispose()
    {
        foreach (var w in _workers) w.Dispose();
        foreach (var s in _steps) s?.Dispose();
        foreach (var slices in _sliceSteps)
            foreach (var s in slices ?? []) s.Dispose();
        foreach (var b in _keys) b.Dispose();
        foreach (var b in _values) b.Dispose();
        _ids.Dispose();
        _seqlens.Dispose();
        _total.Dispose();
        _logits.Dispose();
        _memory.Dispose();
        _runOptions.Dispose();
    }

    /// <summary>Everything bound for a decode step of rows [first, first + n).</summary>
    private OwnedBinding StepBinding(int first, int n)
    {
        var b = new OwnedBinding(_session);
        var cpu = _cpu;
        b.Bind(true, "input_ids", OrtValue.CreateTensorValueWithData(cpu, TensorElementType.Int64, [n, 1], _ids.Pointer + first * 8, n * 8L));
        b.Bind(true, "seqlens_k", OrtValue.CreateTensorValueWithData(cpu, TensorElementType.Int32, [n], _seqlens.Pointer + first * 4, n * 4L));
        b.Bind(true, "total_sequence_length", OrtValue.CreateTensorValueWithData(cpu, TensorElementType.Int32, [], _total.Pointer, 4));
        for (int layer = 0; layer < _kv.Layers; layer++)
        {
            var k = b.Own(RowView(_keys[layer], first, n));
            var v = b.Own(RowView(_values[layer], first, n));
            b.Binding.BindInput(KvCacheLayout.Format(_kv.PastKey, layer), k);
            b.Binding.BindInput(KvCacheLayout.Format(_kv.PastValue, layer), v);
            b.Binding.BindOutput(KvCacheLayout.Format(_kv.PresentKey, layer), k);
            b.Binding.BindOutput(KvCacheLayout.Format(_kv.PresentValue, layer), v);
        }
        b.Bind(false, "logits", OrtValue.CreateTensorValueWithData(cpu, TensorElementType.Float, [n, 1, _vocab],
            _logits.Pointer + (nint)((long)first * _vocab * 4), (long)n * _vocab * 4));
        return b;
    }
}
