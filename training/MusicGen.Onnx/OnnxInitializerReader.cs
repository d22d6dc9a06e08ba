using System.Buffers.Binary;
using System.Text;
using MusicGen.Core.Packaging;

namespace MusicGen.Onnx;

/// <summary>
/// Reads the float32 initializers of an ONNX model (ModelProto.graph.initializer) with a minimal protocol-buffers
/// decoder: the inverse of <see cref="OnnxGraphBuilder"/> for weights. Tensors stored as <c>raw_data</c> or
/// <c>float_data</c> are read, and so are tensors stored as external data (<c>data_location</c> EXTERNAL: a file beside
/// the model, e.g. a package's <see cref="PackageWeights.FileName"/>, at an offset and length) when the model is read
/// from its file; initializers of other types (int64 constants, fp16, packed int8) are skipped.
/// </summary>
public static class OnnxInitializerReader
{
    private const int FloatType = 1;

    /// <summary>Every float32 initializer of the model file at <paramref name="path"/>, by name; external data is read from files in the model's folder.</summary>
    public static Dictionary<string, (float[] Data, long[] Dims)> ReadFloat(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!File.Exists(path)) throw new FileNotFoundException($"ONNX model {path} does not exist", path);
        try
        {
            return Read(File.ReadAllBytes(path), new ExternalFiles(Path.GetDirectoryName(Path.GetFullPath(path))!));
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"{path}: {e.Message}", e);
        }
    }

    /// <summary>
    /// Every float32 initializer of a serialized ModelProto, by name. A tensor stored as external data is refused
    /// (<see cref="InvalidDataException"/>): read such a model from its file (<see cref="ReadFloat(string)"/>).
    /// </summary>
    public static Dictionary<string, (float[] Data, long[] Dims)> ReadFloat(ReadOnlySpan<byte> model) => Read(model, null);

    private static Dictionary<string, (float[] Data, long[] Dims)> Read(ReadOnlySpan<byte> model, ExternalFiles? external)
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
                var t = ReadTensor(r.Bytes(), external);
                if (t is { } v)
                {
                    if (!result.TryAdd(v.Name, (v.Data, v.Dims))) throw new InvalidDataException($"initializer '{v.Name}' appears twice");
                }
            }
            else r.Skip(wire);
        }
        return result;
    }

    private static (string Name, float[] Data, long[] Dims)? ReadTensor(ReadOnlySpan<byte> tensor, ExternalFiles? externalFiles)
    {
        var dims = new List<long>();
        long type = 0;
        string name = "";
        var raw = ReadOnlySpan<byte>.Empty;
        bool hasRaw = false, external = false;
        var externalData = new Dictionary<string, string>(StringComparer.Ordinal);
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
                case (13, 2): ReadEntry(r.Bytes(), externalData); break;
                case (14, 0): external = r.Varint() == 1; break;
                default: r.Skip(wire); break;
            }
        }
        if (type != FloatType) return null;
        if (external != externalData.Count > 0)
            throw new InvalidDataException($"initializer '{name}': data_location and external_data disagree");
        long count = 1;
        foreach (var d in dims)
        {
            if (d < 0) throw new InvalidDataException($"initializer '{name}' has a negative dimension");
            count *= d;
        }
        float[] data;
        if (external)
        {
            if (hasRaw || floats.Count > 0) throw new InvalidDataException($"initializer '{name}' has both external and inline data");
            if (externalFiles is null)
                throw new InvalidDataException($"initializer '{name}' is stored as external data: read the model from its file so the data beside it can be found");
            data = externalFiles.Read(name, externalData, count);
        }
        else if (hasRaw)
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

    private static void ReadEntry(ReadOnlySpan<byte> entry, Dictionary<string, string> into)
    {
        string key = "", value = "";
        for (var r = new Reader(entry); !r.End;)
        {
            var (field, wire) = r.Tag();
            if (field == 1 && wire == 2) key = Encoding.UTF8.GetString(r.Bytes());
            else if (field == 2 && wire == 2) value = Encoding.UTF8.GetString(r.Bytes());
            else r.Skip(wire);
        }
        into[key] = value;
    }

    /// <summary>The external data files of one model, read once each from the model's folder.</summary>
    private sealed class ExternalFiles(string folder)
    {
        private readonly Dictionary<string, byte[]> _files = new(StringComparer.Ordinal);

        public float[] Read(string name, Dictionary<string, string> entry, long count)
        {
            if (!entry.TryGetValue("location", out var location) || location.Length == 0)
                throw new InvalidDataException($"initializer '{name}': external data without a location");
            if (!ModelManifest.IsPlainFileName(location))
                throw new InvalidDataException($"initializer '{name}': external data location '{location}' is not a plain file name beside the model");
            long offset = Number(name, entry, "offset", 0);
            long length = Number(name, entry, "length", count * 4);
            if (length != count * 4) throw new InvalidDataException($"initializer '{name}': external data of {length} bytes for {count} floats");
            if (!_files.TryGetValue(location, out var bytes))
            {
                var path = Path.Combine(folder, location);
                if (!File.Exists(path)) throw new InvalidDataException($"initializer '{name}': external data file {path} does not exist");
                _files[location] = bytes = File.ReadAllBytes(path);
            }
            if (offset < 0 || offset + length > bytes.Length)
                throw new InvalidDataException($"initializer '{name}': external data at offset {offset}, length {length} lies beyond the {bytes.Length} bytes of {location}");
            var data = new float[count];
            bytes.AsSpan((int)offset, (int)length).CopyTo(System.Runtime.InteropServices.MemoryMarshal.AsBytes(data.AsSpan()));
            return data;
        }

        private static long Number(string name, Dictionary<string, string> entry, string key, long fallback)
        {
            if (!entry.TryGetValue(key, out var text)) return fallback;
            if (!long.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var v))
                throw new InvalidDataException($"initializer '{name}': external data {key} '{text}' is not a number");
            return v;
        }
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
