using MusicGen.Core.Midi;

namespace MusicGen.Core.Tests.Midi;

/// <summary>Every reading policy: strict throws MidiFormatException naming the kind and offset; lenient repairs,
/// records the repair and reads the rest.</summary>
public class MidiPolicyTests
{
    private static readonly byte[] Note = [0x00, 0x90, 60, 100, 0x60, 0x80, 60, 0];

    public static TheoryData<MidiViolationKind> Kinds() => new(Enum.GetValues<MidiViolationKind>());

    /// <summary>A file breaking exactly one rule, where it breaks it, and a check of the lenient result.</summary>
    private static (byte[] Bytes, long Offset, Action<MidiFile> Check) Case(MidiViolationKind kind)
    {
        switch (kind)
        {
            case MidiViolationKind.WrongChunkLength:
            {
                // Declared length 100 bytes longer than the file: the track itself is complete.
                var body = Smf.Cat(Note, Smf.EndOfTrack);
                var bytes = Smf.Cat(Smf.Header(0, 1, 96), Smf.Chunk("MTrk", body, body.Length + 100));
                return (bytes, 18, f => Assert.Equal([MidiEvent.NoteOn(0, 0, 60, 100), MidiEvent.NoteOff(96, 0, 60), MidiEvent.EndOfTrack(96)], f.Tracks[0].Events));
            }
            case MidiViolationKind.MissingEndOfTrack:
                return (Smf.Single(Note), 30, f => Assert.Equal(MidiEvent.EndOfTrack(96), f.Tracks[0].Events[^1]));
            case MidiViolationKind.DataAfterEndOfTrack:
                return (Smf.File(1, 96, Smf.Cat(Note, Smf.EndOfTrack, [0, 0, 0]), Smf.Cat(Note, Smf.EndOfTrack)), 34, f =>
                {
                    Assert.Equal(2, f.Tracks.Count);
                    Assert.Equal(3, f.Tracks[0].Events.Count);
                    Assert.Equal(3, f.Tracks[1].Events.Count);
                }
                );
            case MidiViolationKind.RunningStatusWithoutStatus:
                return (Smf.Single(Smf.Cat([0x00, 0x40], Note, Smf.EndOfTrack)), 23, f => Assert.Equal(3, f.Tracks[0].Events.Count));
            case MidiViolationKind.TruncatedFile:
            {
                var full = Smf.Single(Smf.Cat(Note, Note, Smf.EndOfTrack));
                var cut = full[..(22 + 8 + 3)]; // inside the second note's Note On
                return (cut, 33, f => Assert.Equal([MidiEvent.NoteOn(0, 0, 60, 100), MidiEvent.NoteOff(96, 0, 60), MidiEvent.EndOfTrack(96)], f.Tracks[0].Events));
            }
            case MidiViolationKind.DataByteOutOfRange:
                return (Smf.Single(Smf.Cat([0x00, 0x90, 60, 0xC8, 0x60, 0x80, 60, 0], Smf.EndOfTrack)), 25,
                    f => Assert.Equal(MidiEvent.NoteOn(0, 0, 60, 127), f.Tracks[0].Events[0]));
            case MidiViolationKind.UnknownChunkId:
            {
                var bytes = Smf.Cat(Smf.Header(1, 2, 96), Smf.Track(Smf.Cat(Note, Smf.EndOfTrack)), Smf.Chunk("XFIH", [1, 2, 3, 4]),
                    Smf.Track(Smf.Cat(Note, Smf.EndOfTrack)));
                return (bytes, 34, f => Assert.Equal(2, f.Tracks.Count));
            }
            case MidiViolationKind.NoteOffWithoutNoteOn:
                return (Smf.Single(Smf.Cat([0x00, 0x80, 61, 0], Note, Smf.EndOfTrack)), 22, f =>
                {
                    Assert.Equal(MidiEvent.NoteOff(0, 0, 61), f.Tracks[0].Events[0]);
                    Assert.Equal([new Music.Note(0, 96, 0, 60, 100)], ScoreConverter.ToScore(f).Tracks[0].Notes);
                }
                );
            case MidiViolationKind.InvalidEvent:
                return (Smf.Single(Smf.Cat([0x00, 0xF4], Note, Smf.EndOfTrack)), 23, f => Assert.Equal(3, f.Tracks[0].Events.Count));
            default:
                throw new ArgumentOutOfRangeException(nameof(kind));
        }
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void Strict_throws_with_kind_and_offset(MidiViolationKind kind)
    {
        var (bytes, offset, _) = Case(kind);
        var ex = Assert.Throws<MidiFormatException>(() => MidiFile.Read(bytes, MidiReadingSettings.Strict));
        Assert.Equal(kind, ex.Kind);
        Assert.Equal(offset, ex.Offset);
        Assert.False(string.IsNullOrEmpty(ex.Expected));
        Assert.False(string.IsNullOrEmpty(ex.Found));
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void Lenient_repairs_and_records(MidiViolationKind kind)
    {
        var (bytes, offset, check) = Case(kind);
        var f = MidiFile.Read(bytes);
        Assert.Contains(f.Repairs, r => r.Kind == kind && r.Offset == offset);
        Assert.Equal(f.Repairs.Count, f.RepairCount);
        check(f);
        // A repaired file writes out clean.
        var again = MidiFile.Read(f.ToBytes(), MidiReadingSettings.Strict with { NoteOffWithoutNoteOn = MidiViolationPolicy.Repair });
        Assert.Equal(f.Tracks.Select(t => t.Events.Count), again.Tracks.Select(t => t.Events.Count));
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void Each_policy_is_independent(MidiViolationKind kind)
    {
        var (bytes, _, _) = Case(kind);
        // Strict everywhere except this one kind: reads.
        var onlyThis = Policy(MidiReadingSettings.Strict, kind, MidiViolationPolicy.Repair);
        Assert.Equal(MidiViolationPolicy.Repair, onlyThis.PolicyFor(kind));
        MidiFile.Read(bytes, onlyThis);
        // Lenient everywhere except this one kind: throws.
        var ex = Assert.Throws<MidiFormatException>(() => MidiFile.Read(bytes, Policy(MidiReadingSettings.Lenient, kind, MidiViolationPolicy.Throw)));
        Assert.Equal(kind, ex.Kind);
    }

    [Fact]
    public void Declared_chunk_length_too_short_reads_on_to_end_of_track()
    {
        var body = Smf.Cat(Note, Note, Smf.EndOfTrack);
        var bytes = Smf.Cat(Smf.Header(0, 1, 96), Smf.Chunk("MTrk", body, 10));
        var f = MidiFile.Read(bytes);
        Assert.Equal(5, f.Tracks[0].Events.Count);
        Assert.Contains(f.Repairs, r => r.Kind == MidiViolationKind.WrongChunkLength);
        Assert.Throws<MidiFormatException>(() => MidiFile.Read(bytes, MidiReadingSettings.Strict));
    }

    [Fact]
    public void Declared_chunk_length_ending_between_events_reads_on_when_end_of_track_follows()
    {
        var bytes = Smf.Cat(Smf.Header(0, 1, 96), Smf.Chunk("MTrk", Smf.Cat(Note, Note, Smf.EndOfTrack), Note.Length));
        var f = MidiFile.Read(bytes);
        Assert.Equal(5, f.Tracks[0].Events.Count);
        Assert.Equal(MidiViolationKind.WrongChunkLength, Assert.Single(f.Repairs).Kind);
    }

    [Fact]
    public void Missing_end_of_track_before_trailing_garbage_keeps_the_chunk_only()
    {
        var bytes = Smf.Cat(Smf.Single(Note), [0x00, 0x90, 0x40, 0x40, 0x60, 0x40, 0x00]);
        var f = MidiFile.Read(bytes);
        Assert.Equal([MidiEvent.NoteOn(0, 0, 60, 100), MidiEvent.NoteOff(96, 0, 60), MidiEvent.EndOfTrack(96)], f.Tracks[0].Events);
        Assert.Equal([MidiViolationKind.MissingEndOfTrack, MidiViolationKind.UnknownChunkId], f.Repairs.Select(r => r.Kind));
    }

    [Fact]
    public void Garbage_between_chunks_is_skipped_to_the_next_track()
    {
        var bytes = Smf.Cat(Smf.Header(1, 2, 96), Smf.Track(Smf.Cat(Note, Smf.EndOfTrack)), [0x00, 0xFF, 0x13, 0x88, 0x01],
            Smf.Track(Smf.Cat(Note, Smf.EndOfTrack)));
        var f = MidiFile.Read(bytes);
        Assert.Equal(2, f.Tracks.Count);
        Assert.Contains(f.Repairs, r => r.Kind == MidiViolationKind.UnknownChunkId);
    }

    [Fact]
    public void Fewer_tracks_than_declared_is_a_truncation()
    {
        var bytes = Smf.Cat(Smf.Header(1, 3, 96), Smf.Track(Smf.Cat(Note, Smf.EndOfTrack)));
        Assert.Equal(MidiViolationKind.TruncatedFile, Assert.Throws<MidiFormatException>(() => MidiFile.Read(bytes, MidiReadingSettings.Strict)).Kind);
        Assert.Single(MidiFile.Read(bytes).Tracks);
    }

    [Fact]
    public void A_skipped_event_drops_its_delta_so_that_the_file_writes_back()
    {
        // Found by `musicgen midi fuzz`: two maximal deltas around a skipped byte once summed past the VLQ maximum.
        var bytes = Smf.Single(0xFF, 0xFF, 0xFF, 0x7F, 0x40, 0xFF, 0xFF, 0xFF, 0x7F, 0xF5, 0xFF, 0xFF, 0xFF, 0x7F, 0x90, 60, 1, 0x00, 0xFF, 0x2F, 0x00);
        var f = MidiFile.Read(bytes);
        Assert.Equal(2, f.RepairCount);
        Assert.Equal(0x0FFFFFFF, f.Tracks[0].Events[0].Tick);
        Assert.Equal(f.Tracks[0].Events, MidiFile.Read(f.ToBytes(), MidiReadingSettings.Strict).Tracks[0].Events);
    }

    [Fact]
    public void Recorded_repairs_are_capped_but_all_counted()
    {
        var body = new List<byte>();
        for (int i = 0; i < 500; i++) body.AddRange([0x00, 0x80, 60, 0]);
        body.AddRange(Smf.EndOfTrack);
        var f = MidiFile.Read(Smf.Single([.. body]), MidiReadingSettings.Lenient with { MaxRecordedRepairs = 10 });
        Assert.Equal(10, f.Repairs.Count);
        Assert.Equal(500, f.RepairCount);
    }

    private static MidiReadingSettings Policy(MidiReadingSettings s, MidiViolationKind kind, MidiViolationPolicy p) => kind switch
    {
        MidiViolationKind.WrongChunkLength => s with { WrongChunkLength = p },
        MidiViolationKind.MissingEndOfTrack => s with { MissingEndOfTrack = p },
        MidiViolationKind.DataAfterEndOfTrack => s with { DataAfterEndOfTrack = p },
        MidiViolationKind.RunningStatusWithoutStatus => s with { RunningStatusWithoutStatus = p },
        MidiViolationKind.TruncatedFile => s with { TruncatedFile = p },
        MidiViolationKind.DataByteOutOfRange => s with { DataByteOutOfRange = p },
        MidiViolationKind.UnknownChunkId => s with { UnknownChunkId = p },
        MidiViolationKind.NoteOffWithoutNoteOn => s with { NoteOffWithoutNoteOn = p },
        MidiViolationKind.InvalidEvent => s with { InvalidEvent = p },
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };
}
