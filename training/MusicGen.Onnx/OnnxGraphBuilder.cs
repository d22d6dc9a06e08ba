using System.Globalization;
using System.Runtime.InteropServices;

namespace MusicGen.Onnx;

/// <summary>
/// Builds one ONNX graph node by node (in topological order) and serializes it as a ModelProto. Names are checked as
/// they are added: every node input must already exist (graph input, initializer or an earlier node's output) and
/// every name is produced once, so a built model is well formed by construction.
/// </summary>
public sealed class OnnxGraphBuilder
{
    private readonly string _graphName;
    private readonly List<ValueInfo> _inputs = [];
    private readonly List<ValueInfo> _outputs = [];
    private readonly List<Tensor> _initializers = [];
    private readonly List<NodeDef> _nodes = [];
    private readonly HashSet<string> _defined = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _counters = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _opsets = new(StringComparer.Ordinal) { [""] = 21 };
    private readonly List<KeyValuePair<string, string>> _metadata = [];

    /// <summary>Creates an empty graph with the default ONNX opset 21.</summary>
    public OnnxGraphBuilder(string graphName)
    {
        ArgumentException.ThrowIfNullOrEmpty(graphName);
        _graphName = graphName;
    }

    /// <summary>IR version written into the model (10 by default; ONNX Runtime 1.31 reads it).</summary>
    public int IrVersion { get; set; } = 10;

    /// <summary>Producer name written into the model.</summary>
    public string ProducerName { get; set; } = "musicgen";

    /// <summary>Number of nodes so far.</summary>
    public int NodeCount => _nodes.Count;

    /// <summary>Declares (or changes) the opset version of a domain ("" is the default ONNX domain).</summary>
    public void UseOpset(string domain, int version) => _opsets[domain] = version;

    /// <summary>Adds a metadata_props entry.</summary>
    public void AddMetadata(string key, string value) => _metadata.Add(new(key, value));

    /// <summary>Declares a graph input. Dimensions are <see cref="int"/>/<see cref="long"/> (fixed) or <see cref="string"/> (symbolic).</summary>
    public string Input(string name, OnnxDataType type, params object[] dims)
    {
        Define(name);
        _inputs.Add(new ValueInfo(name, type, CheckDims(name, dims)));
        return name;
    }

    /// <summary>Declares a graph output; it must name a value that already exists.</summary>
    public void Output(string name, OnnxDataType type, params object[] dims)
    {
        if (!_defined.Contains(name)) throw new InvalidOperationException($"Graph output '{name}' is not produced by any node.");
        _outputs.Add(new ValueInfo(name, type, CheckDims(name, dims)));
    }

    /// <summary>Adds a float32 initializer (data row-major, length = product of dims).</summary>
    public string Initializer(string name, ReadOnlySpan<float> data, params long[] dims) =>
        AddTensor(name, OnnxDataType.Float, dims, data.Length, MemoryMarshal.AsBytes(data));

    /// <summary>Adds a float16 initializer converted from float32 values (round to nearest even).</summary>
    public string InitializerFloat16(string name, ReadOnlySpan<float> data, params long[] dims)
    {
        var halves = new ushort[data.Length];
        for (int i = 0; i < data.Length; i++) halves[i] = BitConverter.HalfToUInt16Bits((Half)data[i]);
        return AddTensor(name, OnnxDataType.Float16, dims, data.Length, MemoryMarshal.AsBytes(halves.AsSpan()));
    }

    /// <summary>Adds a float initializer in the given precision (Float or Float16).</summary>
    public string Initializer(string name, OnnxDataType type, ReadOnlySpan<float> data, params long[] dims) => type switch
    {
        OnnxDataType.Float => Initializer(name, data, dims),
        OnnxDataType.Float16 => InitializerFloat16(name, data, dims),
        _ => throw new ArgumentException($"Initializer '{name}': {type} is not a floating-point type.", nameof(type)),
    };

    /// <summary>Adds an int64 initializer.</summary>
    public string Initializer(string name, ReadOnlySpan<long> data, params long[] dims) =>
        AddTensor(name, OnnxDataType.Int64, dims, data.Length, MemoryMarshal.AsBytes(data));

    /// <summary>Adds an int32 initializer.</summary>
    public string Initializer(string name, ReadOnlySpan<int> data, params long[] dims) =>
        AddTensor(name, OnnxDataType.Int32, dims, data.Length, MemoryMarshal.AsBytes(data));

