using System.Text;

namespace MusicGen.Core.Midi;

/// <summary>The kind of a <see cref="MidiEvent"/>.</summary>
public enum MidiEventType : byte
{
    /// <summary>Note Off (0x8n).</summary>
    NoteOff,
    /// <summary>Note On (0x9n); velocity 0 means Note Off.</summary>
    NoteOn,
    /// <summary>Polyphonic key pressure (0xAn).</summary>
    PolyphonicPressure,
    /// <summary>Control Change (0xBn).</summary>
    ControlChange,
    /// <summary>Program Change (0xCn).</summary>
    ProgramChange,
    /// <summary>Channel pressure (0xDn).</summary>
    ChannelPressure,
    /// <summary>Pitch bend (0xEn).</summary>
    PitchBend,
    /// <summary>System exclusive, F0 form.</summary>
    SysEx,
    /// <summary>System exclusive continuation / escape, F7 form.</summary>
    SysExEscape,
    /// <summary>Meta event (0xFF).</summary>
    Meta,
}

/// <summary>Meta event types of the Standard MIDI File specification. Other values are kept raw.</summary>
public enum MidiMetaType : byte
{
    /// <summary>Sequence number (2 bytes).</summary>
    SequenceNumber = 0x00,
    /// <summary>Text.</summary>
    Text = 0x01,
    /// <summary>Copyright notice.</summary>
    Copyright = 0x02,
    /// <summary>Sequence or track name.</summary>
    TrackName = 0x03,
    /// <summary>Instrument name.</summary>
    InstrumentName = 0x04,
    /// <summary>Lyric.</summary>
    Lyric = 0x05,
    /// <summary>Marker.</summary>
    Marker = 0x06,
    /// <summary>Cue point.</summary>
    CuePoint = 0x07,
    /// <summary>Program name.</summary>
    ProgramName = 0x08,
    /// <summary>Device (port) name.</summary>
    DeviceName = 0x09,
    /// <summary>MIDI channel prefix (1 byte).</summary>
    ChannelPrefix = 0x20,
    /// <summary>MIDI port (1 byte).</summary>
    Port = 0x21,
    /// <summary>End of Track (no data).</summary>
    EndOfTrack = 0x2F,
    /// <summary>Set tempo (3 bytes, microseconds per quarter note).</summary>
    Tempo = 0x51,
    /// <summary>SMPTE offset (5 bytes).</summary>
    SmpteOffset = 0x54,
    /// <summary>Time signature (4 bytes).</summary>
    TimeSignature = 0x58,
    /// <summary>Key signature (2 bytes).</summary>
    KeySignature = 0x59,
    /// <summary>Sequencer-specific data.</summary>
    SequencerSpecific = 0x7F,
}

