using System.Buffers.Binary;

namespace MusicGen.Audio;

/// <summary>Writes interleaved 16-bit PCM as a canonical 44-byte-header RIFF WAVE file.</summary>
internal static class WavWriter
{
    public const int HeaderBytes = 44;

    public static byte[] Write(short[] samples, int channels, int sampleRate)
    {
        long data = (long)samples.Length * 2;
        if (data > int.MaxValue - HeaderBytes) throw new InvalidOperationException($"{data} bytes of audio do not fit one WAV file in memory");
        var bytes = new byte[HeaderBytes + data];
        var s = bytes.AsSpan();
        "RIFF"u8.CopyTo(s);
        BinaryPrimitives.WriteUInt32LittleEndian(s[4..], (uint)(36 + data));
        "WAVE"u8.CopyTo(s[8..]);
        "fmt "u8.CopyTo(s[12..]);
        BinaryPrimitives.WriteUInt32LittleEndian(s[16..], 16);         // fmt chunk size
        BinaryPrimitives.WriteUInt16LittleEndian(s[20..], 1);          // PCM
        BinaryPrimitives.WriteUInt16LittleEndian(s[22..], (ushort)channels);
        BinaryPrimitives.WriteUInt32LittleEndian(s[24..], (uint)sampleRate);
        BinaryPrimitives.WriteUInt32LittleEndian(s[28..], (uint)(sampleRate * channels * 2)); // bytes per second
        BinaryPrimitives.WriteUInt16LittleEndian(s[32..], (ushort)(channels * 2));           // bytes per frame
        BinaryPrimitives.WriteUInt16LittleEndian(s[34..], 16);         // bits per sample
        "data"u8.CopyTo(s[36..]);
        BinaryPrimitives.WriteUInt32LittleEndian(s[40..], (uint)data);
        var body = s[HeaderBytes..];
        for (var i = 0; i < samples.Length; i++) BinaryPrimitives.WriteInt16LittleEndian(body[(2 * i)..], samples[i]);
        return bytes;
    }
}