    /// <summary>Adds a uint8 initializer (packed quantized weights).</summary>
    public string Initializer(string name, ReadOnlySpan<byte> data, params long[] dims) =>
        AddTensor(name, OnnxDataType.UInt8, dims, data.Length, data);

    /// <summary>A 1-D int64 constant (as an initializer with a fresh name).</summary>
    public string ConstInt64(params long[] values) => Initializer(Fresh("const_i64"), values, values.Length);

    /// <summary>A scalar int64 constant.</summary>
    public string ScalarInt64(long value) => Initializer(Fresh("const_i64"), [value]);

    /// <summary>A scalar constant of a float type.</summary>
    public string ScalarFloat(float value, OnnxDataType type = OnnxDataType.Float) => Initializer(Fresh("const_f"), type, [value]);

    /// <summary>A fresh unique value name with a prefix.</summary>
    public string Fresh(string prefix)
    {
        _counters.TryGetValue(prefix, out int n);
        string name;
        do
        {
            name = string.Create(CultureInfo.InvariantCulture, $"{prefix}_{n++}");
        }
        while (_defined.Contains(name));
        _counters[prefix] = n;
        return name;
    }

    /// <summary>
    /// Adds a node with explicit output names (an empty output name leaves that optional output unused; an empty
    /// input name leaves that optional input absent). Attributes: int/long, float, string, int[]/long[], float[].
    /// </summary>
    public void Node(string opType, string[] inputs, string[] outputs, string domain = "", params (string Name, object Value)[] attributes)
    {
        ArgumentException.ThrowIfNullOrEmpty(opType);
        foreach (var i in inputs)
            if (i.Length > 0 && !_defined.Contains(i))
                throw new InvalidOperationException($"Node {opType}: input '{i}' is not defined before it is used.");
        foreach (var o in outputs)
            if (o.Length > 0) Define(o);
        if (!_opsets.ContainsKey(domain)) throw new InvalidOperationException($"Node {opType}: domain '{domain}' has no opset (call UseOpset first).");
        foreach (var (n, v) in attributes) _ = AttributeKind(opType, n, v);
        _nodes.Add(new NodeDef(opType, domain, Fresh("n_" + opType), inputs, outputs, attributes));
    }

    /// <summary>Adds a single-output node and returns its (fresh) output name.</summary>
    public string Op(string opType, string[] inputs, params (string Name, object Value)[] attributes)
    {
        var output = Fresh(opType);
        Node(opType, inputs, [output], "", attributes);
        return output;
    }

    /// <summary>Adds a single-output node with no attributes.</summary>
    public string Op(string opType, params string[] inputs) => Op(opType, inputs, []);

    /// <summary>Serializes the model (ModelProto bytes), every initializer inline.</summary>
    public byte[] ToModelBytes() => ToModelBytes(null);

    /// <summary>
    /// Serializes the model (ModelProto bytes). With <paramref name="weights"/>, the fp32 initializers it stores
    /// (<see cref="PackageWeights.Stores"/>) go there and the graph references them as external data in
    /// <see cref="PackageWeights.FileName"/> beside it; the others stay inline.
    /// </summary>
    /// <exception cref="InvalidOperationException">A stored name already holds another tensor in <paramref name="weights"/>.</exception>
    public byte[] ToModelBytes(PackageWeights? weights)
    {
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("The ONNX writer needs a little-endian machine.");
        if (_outputs.Count == 0) throw new InvalidOperationException($"Graph '{_graphName}' has no outputs.");
        var graph = new ProtoWriter(1 << 16);
        foreach (var n in _nodes) graph.Message(1, EncodeNode(n));
        graph.String(2, _graphName);
        foreach (var t in _initializers) graph.Message(5, EncodeTensor(t, weights, _graphName));
        foreach (var v in _inputs) graph.Message(11, EncodeValueInfo(v));
        foreach (var v in _outputs) graph.Message(12, EncodeValueInfo(v));

        var model = new ProtoWriter(graph.Length + 1024);
        model.Int64(1, IrVersion);
        model.String(2, ProducerName);
        model.String(3, "1");
        model.Message(7, graph);
        foreach (var (domain, version) in _opsets.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            var opset = new ProtoWriter();
            if (domain.Length > 0) opset.String(1, domain);
            opset.Int64(2, version);
            model.Message(8, opset);
        }
        foreach (var (k, v) in _metadata)
        {
            var entry = new ProtoWriter();
            entry.String(1, k);
            entry.String(2, v);
            model.Message(14, entry);
        }
        return model.ToArray();
    }

