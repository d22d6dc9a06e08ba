using MusicGen.Core.Midi;
using MusicGen.Core.Music;

namespace MusicGen.Core.Tests.Midi;

public class ScoreTests
{
    private static List<Note> Notes(params byte[] body) => ScoreConverter.ToScore(MidiFile.Read(Smf.Single(body))).Tracks[0].Notes;

    [Fact]
    public void Pairing_is_first_in_first_out_per_channel_and_pitch()
    {
        var notes = Notes(
            0x00, 0x90, 60, 10,   // A opens at 0
            0x0A, 0x90, 60, 20,   // B opens at 10 (same pitch)
            0x0A, 0x80, 60, 0,    // closes A at 20
            0x00, 0x91, 60, 30,   // other channel
            0x0A, 0x90, 60, 0,    // velocity-0 Note On closes B at 30
            0x0A, 0x81, 60, 0,    // closes channel 1 at 40
            0x00, 0xFF, 0x2F, 0x00);
        Assert.Equal([new Note(0, 20, 0, 60, 10), new Note(10, 30, 0, 60, 20), new Note(20, 40, 1, 60, 30)], notes);
    }

    [Fact]
    public void Notes_open_at_track_end_end_at_the_tracks_last_event_tick()
    {
        var notes = Notes(0x00, 0x90, 60, 10, 0x10, 0x90, 64, 10, 0x10, 0x80, 64, 0, 0x40, 0xFF, 0x2F, 0x00);
        Assert.Equal([new Note(0, 96, 0, 60, 10), new Note(16, 32, 0, 64, 10)], notes);
    }

    [Fact]
    public void Zero_length_notes_are_kept_and_unmatched_note_offs_ignored()
    {
        var notes = Notes(0x00, 0x80, 50, 0, 0x00, 0x90, 60, 10, 0x00, 0x80, 60, 0, 0x00, 0xFF, 0x2F, 0x00);
        Assert.Equal([new Note(0, 0, 0, 60, 10)], notes);
    }

    [Fact]
    public void Notes_are_sorted_by_start_then_pitch_and_maps_gathered_from_all_tracks_in_file_order()
    {
        byte[] tempo(int tick, int us) => [(byte)tick, 0xFF, 0x51, 0x03, (byte)(us >> 16), (byte)(us >> 8), (byte)us];
        var f = MidiFile.Read(Smf.File(1, 96,
            Smf.Cat(tempo(0, 500_000), tempo(20, 400_000), [0x00, 0xFF, 0x58, 0x04, 3, 3, 24, 8], Smf.EndOfTrack),
            Smf.Cat([0x00, 0xFF, 0x03, 0x02, (byte)'H', (byte)'i', 0x00, 0x90, 67, 1, 0x00, 0x90, 60, 1, 0x00, 0xC0, 5, 0x05, 0xC0, 7],
                tempo(0, 300_000), tempo(10, 600_000), [0x00, 0xFF, 0x58, 0x04, 2, 2, 24, 8], Smf.EndOfTrack)));
        var s = ScoreConverter.ToScore(f);
        Assert.Equal([new TempoChange(0, 500_000), new TempoChange(5, 300_000), new TempoChange(15, 600_000), new TempoChange(20, 400_000)], s.Tempos);
        Assert.Equal([new TimeSignature(15, 2, 4), new TimeSignature(20, 3, 8)], s.TimeSignatures);
        Assert.Null(s.Tracks[0].Name);
        Assert.Equal("Hi", s.Tracks[1].Name);
        Assert.Equal(5, s.Tracks[1].Program);
        Assert.Equal([60, 67], s.Tracks[1].Notes.Select(n => n.Pitch));
    }

    [Fact]
    public void Tempo_map_converts_ticks_and_seconds_across_changes()
    {
        var map = new TempoMap(480, [new TempoChange(960, 250_000), new TempoChange(0, 1_000_000), new TempoChange(960, 500_000)]);
        Assert.Equal(0, map.ToSeconds(0));
        Assert.Equal(1.0, map.ToSeconds(480), 12);
        Assert.Equal(2.0, map.ToSeconds(960), 12);
        Assert.Equal(2.5, map.ToSeconds(1440), 12); // last of the two changes at 960 wins
        Assert.Equal(1440, map.ToTick(2.5));
        Assert.Equal(480, map.ToTick(1.0));
        Assert.Equal(500_000, map.MicrosecondsPerQuarterAt(2000));
        Assert.Equal(0.5, new TempoMap(96, []).ToSeconds(96), 12);
    }

