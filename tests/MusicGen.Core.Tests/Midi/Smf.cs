using System.Buffers.Binary;
using System.Text;

namespace MusicGen.Core.Tests.Midi;

/// <summary>Builds raw Standard MIDI File bytes by hand, independently of the writer under test.</summary>
internal static class Smf
{
    public static byte[] Header(int format, int tracks, int division, int length = 6)
    {
        var b = new byte[8 + length];
        Encoding.ASCII.GetBytes("MThd").CopyTo(b, 0);
        BinaryPrimitives.WriteUInt32BigEndian(b.AsSpan(4), (uint)length);
        BinaryPrimitives.WriteUInt16BigEndian(b.AsSpan(8), (ushort)format);
        BinaryPrimitives.WriteUInt16BigEndian(b.AsSpan(10), (ushort)tracks);
        BinaryPrimitives.WriteUInt16BigEndian(b.AsSpan(12), (ushort)division);
        return b;
    }

    public static byte[] Chunk(string id, byte[] body, long? declaredLength = null)
    {
        var b = new byte[8 + body.Length];
        Encoding.ASCII.GetBytes(id).CopyTo(b, 0);
        BinaryPrimitives.WriteUInt32BigEndian(b.AsSpan(4), (uint)(declaredLength ?? body.Length));
        body.CopyTo(b, 8);
        return b;
    }

    public static byte[] Track(params byte[] body) => Chunk("MTrk", body);

    public static byte[] File(int format, int division, params byte[][] trackBodies)
    {
        var parts = new List<byte[]> { Header(format, trackBodies.Length, division) };
        foreach (var t in trackBodies) parts.Add(Track(t));
        return Cat([.. parts]);
    }

    /// <summary>A format-0 file at 96 ticks per quarter holding one track with <paramref name="body"/>.</summary>
    public static byte[] Single(params byte[] body) => File(0, 96, body);

    public static byte[] Cat(params byte[][] parts) => parts.SelectMany(p => p).ToArray();

    public static readonly byte[] EndOfTrack = [0x00, 0xFF, 0x2F, 0x00];

    public static byte[] Vlq(uint value)
    {
        var bytes = new List<byte> { (byte)(value & 0x7F) };
        while ((value >>= 7) != 0) bytes.Insert(0, (byte)(0x80 | (value & 0x7F)));
        return [.. bytes];
    }
}
