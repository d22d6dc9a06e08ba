using System.Buffers.Binary;

namespace MusicGen.Server.LoadTest;

/// <summary>
/// The bad primers the soak sends (issue 16's table): damaged files a strict reader refuses, and files over the input
/// limits. Built in memory from one small valid file, so the corpus needs no data folder.
/// </summary>
internal static class SoakCorpus
{
    /// <summary>A valid format-0 file at 96 ticks per quarter: four quarter notes (pitches 60-63).</summary>
    public static byte[] Valid()
    {
        var track = new List<byte>();
        for (int i = 0; i < 4; i++)
        {
            track.AddRange([0x00, 0x90, (byte)(60 + i), 80]);
            track.AddRange([0x60, 0x80, (byte)(60 + i), 0]);
        }
        track.AddRange([0x00, 0xFF, 0x2F, 0x00]);
        return File(96, 1, [.. track]);
    }

    /// <summary>Every case by name: the bytes and what the service should answer (always a 400).</summary>
    public static IReadOnlyList<(string Name, byte[] Bytes)> Cases()
    {
        var good = Valid();
        return
        [
            ("empty", []),
            ("truncated", good[..(good.Length - 7)]),
            ("header-only", good[..14]),
            ("track-length-7fffffff", With32(good, 18, 0x7FFFFFFF)),
            ("more-tracks-than-present", With16(good, 10, 3)),
            ("not-midi", "hello, this is not a MIDI file"u8.ToArray()),
            // One note 0x0FFFFFFF ticks long at 1 tick per quarter (grew the chorale tokenizer to 3.2 GB): MaxTicks.
            ("one-note-0x0FFFFFFF-ticks", File(1, 1, [0x00, 0x90, 60, 100, 0xFF, 0xFF, 0xFF, 0x7F, 0x80, 60, 0, 0x00, 0xFF, 0x2F, 0x00])),
            // One note 50 M ticks long at 1 tick per quarter: within MaxTicks, 50 M quarters on any grid: MaxFrames.
            ("one-note-50M-quarters", File(1, 1, [0x00, 0x90, 60, 100, 0x97, 0xEB, 0xE1, 0x00, 0x80, 60, 0, 0x00, 0xFF, 0x2F, 0x00])),
            ("100001-notes", ManyNotes(100_001)),
        ];
    }

    private static byte[] ManyNotes(int notes)
    {
        // Running status: a Note On then a velocity-0 Note On per note, 4 bytes each after the first status.
        var track = new byte[notes * 8 + 8];
        int at = 0;
        track[at++] = 0x00;
        track[at++] = 0x90;
        for (int i = 0; i < notes; i++)
        {
            if (i > 0) track[at++] = 0x00;
            track[at++] = (byte)(48 + i % 24);
            track[at++] = 80;
            track[at++] = 0x01;
            track[at++] = (byte)(48 + i % 24);
            track[at++] = 0;
        }
        track[at++] = 0x00;
        track[at++] = 0xFF;
        track[at++] = 0x2F;
        track[at++] = 0x00;
        return File(96, 1, track[..at]);
    }

    private static byte[] File(int division, int tracks, byte[] track)
    {
        var b = new byte[22 + track.Length];
        "MThd"u8.CopyTo(b);
        BinaryPrimitives.WriteUInt32BigEndian(b.AsSpan(4), 6);
        BinaryPrimitives.WriteUInt16BigEndian(b.AsSpan(8), 0);
        BinaryPrimitives.WriteUInt16BigEndian(b.AsSpan(10), (ushort)tracks);
        BinaryPrimitives.WriteUInt16BigEndian(b.AsSpan(12), (ushort)division);
        "MTrk"u8.CopyTo(b.AsSpan(14));
        BinaryPrimitives.WriteUInt32BigEndian(b.AsSpan(18), (uint)track.Length);
        track.CopyTo(b, 22);
        return b;
    }

    private static byte[] With32(byte[] bytes, int at, uint value)
    {
        var c = (byte[])bytes.Clone();
        BinaryPrimitives.WriteUInt32BigEndian(c.AsSpan(at), value);
        return c;
    }

    private static byte[] With16(byte[] bytes, int at, ushort value)
    {
        var c = (byte[])bytes.Clone();
        BinaryPrimitives.WriteUInt16BigEndian(c.AsSpan(at), value);
        return c;
    }
}
