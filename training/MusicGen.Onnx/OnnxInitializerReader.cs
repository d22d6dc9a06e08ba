using System.Buffers.Binary;
using System.Text;

namespace MusicGen.Onnx;

/// <summary>
/// Reads the float32 initializers of an ONNX model (ModelProto.graph.initializer) with a minimal protocol-buffers
/// decoder: the inverse of <see cref="OnnxGraphBuilder"/> for weights. Tensors stored as <c>raw_data</c> or
/// <c>float_data</c> are read; initializers of other types (int64 constants, fp16, packed int8) are skipped;
/// external data is refused.
/// </summary>
public static class OnnxInitializerReader
{
    private const int FloatType = 1;

    /// <summary>Every float32 initializer of the model file at <paramref name="path"/>, by name.</summary>
    public static Dictionary<string, (float[] Data, long[] Dims)> ReadFloat(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!File.Exists(path)) throw new FileNotFoundException($"ONNX model {path} does not exist", path);
        try
        {
            return ReadFloat(File.ReadAllBytes(path));
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"{path}: {e.Message}", e);
        }
    }

    /// <summary>Every float32 initializer of a serialized ModelProto, by name.</summary>
    public static Dictionary<string, (float[] Data, long[] Dims)> ReadFloat(ReadOnlySpan<byte> model)
    {
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("The ONNX reader needs a little-endian machine.");
        var result = new Dictionary<string, (float[], long[])>(StringComparer.Ordinal);
        var graph = ReadOnlySpan<byte>.Empty;
        bool found = false;
        for (var r = new Reader(model); !r.End;)
        {
            var (field, wire) = r.Tag();
            if (field == 7 && wire == 2) { graph = r.Bytes(); found = true; }
            else r.Skip(wire);
        }
        if (!found) throw new InvalidDataException("not an ONNX model: no graph");
        for (var r = new Reader(graph); !r.End;)
        {
            var (field, wire) = r.Tag();
            if (field == 5 && wire == 2)
            {
                var t = ReadTensor(r.Bytes());
                if (t is { } v)
                {
                    if (!result.TryAdd(v.Name, (v.Data, v.Dims))) throw new InvalidDataException($"initializer '{v.Name}' appears twice");
                }
            }
            else r.Skip(wire);
        }
        return result;
    }

    private static (string Name, float[] Data, long[] Dims)? ReadTensor(ReadOnlySpan<byte> tensor)
    {
        var dims = new List<long>();
        long type = 0;
        string name = "";
        var raw = ReadOnlySpan<byte>.Empty;
        bool hasRaw = false, external = false;
        var floats = new List<float>();
        for (var r = new Reader(tensor); !r.End;)
        {
            var (field, wire) = r.Tag();
            switch (field, wire)
            {
                case (1, 0): dims.Add((long)r.Varint()); break;
                case (1, 2):
                    for (var p = new Reader(r.Bytes()); !p.End;) dims.Add((long)p.Varint());
                    break;
                case (2, 0): type = (long)r.Varint(); break;
                case (4, 5): floats.Add(BitConverter.Int32BitsToSingle((int)r.Fixed32())); break;
                case (4, 2):
                    for (var p = new Reader(r.Bytes()); !p.End;) floats.Add(BitConverter.Int32BitsToSingle((int)p.Fixed32()));
                    break;
                case (8, 2): name = Encoding.UTF8.GetString(r.Bytes()); break;
                case (9, 2): raw = r.Bytes(); hasRaw = true; break;
                case (13, 2): r.Bytes(); external = true; break;
                default: r.Skip(wire); break;
            }
        }
        if (type != FloatType) return null;
        if (external) throw new InvalidDataException($"initializer '{name}' uses external data, which this reader does not support");
        long count = 1;
        foreach (var d in dims)
        {
            if (d < 0) throw new InvalidDataException($"initializer '{name}' has a negative dimension");
            count *= d;
        }
        float[] data;
        if (hasRaw)
        {
            if (raw.Length != count * 4) throw new InvalidDataException($"initializer '{name}': {raw.Length} bytes of raw data for {count} floats");
            data = new float[count];
            raw.CopyTo(System.Runtime.InteropServices.MemoryMarshal.AsBytes(data.AsSpan()));
        }
        else
        {
            if (floats.Count != count) throw new InvalidDataException($"initializer '{name}': {floats.Count} float values for {count}");
            data = floats.ToArray();
        }
        return (name, data, dims.ToArray());
    }

    /// <summary>A cursor over protobuf wire data.</summary>
    private ref struct Reader(ReadOnlySpan<byte> data)
    {
        private readonly ReadOnlySpan<byte> _data = data;
        private int _at;

        public readonly bool End => _at >= _data.Length;

        public ulong Varint()
        {
            ulong v = 0;
            for (int shift = 0; shift < 64; shift += 7)
            {
                if (_at >= _data.Length) throw new InvalidDataException("truncated varint");
                byte b = _data[_at++];
                v |= (ulong)(b & 0x7F) << shift;
                if (b < 0x80) return v;
            }
            throw new InvalidDataException("varint longer than 10 bytes");
        }

        public (int Field, int Wire) Tag()
        {
            var t = Varint();
            return ((int)(t >> 3), (int)(t & 7));
        }

        public uint Fixed32()
        {
            if (_at + 4 > _data.Length) throw new InvalidDataException("truncated fixed32");
            var v = BinaryPrimitives.ReadUInt32LittleEndian(_data[_at..]);
            _at += 4;
            return v;
        }

        public ReadOnlySpan<byte> Bytes()
        {
            var n = Varint();
            if (n > (ulong)(_data.Length - _at)) throw new InvalidDataException("truncated length-delimited field");
            var s = _data.Slice(_at, (int)n);
            _at += (int)n;
            return s;
        }

        public void Skip(int wire)
        {
            switch (wire)
            {
                case 0: Varint(); break;
                case 1: if (_at + 8 > _data.Length) throw new InvalidDataException("truncated fixed64"); _at += 8; break;
                case 2: Bytes(); break;
                case 5: Fixed32(); break;
                default: throw new InvalidDataException($"unsupported protobuf wire type {wire}");
            }
        }
    }
}
