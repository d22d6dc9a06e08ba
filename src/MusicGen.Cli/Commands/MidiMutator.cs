using System.Buffers.Binary;

namespace MusicGen.Cli.Commands;

/// <summary>Random corruptions of MIDI bytes for fuzzing the reader: bit flips, byte inserts and deletes,
/// truncation, chunk-length corruption, status-byte and long-quantity injection.</summary>
internal static class MidiMutator
{
    /// <summary>Names of the mutation kinds, by index.</summary>
    public static readonly string[] Kinds = ["bit-flip", "insert", "delete", "truncate", "chunk-length", "status-byte", "long-vlq"];

    /// <summary>A mutated copy of <paramref name="source"/>; <paramref name="kind"/> receives the kind index.</summary>
    public static byte[] Mutate(ReadOnlySpan<byte> source, Random rng, out int kind)
    {
        kind = rng.Next(Kinds.Length);
        int n = source.Length;
        switch (kind)
        {
            case 0:
            {
                var b = source.ToArray();
                int flips = 1 + rng.Next(8);
                for (int i = 0; i < flips && n > 0; i++) b[rng.Next(n)] ^= (byte)(1 << rng.Next(8));
                return b;
            }
            case 1:
            {
                int at = rng.Next(n + 1), count = 1 + rng.Next(16);
                var b = new byte[n + count];
                source[..at].CopyTo(b);
                rng.NextBytes(b.AsSpan(at, count));
                source[at..].CopyTo(b.AsSpan(at + count));
                return b;
            }
            case 2:
            {
                if (n == 0) return [];
                int at = rng.Next(n), count = Math.Min(n - at, 1 + rng.Next(16));
                var b = new byte[n - count];
                source[..at].CopyTo(b);
                source[(at + count)..].CopyTo(b.AsSpan(at));
                return b;
            }
            case 3:
                return source[..rng.Next(n + 1)].ToArray();
            case 4:
            {
                var b = source.ToArray();
                var chunks = new List<int>();
                for (int i = 0; i + 8 <= n; i++)
                    if (b[i] == (byte)'M' && b[i + 1] == (byte)'T' && (b[i + 2] == (byte)'r' || b[i + 2] == (byte)'h')) chunks.Add(i + 4);
                if (chunks.Count == 0) return b;
                int at = chunks[rng.Next(chunks.Count)];
                uint old = BinaryPrimitives.ReadUInt32BigEndian(b.AsSpan(at));
                uint value = rng.Next(3) switch
                {
                    0 => (uint)rng.NextInt64(0, 1L << 32),
                    1 => (uint)(old + rng.Next(-64, 65)),
                    _ => old ^ (1u << rng.Next(32)),
                };
                BinaryPrimitives.WriteUInt32BigEndian(b.AsSpan(at), value);
                return b;
            }
            case 5:
            {
                var b = source.ToArray();
                int count = 1 + rng.Next(4);
                for (int i = 0; i < count && n > 0; i++) b[rng.Next(n)] = rng.Next(4) == 0 ? (byte)0xFF : (byte)rng.Next(0x80, 0x100);
                return b;
            }
            default:
            {
                int at = rng.Next(n + 1), count = 1 + rng.Next(6);
                var b = new byte[n + count];
                source[..at].CopyTo(b);
                b.AsSpan(at, count).Fill(0xFF);
                source[at..].CopyTo(b.AsSpan(at + count));
                return b;
            }
        }
    }
}
