using MusicGen.Core.Midi;

namespace MusicGen.Core.Tests.Midi;

public class MidiReaderTests
{
    private static MidiFile ReadStrict(byte[] bytes) => MidiFile.Read(bytes, MidiReadingSettings.Strict);

    [Fact]
    public void Reads_every_channel_message_kind()
    {
        var f = ReadStrict(Smf.Single(
            0x00, 0x91, 60, 100,        // note on ch 1
            0x10, 0x81, 60, 64,         // note off
            0x00, 0xA2, 61, 30,         // poly pressure ch 2
            0x00, 0xB3, 7, 99,          // control change ch 3
            0x00, 0xC4, 41,             // program change ch 4
            0x00, 0xD5, 77,             // channel pressure ch 5
            0x00, 0xE6, 0x00, 0x40,     // pitch bend centre ch 6
            0x00, 0xEF, 0x7F, 0x7F,     // pitch bend max ch 15
            0x00, 0xFF, 0x2F, 0x00));
        var e = f.Tracks.Single().Events;
        Assert.Equal(
        [
            MidiEvent.NoteOn(0, 1, 60, 100), MidiEvent.NoteOff(16, 1, 60, 64), MidiEvent.PolyphonicPressure(16, 2, 61, 30),
            MidiEvent.ControlChange(16, 3, 7, 99), MidiEvent.ProgramChange(16, 4, 41), MidiEvent.ChannelPressure(16, 5, 77),
            MidiEvent.PitchBend(16, 6, 0), MidiEvent.PitchBend(16, 15, 8191), MidiEvent.EndOfTrack(16),
        ], e);
        Assert.Equal(
            [MidiEventType.NoteOn, MidiEventType.NoteOff, MidiEventType.PolyphonicPressure, MidiEventType.ControlChange, MidiEventType.ProgramChange,
             MidiEventType.ChannelPressure, MidiEventType.PitchBend, MidiEventType.PitchBend, MidiEventType.Meta], e.Select(x => x.Type));
        Assert.Equal(8191, e[7].PitchBendValue);
        Assert.Equal(0, e[6].PitchBendValue);
        Assert.Empty(f.Repairs);
    }

    [Fact]
    public void Reads_every_meta_kind_and_keeps_unknown_meta_raw()
    {
        byte[] Meta(int type, params byte[] data) => Smf.Cat([0x00, 0xFF, (byte)type], Smf.Vlq((uint)data.Length), data);
        var body = Smf.Cat(
            Meta(0x00, 0x00, 0x07),
            Meta(0x01, "text"u8.ToArray()), Meta(0x02, "(c)"u8.ToArray()), Meta(0x03, "Piano"u8.ToArray()),
            Meta(0x04, "inst"u8.ToArray()), Meta(0x05, "la"u8.ToArray()), Meta(0x06, "A"u8.ToArray()), Meta(0x07, "cue"u8.ToArray()),
            Meta(0x08, "prog"u8.ToArray()), Meta(0x09, "dev"u8.ToArray()), Meta(0x20, 0x05), Meta(0x21, 0x01),
            Meta(0x51, 0x07, 0xA1, 0x20), Meta(0x54, 0x60, 0x00, 0x03, 0x00, 0x00), Meta(0x58, 6, 3, 36, 8),
            Meta(0x59, 0xFD, 0x01), Meta(0x7F, 0x00, 0x00, 0x41), Meta(0x4B, 0x01, 0x02), Smf.EndOfTrack);
        var e = ReadStrict(Smf.Single(body)).Tracks[0].Events;
        Assert.Equal(19, e.Count);
        Assert.Equal([MidiMetaType.SequenceNumber, MidiMetaType.Text, MidiMetaType.Copyright, MidiMetaType.TrackName, MidiMetaType.InstrumentName,
            MidiMetaType.Lyric, MidiMetaType.Marker, MidiMetaType.CuePoint, MidiMetaType.ProgramName, MidiMetaType.DeviceName,
            MidiMetaType.ChannelPrefix, MidiMetaType.Port, MidiMetaType.Tempo, MidiMetaType.SmpteOffset, MidiMetaType.TimeSignature,
            MidiMetaType.KeySignature, MidiMetaType.SequencerSpecific, (MidiMetaType)0x4B, MidiMetaType.EndOfTrack], e.Select(x => x.MetaType));
        Assert.All(e, x => Assert.Equal(MidiEventType.Meta, x.Type));
        Assert.Equal("Piano", e[3].DataText);
        Assert.Equal(500_000, e[12].TempoValue);
        Assert.Equal(MidiEvent.TimeSignature(0, 6, 8, 36, 8), e[14]);
        Assert.Equal(MidiEvent.KeySignature(0, -3, true), e[15]);
        Assert.Equal(new byte[] { 0x01, 0x02 }, e[17].Data.ToArray());
        Assert.True(e[18].IsEndOfTrack);
    }

