namespace MusicGen.Core.Midi;

/// <summary>The kinds of rule violation a <see cref="MidiReadingSettings"/> policy decides about.</summary>
public enum MidiViolationKind
{
    /// <summary>A chunk's declared length disagrees with its content (too long for the file, or the track runs on past it).</summary>
    WrongChunkLength,
    /// <summary>A track chunk ends without an End of Track meta event. Repair: one is added at the track's last tick.</summary>
    MissingEndOfTrack,
    /// <summary>Bytes follow End of Track inside its chunk. Repair: they are skipped.</summary>
    DataAfterEndOfTrack,
    /// <summary>A data byte appears where a status byte is needed and no running status is in effect. Repair: the byte is skipped.</summary>
    RunningStatusWithoutStatus,
    /// <summary>The file ends inside a chunk, an event, or before the declared number of tracks. Repair: keep what was read.</summary>
    TruncatedFile,
    /// <summary>A channel message data byte is above 127. Repair: it is clamped to 127 (as mido's <c>clip</c>).</summary>
    DataByteOutOfRange,
    /// <summary>A chunk id other than MThd/MTrk, or bytes that are not a chunk at all. Repair: the chunk is skipped
    /// (garbage: reading resumes at the next "MTrk", or stops).</summary>
    UnknownChunkId,
    /// <summary>A Note Off (or Note On with velocity 0) with no sounding note of that channel and pitch. Repair: the
    /// event is kept in the file and ignored by the musical view.</summary>
    NoteOffWithoutNoteOn,
    /// <summary>A status byte undefined in files (0xF1-0xF6, 0xF8-0xFE) or a variable-length quantity longer than
    /// 4 bytes. Repair: the byte is skipped (status) or the track ends there (quantity).</summary>
    InvalidEvent,
}

/// <summary>What to do when a rule is broken.</summary>
public enum MidiViolationPolicy
{
    /// <summary>Throw <see cref="MidiFormatException"/>.</summary>
    Throw,
    /// <summary>Repair as documented on <see cref="MidiViolationKind"/>, record it in <see cref="MidiFile.Repairs"/>, go on.</summary>
    Repair,
}

/// <summary>One repair made while reading leniently.</summary>
/// <param name="Kind">The rule that was broken.</param>
/// <param name="Offset">Byte offset where it was found.</param>
/// <param name="Description">What was found and what was done.</param>
public sealed record MidiRepair(MidiViolationKind Kind, long Offset, string Description);

/// <summary>
/// How to read a Standard MIDI File: one policy per kind of rule violation (modelled on DryWetMidi's reading
/// settings). <see cref="Lenient"/> (the default) repairs everything it can; <see cref="Strict"/> throws on every
/// violation. Problems no policy can repair (no MThd header, zero division, format above 2) always throw.
/// </summary>
public sealed record MidiReadingSettings
{
    /// <summary>Repair every violation (the default for user files).</summary>
    public static MidiReadingSettings Lenient { get; } = new();

    /// <summary>Throw on every violation.</summary>
    public static MidiReadingSettings Strict { get; } = new()
    {
        WrongChunkLength = MidiViolationPolicy.Throw,
        MissingEndOfTrack = MidiViolationPolicy.Throw,
        DataAfterEndOfTrack = MidiViolationPolicy.Throw,
        RunningStatusWithoutStatus = MidiViolationPolicy.Throw,
        TruncatedFile = MidiViolationPolicy.Throw,
        DataByteOutOfRange = MidiViolationPolicy.Throw,
        UnknownChunkId = MidiViolationPolicy.Throw,
        NoteOffWithoutNoteOn = MidiViolationPolicy.Throw,
        InvalidEvent = MidiViolationPolicy.Throw,
    };

    /// <summary>Policy for <see cref="MidiViolationKind.WrongChunkLength"/>.</summary>
    public MidiViolationPolicy WrongChunkLength { get; init; } = MidiViolationPolicy.Repair;
    /// <summary>Policy for <see cref="MidiViolationKind.MissingEndOfTrack"/>.</summary>
    public MidiViolationPolicy MissingEndOfTrack { get; init; } = MidiViolationPolicy.Repair;
    /// <summary>Policy for <see cref="MidiViolationKind.DataAfterEndOfTrack"/>.</summary>
    public MidiViolationPolicy DataAfterEndOfTrack { get; init; } = MidiViolationPolicy.Repair;
    /// <summary>Policy for <see cref="MidiViolationKind.RunningStatusWithoutStatus"/>.</summary>
    public MidiViolationPolicy RunningStatusWithoutStatus { get; init; } = MidiViolationPolicy.Repair;
    /// <summary>Policy for <see cref="MidiViolationKind.TruncatedFile"/>.</summary>
    public MidiViolationPolicy TruncatedFile { get; init; } = MidiViolationPolicy.Repair;
    /// <summary>Policy for <see cref="MidiViolationKind.DataByteOutOfRange"/>.</summary>
    public MidiViolationPolicy DataByteOutOfRange { get; init; } = MidiViolationPolicy.Repair;
    /// <summary>Policy for <see cref="MidiViolationKind.UnknownChunkId"/>.</summary>
    public MidiViolationPolicy UnknownChunkId { get; init; } = MidiViolationPolicy.Repair;
    /// <summary>Policy for <see cref="MidiViolationKind.NoteOffWithoutNoteOn"/>.</summary>
    public MidiViolationPolicy NoteOffWithoutNoteOn { get; init; } = MidiViolationPolicy.Repair;
    /// <summary>Policy for <see cref="MidiViolationKind.InvalidEvent"/>.</summary>
    public MidiViolationPolicy InvalidEvent { get; init; } = MidiViolationPolicy.Repair;

    /// <summary>At most this many repairs are kept in <see cref="MidiFile.Repairs"/> (all are counted).</summary>
    public int MaxRecordedRepairs { get; init; } = 100;

    /// <summary>The policy for one kind.</summary>
    public MidiViolationPolicy PolicyFor(MidiViolationKind kind) => kind switch
    {
        MidiViolationKind.WrongChunkLength => WrongChunkLength,
        MidiViolationKind.MissingEndOfTrack => MissingEndOfTrack,
        MidiViolationKind.DataAfterEndOfTrack => DataAfterEndOfTrack,
        MidiViolationKind.RunningStatusWithoutStatus => RunningStatusWithoutStatus,
        MidiViolationKind.TruncatedFile => TruncatedFile,
        MidiViolationKind.DataByteOutOfRange => DataByteOutOfRange,
        MidiViolationKind.UnknownChunkId => UnknownChunkId,
        MidiViolationKind.NoteOffWithoutNoteOn => NoteOffWithoutNoteOn,
        MidiViolationKind.InvalidEvent => InvalidEvent,
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };
}