/// <summary>
/// One event of a MIDI track at an absolute tick: a channel message (status 0x80-0xEF and up to two data bytes),
/// a SysEx (F0/F7 with its raw payload) or a meta event (type and raw payload). Equality compares the payload bytes.
/// </summary>
public readonly struct MidiEvent : IEquatable<MidiEvent>
{
    private readonly byte[]? _data;

    internal MidiEvent(long tick, byte status, byte data1, byte data2, byte[]? data)
    {
        Tick = tick;
        Status = status;
        Data1 = data1;
        Data2 = data2;
        _data = data;
    }

    /// <summary>Absolute time in ticks from the start of the track.</summary>
    public long Tick { get; }

    /// <summary>Status byte: 0x80-0xEF (with channel), 0xF0, 0xF7 or 0xFF.</summary>
    public byte Status { get; }

    /// <summary>First data byte of a channel message; the meta type of a meta event.</summary>
    public byte Data1 { get; }

    /// <summary>Second data byte of a channel message (0 when the message has one).</summary>
    public byte Data2 { get; }

    /// <summary>Payload of a SysEx or meta event, exactly as stored after its length (empty otherwise).</summary>
    public ReadOnlySpan<byte> Data => _data;

    /// <summary>The kind of event.</summary>
    public MidiEventType Type => Status switch
    {
        0xFF => MidiEventType.Meta,
        0xF0 => MidiEventType.SysEx,
        0xF7 => MidiEventType.SysExEscape,
        _ => (MidiEventType)((Status >> 4) - 8),
    };

    /// <summary>True for channel messages (status 0x80-0xEF).</summary>
    public bool IsChannelMessage => Status < 0xF0;

    /// <summary>Channel 0-15 of a channel message.</summary>
    public int Channel => Status & 0x0F;

    /// <summary>Meta type of a meta event.</summary>
    public MidiMetaType MetaType => (MidiMetaType)Data1;

    /// <summary>True for a Note On with velocity above 0.</summary>
    public bool IsNoteStart => (Status & 0xF0) == 0x90 && Data2 > 0;

    /// <summary>True for a Note Off or a Note On with velocity 0.</summary>
    public bool IsNoteEnd => (Status & 0xF0) == 0x80 || ((Status & 0xF0) == 0x90 && Data2 == 0);

    /// <summary>True for the End of Track meta event.</summary>
    public bool IsEndOfTrack => Status == 0xFF && Data1 == (byte)MidiMetaType.EndOfTrack;

    /// <summary>The same event at another tick.</summary>
    public MidiEvent WithTick(long tick) => new(tick, Status, Data1, Data2, _data);

    /// <summary>A channel message from its status byte (0x80-0xEF) and data bytes (0-127).</summary>
    public static MidiEvent ChannelMessage(long tick, int status, int data1, int data2 = 0)
    {
        if (status is < 0x80 or > 0xEF) throw new ArgumentOutOfRangeException(nameof(status), status, "channel message status must be 0x80-0xEF");
        CheckData(data1, nameof(data1));
        CheckData(data2, nameof(data2));
        if ((status & 0xE0) == 0xC0 && data2 != 0) throw new ArgumentOutOfRangeException(nameof(data2), data2, "program change and channel pressure have one data byte");
        CheckTick(tick);
        return new MidiEvent(tick, (byte)status, (byte)data1, (byte)data2, null);
    }

    /// <summary>Note On.</summary>
    public static MidiEvent NoteOn(long tick, int channel, int pitch, int velocity) => ChannelMessage(tick, 0x90 | CheckChannel(channel), pitch, velocity);

    /// <summary>Note Off.</summary>
    public static MidiEvent NoteOff(long tick, int channel, int pitch, int velocity = 0) => ChannelMessage(tick, 0x80 | CheckChannel(channel), pitch, velocity);

    /// <summary>Polyphonic key pressure.</summary>
    public static MidiEvent PolyphonicPressure(long tick, int channel, int pitch, int pressure) => ChannelMessage(tick, 0xA0 | CheckChannel(channel), pitch, pressure);

    /// <summary>Control Change.</summary>
    public static MidiEvent ControlChange(long tick, int channel, int controller, int value) => ChannelMessage(tick, 0xB0 | CheckChannel(channel), controller, value);

    /// <summary>Program Change.</summary>
    public static MidiEvent ProgramChange(long tick, int channel, int program) => ChannelMessage(tick, 0xC0 | CheckChannel(channel), program);

    /// <summary>Channel pressure.</summary>
    public static MidiEvent ChannelPressure(long tick, int channel, int pressure) => ChannelMessage(tick, 0xD0 | CheckChannel(channel), pressure);

    /// <summary>Pitch bend; <paramref name="value"/> from -8192 to 8191 (0 = centre).</summary>
    public static MidiEvent PitchBend(long tick, int channel, int value)
    {
        if (value is < -8192 or > 8191) throw new ArgumentOutOfRangeException(nameof(value), value, "pitch bend must be -8192..8191");
        int v = value + 8192;
        return ChannelMessage(tick, 0xE0 | CheckChannel(channel), v & 0x7F, v >> 7);
    }

    /// <summary>Pitch bend value of a pitch-bend message, -8192..8191.</summary>
    public int PitchBendValue => (Data1 | (Data2 << 7)) - 8192;

    /// <summary>A SysEx event (F0 form, <paramref name="escape"/> false) or escape (F7 form) with its raw payload
    /// (for F0, the bytes after F0, normally ending with F7).</summary>
    public static MidiEvent SysEx(long tick, ReadOnlySpan<byte> payload, bool escape = false)
    {
        CheckTick(tick);
        return new MidiEvent(tick, escape ? (byte)0xF7 : (byte)0xF0, 0, 0, payload.ToArray());
    }

    /// <summary>A meta event of any type (0-127) with its raw payload.</summary>
    public static MidiEvent Meta(long tick, int type, ReadOnlySpan<byte> payload)
    {
        if (type is < 0 or > 127) throw new ArgumentOutOfRangeException(nameof(type), type, "meta type must be 0-127");
        CheckTick(tick);
        return new MidiEvent(tick, 0xFF, (byte)type, 0, payload.ToArray());
    }

    /// <summary>A text-like meta event (text, copyright, names, lyric, marker, cue point...) encoded as UTF-8.</summary>
    public static MidiEvent Text(long tick, MidiMetaType type, string text) => Meta(tick, (int)type, Encoding.UTF8.GetBytes(text));

    /// <summary>Track name meta event.</summary>
    public static MidiEvent TrackName(long tick, string name) => Text(tick, MidiMetaType.TrackName, name);

    /// <summary>Set Tempo meta event (microseconds per quarter, 1..16,777,215).</summary>
    public static MidiEvent Tempo(long tick, int microsecondsPerQuarter)
    {
        if (microsecondsPerQuarter is < 1 or > 0xFFFFFF) throw new ArgumentOutOfRangeException(nameof(microsecondsPerQuarter), microsecondsPerQuarter, "tempo must be 1..16777215 microseconds per quarter");
        return Meta(tick, 0x51, [(byte)(microsecondsPerQuarter >> 16), (byte)(microsecondsPerQuarter >> 8), (byte)microsecondsPerQuarter]);
    }

    /// <summary>Time Signature meta event; <paramref name="denominator"/> is a power of two (1..2^30).</summary>
    public static MidiEvent TimeSignature(long tick, int numerator, int denominator, int clocksPerClick = 24, int thirtySecondsPerQuarter = 8)
    {
        if (numerator is < 0 or > 255) throw new ArgumentOutOfRangeException(nameof(numerator), numerator, "numerator must be 0..255");
        if (denominator < 1 || (denominator & (denominator - 1)) != 0 || clocksPerClick is < 0 or > 255 || thirtySecondsPerQuarter is < 0 or > 255) throw new ArgumentOutOfRangeException(nameof(denominator), denominator, "denominator must be a power of two; clocks and 32nds 0..255");
        return Meta(tick, 0x58, [(byte)numerator, (byte)System.Numerics.BitOperations.Log2((uint)denominator), (byte)clocksPerClick, (byte)thirtySecondsPerQuarter]);
    }

    /// <summary>Key Signature meta event: -7..7 sharps (negative = flats), major or minor.</summary>
    public static MidiEvent KeySignature(long tick, int sharpsFlats, bool minor)
    {
        if (sharpsFlats is < -7 or > 7) throw new ArgumentOutOfRangeException(nameof(sharpsFlats), sharpsFlats, "key signature must be -7..7");
        return Meta(tick, 0x59, [(byte)(sbyte)sharpsFlats, minor ? (byte)1 : (byte)0]);
    }

    /// <summary>End of Track meta event.</summary>
    public static MidiEvent EndOfTrack(long tick) => Meta(tick, 0x2F, []);

    /// <summary>Tempo of a Set Tempo event (first three payload bytes), or null for another event or a short payload.</summary>
    public int? TempoValue => Status == 0xFF && Data1 == 0x51 && _data is { Length: >= 3 } d ? (d[0] << 16) | (d[1] << 8) | d[2] : null;

    /// <summary>Text of a meta event's payload: UTF-8 when valid, otherwise Latin-1.</summary>
    public string DataText => DecodeText(Data);

    internal static string DecodeText(ReadOnlySpan<byte> bytes)
    {
        if (System.Text.Unicode.Utf8.IsValid(bytes)) return Encoding.UTF8.GetString(bytes);
        return Encoding.Latin1.GetString(bytes);
    }

    /// <inheritdoc/>
    public bool Equals(MidiEvent other) =>
        Tick == other.Tick && Status == other.Status && Data1 == other.Data1 && Data2 == other.Data2 && Data.SequenceEqual(other.Data);

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is MidiEvent e && Equals(e);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(Tick, Status, Data1, Data2, _data?.Length ?? 0);

    /// <summary>Equality.</summary>
    public static bool operator ==(MidiEvent a, MidiEvent b) => a.Equals(b);

    /// <summary>Inequality.</summary>
    public static bool operator !=(MidiEvent a, MidiEvent b) => !a.Equals(b);

    /// <inheritdoc/>
    public override string ToString() => Type switch
    {
        MidiEventType.Meta => $"{Tick}: meta 0x{Data1:X2} [{Convert.ToHexString(Data)}]",
        MidiEventType.SysEx or MidiEventType.SysExEscape => $"{Tick}: sysex 0x{Status:X2} [{Convert.ToHexString(Data)}]",
        _ => $"{Tick}: {Type} ch{Channel} {Data1} {Data2}",
    };

    private static void CheckData(int value, string name)
    {
        if (value is < 0 or > 127) throw new ArgumentOutOfRangeException(name, value, "MIDI data bytes must be 0-127");
    }

    private static int CheckChannel(int channel) =>
        channel is < 0 or > 15 ? throw new ArgumentOutOfRangeException(nameof(channel), channel, "channel must be 0-15") : channel;

    private static void CheckTick(long tick)
    {
        if (tick < 0) throw new ArgumentOutOfRangeException(nameof(tick), tick, "tick must be >= 0");
    }
}