    [Fact]
    public void Reads_sysex_in_both_forms()
    {
        var e = ReadStrict(Smf.Single(
            0x00, 0xF0, 0x05, 0x7E, 0x7F, 0x09, 0x01, 0xF7,
            0x05, 0xF7, 0x02, 0xF3, 0x01,
            0x00, 0xFF, 0x2F, 0x00)).Tracks[0].Events;
        Assert.Equal(MidiEvent.SysEx(0, [0x7E, 0x7F, 0x09, 0x01, 0xF7]), e[0]);
        Assert.Equal(MidiEventType.SysEx, e[0].Type);
        Assert.Equal(MidiEvent.SysEx(5, [0xF3, 0x01], escape: true), e[1]);
        Assert.Equal(MidiEventType.SysExEscape, e[1].Type);
    }

    [Fact]
    public void Running_status_continues_across_meta_events()
    {
        var e = ReadStrict(Smf.Single(
            0x00, 0x90, 60, 100,
            0x00, 62, 100,               // running status
            0x00, 0xFF, 0x01, 0x00,      // meta does not cancel it (as mido and most players)
            0x60, 60, 0,
            0x00, 62, 0,
            0x00, 0xFF, 0x2F, 0x00)).Tracks[0].Events;
        Assert.Equal([MidiEvent.NoteOn(0, 0, 60, 100), MidiEvent.NoteOn(0, 0, 62, 100), MidiEvent.Meta(0, 1, []),
            MidiEvent.NoteOn(96, 0, 60, 0), MidiEvent.NoteOn(96, 0, 62, 0), MidiEvent.EndOfTrack(96)], e);
    }

    [Theory]
    [InlineData(0u, new byte[] { 0x00 })]
    [InlineData(0x40u, new byte[] { 0x40 })]
    [InlineData(0x7Fu, new byte[] { 0x7F })]
    [InlineData(0x80u, new byte[] { 0x81, 0x00 })]
    [InlineData(0x2000u, new byte[] { 0xC0, 0x00 })]
    [InlineData(0x3FFFu, new byte[] { 0xFF, 0x7F })]
    [InlineData(0x4000u, new byte[] { 0x81, 0x80, 0x00 })]
    [InlineData(0x1FFFFFu, new byte[] { 0xFF, 0xFF, 0x7F })]
    [InlineData(0x200000u, new byte[] { 0x81, 0x80, 0x80, 0x00 })]
    [InlineData(0x0FFFFFFFu, new byte[] { 0xFF, 0xFF, 0xFF, 0x7F })]
    public void Variable_length_quantities_decode_and_encode(uint value, byte[] encoded)
    {
        Assert.Equal(encoded, Smf.Vlq(value));
        var f = ReadStrict(Smf.Single(Smf.Cat(encoded, [0x90, 60, 1], Smf.EndOfTrack)));
        Assert.Equal(value, f.Tracks[0].Events[0].Tick);
        var written = f.ToBytes();
        Assert.Equal(encoded, written.AsSpan(22, encoded.Length).ToArray()); // header 14 + chunk header 8
    }

