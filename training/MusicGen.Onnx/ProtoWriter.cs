using System.Buffers.Binary;
using System.Text;

namespace MusicGen.Onnx;

/// <summary>
/// A minimal protocol-buffers encoder: varints, 32-bit floats and length-delimited fields, enough for the subset of
/// onnx.proto we write. Nested messages are encoded into their own writer and copied in with a length prefix.
/// </summary>
internal sealed class ProtoWriter
{
    private const int WireVarint = 0;
    private const int WireFixed32 = 5;
    private const int WireLengthDelimited = 2;

    private byte[] _buffer;
    private int _length;

    public ProtoWriter(int capacity = 256) => _buffer = new byte[Math.Max(16, capacity)];

    public int Length => _length;

    public ReadOnlySpan<byte> WrittenSpan => _buffer.AsSpan(0, _length);

    public byte[] ToArray() => _buffer.AsSpan(0, _length).ToArray();

    private void Ensure(int extra)
    {
        long need = (long)_length + extra;
        if (need <= _buffer.Length) return;
        if (need > Array.MaxLength) throw new InvalidOperationException("ONNX model exceeds 2 GB; external data is not supported by this writer.");
        long size = Math.Max(need, Math.Min((long)_buffer.Length * 2, Array.MaxLength));
        Array.Resize(ref _buffer, (int)size);
    }

    private void RawVarint(ulong value)
    {
        Ensure(10);
        while (value >= 0x80)
        {
            _buffer[_length++] = (byte)(value | 0x80);
            value >>= 7;
        }
        _buffer[_length++] = (byte)value;
    }

    private void Tag(int field, int wireType) => RawVarint(((ulong)(uint)field << 3) | (uint)wireType);

    /// <summary>int32/int64/enum field (negative values use ten bytes, as protobuf specifies).</summary>
    public void Int64(int field, long value)
    {
        Tag(field, WireVarint);
        RawVarint(unchecked((ulong)value));
    }

    public void Float(int field, float value)
    {
        Tag(field, WireFixed32);
        Ensure(4);
        BinaryPrimitives.WriteSingleLittleEndian(_buffer.AsSpan(_length), value);
        _length += 4;
    }

    public void Bytes(int field, ReadOnlySpan<byte> value)
    {
        Tag(field, WireLengthDelimited);
        RawVarint((ulong)value.Length);
        Ensure(value.Length);
        value.CopyTo(_buffer.AsSpan(_length));
        _length += value.Length;
    }

    public void String(int field, string value) => Bytes(field, Encoding.UTF8.GetBytes(value));

    public void Message(int field, ProtoWriter message) => Bytes(field, message.WrittenSpan);

    /// <summary>Packed repeated int64 (proto3 default for repeated scalars).</summary>
    public void PackedInt64(int field, ReadOnlySpan<long> values)
    {
        var inner = new ProtoWriter(values.Length * 2 + 8);
        foreach (var v in values) inner.RawVarint(unchecked((ulong)v));
        Message(field, inner);
    }

    /// <summary>Packed repeated float.</summary>
    public void PackedFloat(int field, ReadOnlySpan<float> values)
    {
        Tag(field, WireLengthDelimited);
        RawVarint((ulong)values.Length * 4);
        Ensure(values.Length * 4);
        foreach (var v in values)
        {
            BinaryPrimitives.WriteSingleLittleEndian(_buffer.AsSpan(_length), v);
            _length += 4;
        }
    }
}
