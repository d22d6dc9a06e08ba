using System.Buffers.Binary;

namespace MusicGen.Core.Midi;

/// <summary>Writes Standard MIDI Files: running status for channel messages (cancelled by SysEx and meta events),
/// End of Track always written exactly once at the end of each track. Deterministic: the same file gives the same bytes.</summary>
internal static class MidiWriter
{
    public static byte[] Write(MidiFile file)
    {
        if (file.Tracks.Count > 0xFFFF) throw new InvalidOperationException($"a MIDI file holds at most 65535 tracks, this one has {file.Tracks.Count}");
        var w = new ByteWriter(64 + file.Tracks.Count * 64);
        w.Bytes("MThd"u8);
        w.U32(6);
        w.U16(file.Format);
        w.U16(file.Tracks.Count);
        w.U16(file.Division);
        for (int t = 0; t < file.Tracks.Count; t++)
        {
            var events = file.Tracks[t].Events;
            w.Bytes("MTrk"u8);
            int lengthAt = w.Length;
            w.U32(0);
            long prev = 0, end = 0;
            int running = 0;
            for (int i = 0; i < events.Count; i++)
            {
                var e = events[i];
                if (e.Tick < prev)
                    throw new InvalidOperationException($"track {t}, event {i}: tick {e.Tick} comes before the previous event's tick {prev}; events must be sorted by tick");
                if (e.IsEndOfTrack)
                {
                    end = Math.Max(end, e.Tick);
                    continue;
                }
                w.Vlq(Delta(e.Tick - prev, t, i));
                prev = e.Tick;
                end = Math.Max(end, e.Tick);
                byte status = e.Status;
                if (status is >= 0x80 and < 0xF0)
                {
                    if (status != running) w.Byte(status);
                    running = status;
                    w.Byte(e.Data1);
                    if ((status & 0xE0) != 0xC0) w.Byte(e.Data2);
                }
                else if (status == 0xFF)
                {
                    w.Byte(0xFF);
                    w.Byte(e.Data1);
                    w.Vlq(PayloadLength(e, t, i));
                    w.Bytes(e.Data);
                    running = 0;
                }
                else if (status is 0xF0 or 0xF7)
                {
                    w.Byte(status);
                    w.Vlq(PayloadLength(e, t, i));
                    w.Bytes(e.Data);
                    running = 0;
                }
                else
                {
                    throw new InvalidOperationException($"track {t}, event {i}: status 0x{status:X2} cannot be written (a default MidiEvent?)");
                }
            }
            w.Vlq(Delta(end - prev, t, events.Count));
            w.Byte(0xFF);
            w.Byte(0x2F);
            w.Byte(0);
            w.PatchU32(lengthAt, (uint)(w.Length - lengthAt - 4));
        }
        return w.ToArray();
    }

    private static uint Delta(long delta, int track, int index) =>
        delta <= 0x0FFFFFFF ? (uint)delta : throw new InvalidOperationException($"track {track}, event {index}: delta time {delta} exceeds the MIDI maximum 268435455");

    private static uint PayloadLength(MidiEvent e, int track, int index) =>
        e.Data.Length <= 0x0FFFFFFF ? (uint)e.Data.Length : throw new InvalidOperationException($"track {track}, event {index}: payload too long");

    private sealed class ByteWriter(int capacity)
    {
        private byte[] _buf = new byte[Math.Max(capacity, 16)];

        public int Length { get; private set; }

        private Span<byte> Grow(int n)
        {
            if (Length + n > _buf.Length) Array.Resize(ref _buf, Math.Max(_buf.Length * 2, Length + n));
            var span = _buf.AsSpan(Length, n);
            Length += n;
            return span;
        }

        public void Byte(byte b) => Grow(1)[0] = b;
        public void Bytes(ReadOnlySpan<byte> b) => b.CopyTo(Grow(b.Length));
        public void U16(int v) => BinaryPrimitives.WriteUInt16BigEndian(Grow(2), (ushort)v);
        public void U32(uint v) => BinaryPrimitives.WriteUInt32BigEndian(Grow(4), v);
        public void PatchU32(int at, uint v) => BinaryPrimitives.WriteUInt32BigEndian(_buf.AsSpan(at, 4), v);

        public void Vlq(uint v)
        {
            if (v < 0x80) { Byte((byte)v); return; }
            Span<byte> tmp = stackalloc byte[4];
            int n = 0;
            do { tmp[n++] = (byte)(v & 0x7F); v >>= 7; } while (v != 0);
            for (int i = n - 1; i >= 0; i--) Byte(i == 0 ? tmp[i] : (byte)(tmp[i] | 0x80));
        }

        public byte[] ToArray() => _buf.AsSpan(0, Length).ToArray();
    }
}