    [Fact]
    public void A_quantity_longer_than_four_bytes_is_an_invalid_event()
    {
        var bytes = Smf.Single(0x00, 0x90, 60, 1, 0x80, 0x80, 0x80, 0x80, 0x00, 0x80, 60, 0, 0x00, 0xFF, 0x2F, 0x00);
        var ex = Assert.Throws<MidiFormatException>(() => ReadStrict(bytes));
        Assert.Equal(MidiViolationKind.InvalidEvent, ex.Kind);
        Assert.Equal(26, ex.Offset);
        var lenient = MidiFile.Read(bytes);
        Assert.Equal([MidiEvent.NoteOn(0, 0, 60, 1), MidiEvent.EndOfTrack(0)], lenient.Tracks[0].Events);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    public void Reads_formats_0_1_and_2(int format)
    {
        var f = ReadStrict(Smf.File(format, 480, [0x00, 0x90, 60, 9, 0x00, 0x80, 60, 0, 0x00, 0xFF, 0x2F, 0x00], [0x00, 0xFF, 0x2F, 0x00]));
        Assert.Equal(format, f.Format);
        Assert.Equal(480, f.TicksPerQuarter);
        Assert.Equal(2, f.Tracks.Count);
        Assert.Single(f.Tracks[1].Events);
    }

    [Fact]
    public void Reads_smpte_division()
    {
        // -25 fps (0xE7), 40 ticks per frame: 1000 ticks per second.
        var f = ReadStrict(Smf.File(1, 0xE728, [0x00, 0xFF, 0x51, 0x03, 0x07, 0xA1, 0x20, 0x00, 0x90, 60, 9, 0x87, 0x68, 0x80, 60, 0, 0x00, 0xFF, 0x2F, 0x00]));
        Assert.True(f.IsSmpte);
        Assert.Equal(25, f.SmpteFramesPerSecond);
        Assert.Equal(40, f.SmpteTicksPerFrame);
        Assert.Equal(0, f.TicksPerQuarter);
        var score = ScoreConverter.ToScore(f);
        Assert.Equal(1000, score.TicksPerQuarter);
        Assert.Equal([new Music.TempoChange(0, 1_000_000)], score.Tempos);
        Assert.Equal(1.0, Music.TempoMap.For(score).ToSeconds(score.Tracks[0].Notes[0].End), 9);
        Assert.Equal(f.ToBytes(), MidiFile.Read(f.ToBytes()).ToBytes());
    }

    [Fact]
    public void Header_longer_than_six_bytes_is_skipped()
    {
        var bytes = Smf.Cat(Smf.Header(0, 1, 96, length: 10), Smf.Track(Smf.EndOfTrack));
        Assert.Single(ReadStrict(bytes).Tracks);
    }

    [Theory]
    [InlineData(new byte[] { }, 0, "\"MThd\" header chunk")]
    [InlineData(new byte[] { (byte)'R', (byte)'I', (byte)'F', (byte)'X', 0, 0, 0, 6 }, 0, "\"MThd\" header chunk")]
    [InlineData(new byte[] { (byte)'M', (byte)'T', (byte)'h', (byte)'d', 0, 0, 0, 6, 0, 1 }, 10, "14-byte MThd header")]
    [InlineData(new byte[] { (byte)'M', (byte)'T', (byte)'h', (byte)'d', 0, 0, 0, 5, 0, 1, 0, 1, 0, 96 }, 4, "header length of at least 6")]
    [InlineData(new byte[] { (byte)'M', (byte)'T', (byte)'h', (byte)'d', 0, 0, 0, 6, 0, 3, 0, 1, 0, 96 }, 8, "format 0, 1 or 2")]
    [InlineData(new byte[] { (byte)'M', (byte)'T', (byte)'h', (byte)'d', 0, 0, 0, 6, 0, 1, 0, 1, 0, 0 }, 12, "division")]
    [InlineData(new byte[] { (byte)'M', (byte)'T', (byte)'h', (byte)'d', 0, 0, 0, 6, 0, 1, 0, 1, 0xE9, 10 }, 12, "division")]
    public void Unrepairable_headers_always_throw(byte[] bytes, long offset, string expected)
    {
        foreach (var s in new[] { MidiReadingSettings.Lenient, MidiReadingSettings.Strict })
        {
            var ex = Assert.Throws<MidiFormatException>(() => MidiFile.Read(bytes, s));
            Assert.Equal(offset, ex.Offset);
            Assert.StartsWith(expected, ex.Expected);
            Assert.Null(ex.Kind);
            Assert.Contains($"byte {offset}", ex.Message);
        }
    }

    [Fact]
    public void ReadFile_names_the_path_in_the_exception()
    {
        string path = Path.Combine(Path.GetTempPath(), $"musicgen-bad-{Guid.NewGuid():N}.mid");
        File.WriteAllBytes(path, "not midi"u8.ToArray());
        try
        {
            var ex = Assert.Throws<MidiFormatException>(() => MidiFile.ReadFile(path));
            Assert.Equal(path, ex.FilePath);
            Assert.StartsWith(path + ": ", ex.Message);
            Assert.DoesNotContain('\n', ex.Message);
        }
        finally { File.Delete(path); }
    }

    [Fact]
    public void Writer_always_ends_tracks_with_one_end_of_track_and_uses_running_status()
    {
        var f = new MidiFile(1, 96);
        var t = new MidiTrack();
        t.Events.Add(MidiEvent.NoteOn(0, 0, 60, 100));
        t.Events.Add(MidiEvent.NoteOn(10, 0, 60, 0));
        t.Events.Add(MidiEvent.EndOfTrack(10)); // a stray End of Track is dropped
        t.Events.Add(MidiEvent.Tempo(20, 600_000));
        f.Tracks.Add(t);
        f.Tracks.Add(new MidiTrack());
        var bytes = f.ToBytes();
        Assert.Equal(Smf.Cat(Smf.Header(1, 2, 96),
            Smf.Track(0x00, 0x90, 60, 100, 0x0A, 60, 0, 0x0A, 0xFF, 0x51, 0x03, 0x09, 0x27, 0xC0, 0x00, 0xFF, 0x2F, 0x00),
            Smf.Track(0x00, 0xFF, 0x2F, 0x00)), bytes);
        var back = ReadStrict(bytes);
        Assert.Equal([MidiEvent.NoteOn(0, 0, 60, 100), MidiEvent.NoteOn(10, 0, 60, 0), MidiEvent.Tempo(20, 600_000), MidiEvent.EndOfTrack(20)], back.Tracks[0].Events);
        Assert.Equal(bytes, back.ToBytes());
    }

    [Fact]
    public void Writer_rejects_events_out_of_tick_order()
    {
        var f = new MidiFile();
        var t = new MidiTrack();
        t.Events.Add(MidiEvent.NoteOn(10, 0, 60, 100));
        t.Events.Add(MidiEvent.NoteOn(5, 0, 60, 0));
        f.Tracks.Add(t);
        var ex = Assert.Throws<InvalidOperationException>(() => f.ToBytes());
        Assert.Contains("track 0, event 1", ex.Message);
    }

    [Fact]
    public void Event_factories_validate_ranges()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => MidiEvent.NoteOn(0, 16, 60, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => MidiEvent.NoteOn(0, 0, 128, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => MidiEvent.NoteOn(-1, 0, 60, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => MidiEvent.PitchBend(0, 0, 8192));
        Assert.Throws<ArgumentOutOfRangeException>(() => MidiEvent.Tempo(0, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => MidiEvent.TimeSignature(0, 4, 3));
        Assert.Throws<ArgumentOutOfRangeException>(() => MidiEvent.KeySignature(0, 8, false));
        Assert.Throws<ArgumentOutOfRangeException>(() => new MidiFile(3));
    }
}

public class RiffMidiTests
{
    [Fact]
    public void Reads_the_smf_inside_a_riff_rmid_file_and_reports_file_offsets()
    {
        byte[] smf = Smf.Single(0x00, 0x90, 60, 100, 0x60, 0x80, 60, 0, 0x00, 0xFF, 0x2F, 0x00);
        byte[] Riff(byte[] inner)
        {
            var body = Smf.Cat("RMID"u8.ToArray(), "data"u8.ToArray(), BitConverter.GetBytes((uint)inner.Length), inner);
            return Smf.Cat("RIFF"u8.ToArray(), BitConverter.GetBytes((uint)body.Length), body);
        }
        var f = MidiFile.Read(Riff(smf), MidiReadingSettings.Strict);
        Assert.Equal(3, f.Tracks[0].Events.Count);
        var bad = (byte[])smf.Clone();
        bad[8 + 1] = 7; // format 7
        var ex = Assert.Throws<MidiFormatException>(() => MidiFile.Read(Riff(bad)));
        Assert.Equal(20 + 8, ex.Offset);
    }
}