    [Fact]
    public void Meter_map_counts_bars_across_time_signatures()
    {
        var meter = new MeterMap(480, [new TimeSignature(0, 4, 4), new TimeSignature(3840, 3, 4), new TimeSignature(5000, 6, 8)]);
        Assert.Equal(2.0, meter.BarsAt(3840), 12);
        Assert.Equal(2.0 + 160.0 / 1440, meter.BarsAt(4000), 12);
        Assert.Equal(3.0, meter.BarsAt(5000), 12); // the 6/8 at 5000 cuts the third bar short and starts the fourth
        Assert.Equal(3.5, meter.BarsAt(5720), 12);
        Assert.Equal(1440, meter.BarLengthAt(4000));
    }

    [Fact]
    public void Score_round_trips_through_midi()
    {
        var s = ScoreFixtures.Piece();
        var back = MidiScore.Read(MidiScore.ToBytes(s), MidiReadingSettings.Strict);
        Assert.Equal(s.TicksPerQuarter, back.TicksPerQuarter);
        Assert.Equal(s.Tempos, back.Tempos);
        Assert.Equal(s.TimeSignatures, back.TimeSignatures);
        Assert.Equal(s.KeySignatures, back.KeySignatures);
        Assert.Equal(s.Tracks.Count, back.Tracks.Count);
        for (int i = 0; i < s.Tracks.Count; i++)
        {
            Assert.Equal(s.Tracks[i].Name, back.Tracks[i].Name);
            Assert.Equal(s.Tracks[i].Program, back.Tracks[i].Program);
            Assert.Equal(s.Tracks[i].IsDrum, back.Tracks[i].IsDrum);
            Assert.Equal(s.Tracks[i].Notes, back.Tracks[i].Notes);
        }
        Assert.Equal(MidiScore.ToDumpJson(s), MidiScore.ToDumpJson(back));
    }

    [Fact]
    public void Format_0_merges_tracks()
    {
        var s = ScoreFixtures.Piece();
        s.Format = 0;
        var back = MidiScore.Read(MidiScore.ToBytes(s));
        Assert.Single(back.Tracks);
        Assert.Equal(s.AllNotes.Count(), back.Tracks[0].Notes.Count);
    }

    [Fact]
    public void Resolution_change_scales_ticks()
    {
        var s = ScoreFixtures.Piece(480);
        var half = s.WithResolution(240);
        Assert.Equal(240, half.TicksPerQuarter);
        Assert.Equal(s.Tracks[0].Notes.Select(n => n.Start / 2), half.Tracks[0].Notes.Select(n => n.Start));
        Assert.Equal(new TempoChange(1920, 400_000), half.Tempos[1]);
        var tiny = s.WithResolution(1);
        Assert.All(tiny.AllNotes.Where(n => n.Pitch != 90), n => Assert.True(n.End > n.Start));
        Assert.Equal(s.Tracks[0].Notes, half.WithResolution(480).Tracks[0].Notes);
        Assert.Equal(480, s.TicksPerQuarter); // input unchanged
    }

    [Fact]
    public void Transpose_moves_pitched_notes_and_leaves_drums()
    {
        var s = ScoreFixtures.Piece();
        var up = s.Transpose(5);
        Assert.Equal(s.Tracks[0].Notes.Select(n => n.Pitch + 5), up.Tracks[0].Notes.Select(n => n.Pitch));
        Assert.Equal(s.Tracks[1].Notes, up.Tracks[1].Notes);
        var way = s.Transpose(60);
        Assert.All(way.AllNotes, n => Assert.InRange(n.Pitch, 0, 127));
        Assert.True(way.Tracks[0].Notes.Count < s.Tracks[0].Notes.Count);
    }

    [Fact]
    public void Quantize_snaps_to_the_grid()
    {
        var s = new Score { TicksPerQuarter = 480 };
        var t = new ScoreTrack();
        t.Notes.Add(new Note(7, 230, 0, 60, 90));
        t.Notes.Add(new Note(125, 130, 0, 62, 90));
        s.Tracks.Add(t);
        var q = s.Quantize(120);
        Assert.Equal([new Note(0, 240, 0, 60, 90), new Note(120, 240, 0, 62, 90)], q.Tracks[0].Notes);
    }
}
