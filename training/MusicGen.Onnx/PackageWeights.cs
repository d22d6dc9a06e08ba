namespace MusicGen.Onnx;

/// <summary>
/// The package weights file being written (<see cref="FileName"/>): the fp32 initializers of the graphs that share
/// weights, each stored once by name, which the graphs reference as ONNX external data (<c>data_location</c> EXTERNAL,
/// <c>external_data</c> location/offset/length). A name seen again must come with the same dimensions and the same
/// bytes, or <see cref="Add"/> throws: one name is one tensor in a package. Offsets are aligned to
/// <see cref="Alignment"/> bytes (<see cref="LargeAlignment"/> for tensors of at least <see cref="LargeTensorBytes"/>,
/// a page, so ONNX Runtime may map them); tensors of fewer than <see cref="MinValues"/> values (the graphs' scalar
/// constants) stay inline.
/// </summary>
public sealed class PackageWeights
{
    /// <summary>File name of the weights file inside a package folder.</summary>
    public const string FileName = "model.weights";
    /// <summary>Smallest fp32 tensor (values) stored in the weights file; smaller ones stay in the graph.</summary>
    public const int MinValues = 16;
    /// <summary>Alignment of every tensor's offset.</summary>
    public const int Alignment = 64;
    /// <summary>Alignment of the offsets of large tensors.</summary>
    public const int LargeAlignment = 4096;
    /// <summary>Size from which a tensor counts as large.</summary>
    public const int LargeTensorBytes = 64 * 1024;

    private readonly Dictionary<string, Stored> _tensors = new(StringComparer.Ordinal);
    private readonly List<Stored> _order = [];
    private long _length;

    /// <summary>Number of distinct tensors stored.</summary>
    public int Count => _order.Count;

    /// <summary>Length of the file in bytes once written.</summary>
    public long Length => _length;

    /// <summary>True when a tensor of this type and value count goes into the weights file.</summary>
    public static bool Stores(OnnxDataType type, long values) => type == OnnxDataType.Float && values >= MinValues;

    /// <summary>
    /// Stores the tensor (or finds it stored) and returns its place in the file. <paramref name="graph"/> names the
    /// graph asking, for the error when the name is already stored with other dimensions or bytes.
    /// </summary>
    /// <exception cref="InvalidOperationException">The name is stored with other dimensions or other bytes.</exception>
    public (long Offset, long Length) Add(string name, long[] dims, byte[] raw, string graph)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(dims);
        ArgumentNullException.ThrowIfNull(raw);
        if (_tensors.TryGetValue(name, out var s))
        {
            if (!s.Dims.AsSpan().SequenceEqual(dims))
                throw new InvalidOperationException(
                    $"{FileName}: initializer '{name}' is [{string.Join(", ", s.Dims)}] in graph '{s.Graph}' but [{string.Join(", ", dims)}] in graph '{graph}'; one name must be one tensor in a package.");
            if (!s.Raw.AsSpan().SequenceEqual(raw))
                throw new InvalidOperationException(
                    $"{FileName}: initializer '{name}' has other values in graph '{graph}' than in graph '{s.Graph}'; one name must be one tensor in a package.");
            return (s.Offset, s.Raw.Length);
        }
        int align = raw.Length >= LargeTensorBytes ? LargeAlignment : Alignment;
        long offset = (_length + align - 1) / align * align;
        s = new Stored(name, dims.ToArray(), raw, graph, offset);
        _tensors.Add(name, s);
        _order.Add(s);
        _length = offset + raw.Length;
        return (offset, raw.Length);
    }

    /// <summary>Writes the file (zero padding between tensors).</summary>
    public void Write(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        using var f = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None);
        f.SetLength(_length);
        foreach (var s in _order)
        {
            f.Position = s.Offset;
            f.Write(s.Raw);
        }
    }

    private sealed record Stored(string Name, long[] Dims, byte[] Raw, string Graph, long Offset);
}