    private void Define(string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        if (!_defined.Add(name)) throw new InvalidOperationException($"Value '{name}' is produced twice in graph '{_graphName}'.");
    }

    private static object[] CheckDims(string name, object[] dims)
    {
        foreach (var d in dims)
            if (d is not (int or long or string))
                throw new ArgumentException($"'{name}': a dimension must be int, long or string, not {d?.GetType().Name ?? "null"}.", nameof(dims));
        return dims;
    }

    private string AddTensor(string name, OnnxDataType type, long[] dims, int count, ReadOnlySpan<byte> raw)
    {
        long product = 1;
        foreach (var d in dims) product *= d;
        if (product != count)
            throw new ArgumentException($"Initializer '{name}': {count} values do not fill dims [{string.Join(", ", dims)}].");
        Define(name);
        _initializers.Add(new Tensor(name, type, dims, raw.ToArray()));
        return name;
    }

    private static int AttributeKind(string op, string name, object value) => value switch
    {
        float => 1,
        int or long => 2,
        string => 3,
        float[] => 6,
        int[] or long[] => 7,
        _ => throw new ArgumentException($"Node {op}: attribute '{name}' has unsupported type {value?.GetType().Name ?? "null"}."),
    };

    private static ProtoWriter EncodeNode(NodeDef n)
    {
        var w = new ProtoWriter();
        foreach (var i in n.Inputs) w.String(1, i);
        foreach (var o in n.Outputs) w.String(2, o);
        w.String(3, n.Name);
        w.String(4, n.OpType);
        foreach (var (name, value) in n.Attributes)
        {
            var a = new ProtoWriter();
            a.String(1, name);
            int kind = AttributeKind(n.OpType, name, value);
            switch (value)
            {
                case float f: a.Float(2, f); break;
                case int i: a.Int64(3, i); break;
                case long l: a.Int64(3, l); break;
                case string s: a.String(4, s); break;
                case float[] fs: a.PackedFloat(7, fs); break;
                case int[] ints: a.PackedInt64(8, ints.Select(x => (long)x).ToArray()); break;
                case long[] longs: a.PackedInt64(8, longs); break;
            }
            a.Int64(20, kind);
            w.Message(5, a);
        }
        if (n.Domain.Length > 0) w.String(7, n.Domain);
        return w;
    }

    private static ProtoWriter EncodeTensor(Tensor t, PackageWeights? weights, string graphName)
    {
        bool external = weights is not null && PackageWeights.Stores(t.Type, t.Raw.Length / 4);
        var w = new ProtoWriter(external ? 256 : t.Raw.Length + 64);
        if (t.Dims.Length > 0) w.PackedInt64(1, t.Dims);
        w.Int64(2, (int)t.Type);
        w.String(8, t.Name);
        if (!external)
        {
            w.Bytes(9, t.Raw);
            return w;
        }
        var (offset, length) = weights!.Add(t.Name, t.Dims, t.Raw, graphName);
        foreach (var (key, value) in new[]
                 {
                     ("location", PackageWeights.FileName),
                     ("offset", offset.ToString(CultureInfo.InvariantCulture)),
                     ("length", length.ToString(CultureInfo.InvariantCulture)),
                 })
        {
            var entry = new ProtoWriter();
            entry.String(1, key);
            entry.String(2, value);
            w.Message(13, entry);
        }
        w.Int64(14, 1); // data_location = EXTERNAL
        return w;
    }

    private static ProtoWriter EncodeValueInfo(ValueInfo v)
    {
        var shape = new ProtoWriter();
        foreach (var d in v.Dims)
        {
            var dim = new ProtoWriter();
            switch (d)
            {
                case int i: dim.Int64(1, i); break;
                case long l: dim.Int64(1, l); break;
                case string s: dim.String(2, s); break;
            }
            shape.Message(1, dim);
        }
        var tensorType = new ProtoWriter();
        tensorType.Int64(1, (int)v.Type);
        tensorType.Message(2, shape);
        var type = new ProtoWriter();
        type.Message(1, tensorType);
        var w = new ProtoWriter();
        w.String(1, v.Name);
        w.Message(2, type);
        return w;
    }

    private sealed record ValueInfo(string Name, OnnxDataType Type, object[] Dims);

    private sealed record Tensor(string Name, OnnxDataType Type, long[] Dims, byte[] Raw);

    private sealed record NodeDef(string OpType, string Domain, string Name, string[] Inputs, string[] Outputs, (string Name, object Value)[] Attributes);
}
