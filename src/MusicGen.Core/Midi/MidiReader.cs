using System.Buffers.Binary;

namespace MusicGen.Core.Midi;

/// <summary>
/// Span-based Standard MIDI File parser. Every loop advances the read position by at least one byte, nothing is
/// allocated from a declared length before checking that many bytes exist, and there is no recursion: a file of N
/// bytes costs O(N) time and memory.
/// </summary>
internal ref struct MidiReader
{
    private static readonly byte[] EmptyPayload = [];
    private readonly ReadOnlySpan<byte> _b;
    private readonly MidiReadingSettings _s;
    private readonly List<MidiRepair> _repairs = [];
    private int _repairCount;
    private int _pos;
    private int _limit;
    private bool _extended;

    // Sounding-note counters per channel*128+pitch, valid only where _stamp equals the current track number.
    private readonly int[] _count = new int[2048];
    private readonly int[] _stamp = new int[2048];
    private int _trackNo;

    private MidiReader(ReadOnlySpan<byte> bytes, MidiReadingSettings settings)
    {
        _b = bytes;
        _s = settings;
    }

    public static MidiFile Read(ReadOnlySpan<byte> bytes, MidiReadingSettings settings)
    {
        int start = RiffMidiData(bytes, out int length);
        if (start < 0)
            return new MidiReader(bytes, settings).ReadFile();
        // RIFF MIDI (.rmi): the Standard MIDI File is the "data" chunk; offsets are reported from the file start.
        MidiFile file;
        try
        {
            file = new MidiReader(bytes.Slice(start, length), settings).ReadFile();
        }
        catch (MidiFormatException e)
        {
            throw new MidiFormatException(e.Offset + start, e.Expected, e.Found, e.FilePath, e.Kind);
        }
        var shifted = new List<MidiRepair>(file.Repairs.Count);
        foreach (var r in file.Repairs) shifted.Add(r with { Offset = r.Offset + start });
        file.Repairs = shifted;
        return file;
    }

    /// <summary>Start and length of the SMF inside a RIFF "RMID" file, or -1 when <paramref name="b"/> is not one.</summary>
    private static int RiffMidiData(ReadOnlySpan<byte> b, out int length)
    {
        length = 0;
        if (b.Length < 20 || !b[..4].SequenceEqual("RIFF"u8) || !b.Slice(8, 4).SequenceEqual("RMID"u8)) return -1;
        long p = 12;
        while (p + 8 <= b.Length)
        {
            uint size = BinaryPrimitives.ReadUInt32LittleEndian(b[(int)(p + 4)..]);
            if (b.Slice((int)p, 4).SequenceEqual("data"u8))
            {
                length = (int)Math.Min(size, b.Length - (p + 8));
                return (int)(p + 8);
            }
            p += 8L + size + (size & 1);
        }
        return -1;
    }

    private MidiFile ReadFile()
    {
        var b = _b;
        if (b.Length < 4 || !b[..4].SequenceEqual("MThd"u8))
            throw new MidiFormatException(0, "\"MThd\" header chunk", b.Length < 4 ? $"{b.Length} bytes" : Quote(b[..4]));
        if (b.Length < 14)
            throw new MidiFormatException(b.Length, "14-byte MThd header", "end of file");
        uint headerLength = BinaryPrimitives.ReadUInt32BigEndian(b[4..]);
        if (headerLength < 6)
            throw new MidiFormatException(4, "header length of at least 6", headerLength.ToString());
        int format = BinaryPrimitives.ReadUInt16BigEndian(b[8..]);
        int declaredTracks = BinaryPrimitives.ReadUInt16BigEndian(b[10..]);
        int division = BinaryPrimitives.ReadUInt16BigEndian(b[12..]);
        if (format > 2)
            throw new MidiFormatException(8, "format 0, 1 or 2", format.ToString());
        if (!MidiFile.IsValidDivision(division))
            throw new MidiFormatException(12, "division of 1..32767 ticks per quarter or SMPTE -24/-25/-29/-30 fps with ticks per frame > 0", $"0x{division:X4}");

        var file = new MidiFile(format);
        file.SetDivisionUnchecked(division);

        long afterHeader = 8L + headerLength;
        if (headerLength != 6 && (afterHeader > b.Length || LooksLikeChunkAt(14) && !LooksLikeChunkAt(afterHeader)))
        {
            Violation(MidiViolationKind.WrongChunkLength, 4, "header length 6", headerLength.ToString());
            afterHeader = 14;
        }
        _pos = (int)afterHeader;

        bool reportedTruncation = false;
        while (_pos < b.Length)
        {
            int rem = b.Length - _pos;
            if (rem < 8)
            {
                if (file.Tracks.Count < declaredTracks)
                {
                    Violation(MidiViolationKind.TruncatedFile, _pos, "8-byte chunk header", $"{rem} bytes before the end of the file");
                    reportedTruncation = true;
                }
                else
                {
                    Violation(MidiViolationKind.UnknownChunkId, _pos, "chunk header", $"{rem} trailing bytes");
                }
                break;
            }
            var id = b.Slice(_pos, 4);
            uint length = BinaryPrimitives.ReadUInt32BigEndian(b[(_pos + 4)..]);
            if (id.SequenceEqual("MTrk"u8))
            {
                _trackNo++;
                file.Tracks.Add(ReadTrack(length, ref reportedTruncation));
                continue;
            }
            if (IsChunkId(id))
            {
                Violation(MidiViolationKind.UnknownChunkId, _pos, "\"MTrk\" chunk", $"chunk {Quote(id)} of {length} bytes (skipped)");
                long next = _pos + 8L + length;
                if (next > b.Length) break;
                _pos = (int)next;
                continue;
            }
            Violation(MidiViolationKind.UnknownChunkId, _pos, "chunk id", $"bytes {Convert.ToHexString(id)}");
            int found = b[(_pos + 1)..].IndexOf("MTrk"u8);
            if (found < 0) break;
            _pos += 1 + found;
        }
        if (file.Tracks.Count < declaredTracks && !reportedTruncation)
            Violation(MidiViolationKind.TruncatedFile, b.Length, $"{declaredTracks} track chunks", $"{file.Tracks.Count}");

        file.Repairs = _repairs;
        file.RepairCount = _repairCount;
        return file;
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    private MidiTrack ReadTrack(uint declaredLength, ref bool reportedTruncation)
    {
        var b = _b;
        int chunkStart = _pos;
        long declaredEnd = chunkStart + 8L + declaredLength;
        _pos = chunkStart + 8;
        _limit = (int)Math.Min(declaredEnd, b.Length);
        _extended = false;

        var track = new MidiTrack();
        var events = track.Events;
        // Capacity from the bytes that really remain (an event takes at least 3 bytes in practice; a wrong guess
        // only costs a regrowth), never from the declared length alone.
        events.Capacity = Math.Min((_limit - _pos) / 3 + 1, 1 << 20);
        long tick = 0;
        long committedTick = 0;
        int running = 0;
        bool endOfTrack = false;
        bool cut = false;

        while (true)
        {
            if (_pos >= _limit && !ExtendAtBoundary()) break;

            int eventStart = _pos;
            int vlq = ReadVlq(out uint delta);
            if (vlq == 0) { cut = true; break; }
            if (vlq < 0)
            {
                Violation(MidiViolationKind.InvalidEvent, eventStart, "delta time of at most 4 bytes", "a longer variable-length quantity (track ends here)");
                break;
            }
            tick += delta;
            if (!Need(1)) { cut = true; break; }

            byte first = b[_pos];
            int status;
            if (first < 0x80)
            {
                if (running == 0)
                {
                    Violation(MidiViolationKind.RunningStatusWithoutStatus, _pos, "status byte", $"data byte 0x{first:X2} with no running status (skipped)");
                    _pos++;
                    tick -= delta; // a skipped event's delta is dropped too: every kept delta still fits a quantity
                    continue;
                }
                status = running;
            }
            else
            {
                status = first;
                _pos++;
            }

            if (status < 0xF0)
            {
                int n = (status & 0xE0) == 0xC0 ? 1 : 2;
                if (!Need((uint)n)) { cut = true; break; }
                byte d1 = DataByte(_pos);
                byte d2 = n == 2 ? DataByte(_pos + 1) : (byte)0;
                _pos += n;
                running = status;
                int kind = status & 0xF0;
                if (kind == 0x90 && d2 > 0)
                {
                    int key = ((status & 0x0F) << 7) | d1;
                    if (_stamp[key] != _trackNo) { _stamp[key] = _trackNo; _count[key] = 0; }
                    _count[key]++;
                }
                else if (kind == 0x80 || kind == 0x90)
                {
                    int key = ((status & 0x0F) << 7) | d1;
                    if (_stamp[key] != _trackNo || _count[key] == 0)
                        Violation(MidiViolationKind.NoteOffWithoutNoteOn, eventStart, "a sounding note before Note Off", $"Note Off of channel {(status & 0x0F) + 1} pitch {d1} with none (ignored)");
                    else
                        _count[key]--;
                }
                events.Add(new MidiEvent(tick, (byte)status, d1, d2, null));
                committedTick = tick;
            }
            else if (status == 0xFF)
            {
                if (!Need(1)) { cut = true; break; }
                byte type = b[_pos++];
                int lengthAt = _pos;
                int lv = ReadVlq(out uint length);
                if (lv == 0) { cut = true; break; }
                if (lv < 0)
                {
                    Violation(MidiViolationKind.InvalidEvent, lengthAt, "meta length of at most 4 bytes", "a longer variable-length quantity (track ends here)");
                    break;
                }
                if (!Need(length)) { cut = true; break; }
                byte[] payload = length == 0 ? EmptyPayload : b.Slice(_pos, (int)length).ToArray();
                _pos += (int)length;
                events.Add(new MidiEvent(tick, 0xFF, type, 0, payload));
                committedTick = tick;
                if (type == 0x2F) { endOfTrack = true; break; }
            }
            else if (status is 0xF0 or 0xF7)
            {
                int lengthAt = _pos;
                int lv = ReadVlq(out uint length);
                if (lv == 0) { cut = true; break; }
                if (lv < 0)
                {
                    Violation(MidiViolationKind.InvalidEvent, lengthAt, "SysEx length of at most 4 bytes", "a longer variable-length quantity (track ends here)");
                    break;
                }
                if (!Need(length)) { cut = true; break; }
                byte[] payload = length == 0 ? EmptyPayload : b.Slice(_pos, (int)length).ToArray();
                _pos += (int)length;
                events.Add(new MidiEvent(tick, (byte)status, 0, 0, payload));
                committedTick = tick;
            }
            else
            {
                Violation(MidiViolationKind.InvalidEvent, _pos - 1, "channel, SysEx or meta status", $"status 0x{status:X2}, undefined in MIDI files (skipped)");
                tick -= delta;
            }
        }

        if (cut)
        {
            if (_limit >= b.Length)
            {
                Violation(MidiViolationKind.TruncatedFile, b.Length, "the rest of the event", "end of file");
                reportedTruncation = true;
            }
            else
            {
                Violation(MidiViolationKind.WrongChunkLength, _limit, "the rest of the event inside its chunk", "end of chunk");
            }
            events.Add(new MidiEvent(committedTick, 0xFF, 0x2F, 0, EmptyPayload));
            _pos = _extended ? b.Length : (int)Math.Min(declaredEnd, b.Length);
            return track;
        }

        if (!endOfTrack)
        {
            Violation(MidiViolationKind.MissingEndOfTrack, _pos, "End of Track", "end of chunk");
            events.Add(new MidiEvent(tick, 0xFF, 0x2F, 0, EmptyPayload));
        }

        if (_pos == declaredEnd || _extended)
        {
            // Next chunk starts here.
        }
        else if (declaredEnd > b.Length || LooksLikeChunkAt(_pos))
        {
            Violation(MidiViolationKind.WrongChunkLength, chunkStart + 4, $"chunk length {_pos - chunkStart - 8}", declaredLength.ToString());
        }
        else if (_pos < declaredEnd)
        {
            Violation(MidiViolationKind.DataAfterEndOfTrack, _pos, "end of chunk after End of Track", $"{declaredEnd - _pos} more bytes (skipped)");
            _pos = (int)declaredEnd;
        }
        return track;
    }

    /// <summary>Reads a variable-length quantity: 1 when read, 0 when cut by the end of data, -1 when longer than 4 bytes.</summary>
    private int ReadVlq(out uint value)
    {
        value = 0;
        for (int i = 0; i < 4; i++)
        {
            if (_pos >= _limit && !Extend()) return 0;
            byte x = _b[_pos++];
            value = (value << 7) | (uint)(x & 0x7F);
            if (x < 0x80) return 1;
        }
        return -1;
    }

    private bool Need(uint n)
    {
        if ((ulong)_pos + n <= (ulong)_limit) return true;
        return Extend() && (ulong)_pos + n <= (ulong)_limit;
    }

    /// <summary>An event runs past the declared chunk end: when the bytes there are not a chunk header, the declared
    /// length was too short; read on to the end of the file (reported once as a wrong chunk length).</summary>
    private bool Extend()
    {
        if (_extended || _limit >= _b.Length || LooksLikeChunkAt(_limit)) return false;
        Violation(MidiViolationKind.WrongChunkLength, _limit, "chunk end at an event boundary", "an event running past the declared chunk length");
        _extended = true;
        _limit = _b.Length;
        return true;
    }

    /// <summary>The declared chunk end falls between events without End of Track. Only when the bytes up to the
    /// next "MTrk" hold an End of Track was the length too short (read on); otherwise End of Track is missing and
    /// what follows is left to the chunk loop (as mido reads it).</summary>
    private bool ExtendAtBoundary()
    {
        if (_extended || _limit >= _b.Length || LooksLikeChunkAt(_limit)) return false;
        var rest = _b[_limit..];
        int next = rest.IndexOf("MTrk"u8);
        if (next >= 0) rest = rest[..next];
        return rest.IndexOf((ReadOnlySpan<byte>)[0xFF, 0x2F, 0x00]) >= 0 && Extend();
    }

    private byte DataByte(int at)
    {
        byte v = _b[at];
        if (v <= 127) return v;
        Violation(MidiViolationKind.DataByteOutOfRange, at, "data byte 0..127", $"0x{v:X2} (clamped to 127)");
        return 127;
    }

    private readonly bool LooksLikeChunkAt(long at) => at + 8 <= _b.Length && IsChunkId(_b.Slice((int)at, 4));

    private static bool IsChunkId(ReadOnlySpan<byte> id)
    {
        foreach (byte c in id)
            if (!(c is >= (byte)'A' and <= (byte)'Z' || c is >= (byte)'a' and <= (byte)'z' || c is >= (byte)'0' and <= (byte)'9' || c == (byte)' '))
                return false;
        return true;
    }

    private static string Quote(ReadOnlySpan<byte> id) =>
        IsChunkId(id) ? "\"" + System.Text.Encoding.ASCII.GetString(id) + "\"" : "bytes " + Convert.ToHexString(id);

    private void Violation(MidiViolationKind kind, long offset, string expected, string found)
    {
        if (_s.PolicyFor(kind) == MidiViolationPolicy.Throw)
            throw new MidiFormatException(offset, expected, found, null, kind);
        _repairCount++;
        if (_repairs.Count < _s.MaxRecordedRepairs)
            _repairs.Add(new MidiRepair(kind, offset, $"expected {expected}, found {found}"));
    }
}
