using System.Diagnostics;
using CsCheck;
using MusicGen.Cli.Commands;
using MusicGen.Core.Midi;

namespace MusicGen.Core.Tests.Midi;

public class MidiPropertyTests
{
    private static readonly MidiReadingSettings StrictButNoteOffs = MidiReadingSettings.Strict with { NoteOffWithoutNoteOn = MidiViolationPolicy.Repair };

    /// <summary>Any channel message, meta event (End of Track excepted) or SysEx.</summary>
    private static readonly Gen<Func<long, MidiEvent>> GenEvent = Gen.OneOf<Func<long, MidiEvent>>(
        Gen.Select(Gen.Int[0x80, 0xEF], Gen.Int[0, 127], Gen.Int[0, 127],
            (s, a, b) => (Func<long, MidiEvent>)(t => MidiEvent.ChannelMessage(t, s, a, (s & 0xE0) == 0xC0 ? 0 : b))),
        Gen.Select(Gen.Int[0, 127].Where(x => x != 0x2F), Gen.Byte.Array[0, 40],
            (type, data) => (Func<long, MidiEvent>)(t => MidiEvent.Meta(t, type, data))),
        Gen.Select(Gen.Bool, Gen.Byte.Array[0, 300],
            (escape, data) => (Func<long, MidiEvent>)(t => MidiEvent.SysEx(t, data, escape))));

    private static readonly Gen<uint> GenDelta = Gen.OneOf(Gen.UInt[0, 0], Gen.UInt[0, 127], Gen.UInt[0, 20_000], Gen.UInt[0, 0x0FFFFFFF]);

    private static readonly Gen<List<MidiEvent>> GenTrack =
        Gen.Select(GenDelta, GenEvent).Array[0, 60].Select(GenDelta, (items, endDelta) =>
        {
            var events = new List<MidiEvent>();
            long tick = 0;
            foreach (var (delta, make) in items) { tick += delta; events.Add(make(tick)); }
            events.Add(MidiEvent.EndOfTrack(tick + endDelta));
            return events;
        });

    private static readonly Gen<MidiFile> GenFile =
        Gen.Select(Gen.Int[0, 2], Gen.OneOf(Gen.Int[1, 0x7FFF], Gen.Const(0xE728), Gen.Const(0xE250)), GenTrack.Array[0, 4], (format, division, tracks) =>
        {
            var f = new MidiFile(format) { Division = division };
            foreach (var events in tracks)
            {
                var t = new MidiTrack();
                t.Events.AddRange(events);
                f.Tracks.Add(t);
            }
            return f;
        });

    [Fact]
    public void Random_valid_event_streams_round_trip_to_the_same_events_and_bytes()
    {
        GenFile.Sample(file =>
        {
            byte[] bytes = file.ToBytes();
            var back = MidiFile.Read(bytes, StrictButNoteOffs);
            Assert.Equal(file.Format, back.Format);
            Assert.Equal(file.Division, back.Division);
            Assert.Equal(file.Tracks.Count, back.Tracks.Count);
            for (int i = 0; i < file.Tracks.Count; i++) Assert.Equal(file.Tracks[i].Events, back.Tracks[i].Events);
            Assert.All(back.Repairs, r => Assert.Equal(MidiViolationKind.NoteOffWithoutNoteOn, r.Kind));
            Assert.Equal(bytes, back.ToBytes());
        }, iter: 300, threads: 1);
    }

    [Fact]
    public void Random_mutations_parse_or_raise_MidiFormatException_quickly()
    {
        // A few valid sources: generated files (dense with every event kind) and a musical one.
        var sources = new List<byte[]>();
        GenFile.Where(f => f.Tracks.Count > 0).Sample(f => { sources.Add(f.ToBytes()); }, iter: 20, threads: 1);
        sources.Add(MidiScore.ToBytes(ScoreFixtures.Piece()));
        var names = sources.Select((_, i) => $"source{i}").ToList();
        var report = MidiFuzz.Run(sources, names, mutations: 2000, seed: 7);
        Assert.True(report.OtherExceptions == 0, report.ToString());
        // A generous hang guard, not a benchmark (the 100 ms bound is checked by `musicgen midi fuzz`).
        Assert.True(report.SlowestMs < 2000, report.ToString());
        Assert.True(report.MaxAllocatedPerInputByte < 1000, report.ToString());
        Assert.True(report.LenientFormatErrors < report.Mutations, report.ToString());
    }

    [Fact]
    public void Huge_declared_lengths_allocate_nothing_up_front()
    {
        // A meta event claiming 0x0FFFFFFF bytes in a 40-byte file, and a chunk claiming 4 GiB.
        byte[] bytes = Smf.Cat(Smf.Header(0, 1, 96), Smf.Chunk("MTrk", [0x00, 0xFF, 0x01, 0xFF, 0xFF, 0xFF, 0x7F, 1, 2, 3], 0xFFFFFFF0));
        long before = GC.GetAllocatedBytesForCurrentThread();
        var f = MidiFile.Read(bytes);
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 64 * 1024);
        Assert.Contains(f.Repairs, r => r.Kind == MidiViolationKind.TruncatedFile);
        Assert.Throws<MidiFormatException>(() => MidiFile.Read(bytes, MidiReadingSettings.Strict));
    }

    [Fact]
    public void Reading_time_grows_linearly_on_pathological_input()
    {
        // 1 MB of running-status data bytes with no status, and 1 MB of undefined status bytes: every byte is a
        // repair, each must cost O(1).
        var a = Smf.Single(Enumerable.Repeat((byte)0x00, 1 << 20).ToArray());
        var b = Smf.Single(Enumerable.Range(0, 1 << 20).Select(i => i % 2 == 0 ? (byte)0x00 : (byte)0xF4).ToArray());
        var sw = Stopwatch.StartNew();
        var fa = MidiFile.Read(a);
        var fb = MidiFile.Read(b);
        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(20)); // hang guard only
        Assert.Single(fa.Tracks[0].Events);
        Assert.Equal(1 << 19, fa.RepairCount - 1); // every other byte is a delta; +1 missing End of Track
        Assert.Equal(1 << 19, fb.RepairCount - 1);
    }
}
