using System.Text.Json.Nodes;
using MusicGen.Cli.Commands;
using MusicGen.Core.Midi;
using MusicGen.Core.Music;
using Xunit.Abstractions;

namespace MusicGen.Core.Tests.Midi;

/// <summary>A fact that is skipped, saying why, when Debian's /usr/bin/python3 cannot import mido.</summary>
public sealed class MidoFactAttribute : FactAttribute
{
    public MidoFactAttribute()
    {
        if (!MidoReference.IsAvailable(out string why)) Skip = $"mido conformance needs python3-mido: {why}";
    }
}

/// <summary>`midi dump` agrees with mido (an independent reader) on files the tests write: note for note,
/// tempo for tempo, signature for signature.</summary>
public class MidoConformanceTests(ITestOutputHelper output)
{
    /// <summary>Files exercising what real files do: several tracks and formats, running status, velocity-0 Note On
    /// and Note Off, overlapping same-pitch notes, notes left open, events after notes, maps in several tracks, SysEx,
    /// unknown meta, odd resolutions.</summary>
    private static IEnumerable<(string Name, byte[] Bytes)> Files()
    {
        yield return ("piece", MidiScore.ToBytes(ScoreFixtures.Piece()));
        yield return ("piece-96", MidiScore.ToBytes(ScoreFixtures.Piece(96)));
        var f0 = ScoreFixtures.Piece(); f0.Format = 0;
        yield return ("piece-format0", MidiScore.ToBytes(f0));
        byte[] tempo(int delta, int us) => [(byte)delta, 0xFF, 0x51, 0x03, (byte)(us >> 16), (byte)(us >> 8), (byte)us];
        yield return ("handmade", Smf.File(1, 384,
            Smf.Cat(tempo(0, 600_000), [0x00, 0xFF, 0x58, 0x04, 6, 3, 24, 8, 0x00, 0xF0, 0x03, 0x43, 0x12, 0xF7], tempo(0x60, 450_000), Smf.EndOfTrack),
            Smf.Cat([0x00, 0xFF, 0x03, 0x05, (byte)'L', (byte)'e', (byte)'a', (byte)'d', (byte)' ',
                0x00, 0x90, 60, 90, 0x10, 62, 80, 0x10, 60, 70,       // running status, same pitch opened twice
                0x10, 60, 0, 0x00, 0x80, 62, 10, 0x20, 0x80, 60, 0,   // FIFO closes
                0x00, 0x91, 72, 50, 0x00, 0xFF, 0x4B, 0x01, 0x07,     // unknown meta; note 72 left open
                0x30, 0xB1, 64, 127, 0x00, 0x90, 64, 0],             // unmatched velocity-0 note on
                tempo(0x10, 500_000), [0x00, 0xFF, 0x58, 0x04, 5, 2, 24, 8], Smf.EndOfTrack),
            Smf.Cat([0x00, 0xFF, 0x2F, 0x00])));
        var rng = new Random(5);
        for (int k = 0; k < 8; k++)
        {
            var s = new Score { TicksPerQuarter = new[] { 24, 96, 120, 384, 480, 960, 1024, 15360 }[k], Format = k % 3 == 0 ? 0 : 1 };
            s.Tempos.Add(new TempoChange(0, rng.Next(200_000, 1_500_000)));
            for (int t = 0; t < 1 + rng.Next(4); t++)
            {
                var track = new ScoreTrack { Index = t, Name = t % 2 == 0 ? $"T{t}" : null, Program = rng.Next(128) };
                for (int n = 0; n < 200; n++)
                {
                    long start = rng.Next(0, 100 * s.TicksPerQuarter);
                    track.Notes.Add(new Note(start, start + rng.Next(0, 4 * s.TicksPerQuarter), rng.Next(16), rng.Next(128), rng.Next(1, 128)));
                }
                s.Tracks.Add(track);
                s.Tempos.Add(new TempoChange(rng.Next(0, 100 * s.TicksPerQuarter), rng.Next(200_000, 1_500_000)));
                s.TimeSignatures.Add(new TimeSignature(rng.Next(0, 100 * s.TicksPerQuarter), rng.Next(1, 13), 1 << rng.Next(0, 5)));
            }
            s.Tempos.Sort((a, b) => a.Tick.CompareTo(b.Tick));
            s.TimeSignatures.Sort((a, b) => a.Tick.CompareTo(b.Tick));
            yield return ($"random{k}", MidiScore.ToBytes(s));
        }
    }

    [MidoFact]
    public void Dump_agrees_with_mido_on_generated_files()
    {
        string dir = Path.Combine(Path.GetTempPath(), $"musicgen-mido-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        try
        {
            var paths = new List<string>();
            foreach (var (name, bytes) in Files())
            {
                string path = Path.Combine(dir, name + ".mid");
                File.WriteAllBytes(path, bytes);
                paths.Add(path);
            }
            var errors = new Dictionary<string, string>();
            var reference = MidoReference.Run(paths, errors);
            foreach (var path in paths)
            {
                Assert.True(reference.TryGetValue(path, out string? theirs) && theirs is not null, $"mido failed on {path}: {errors.GetValueOrDefault(path)}");
                string ours = MidiScore.ToDumpJson(MidiScore.Load(path, MidiReadingSettings.Strict with { NoteOffWithoutNoteOn = MidiViolationPolicy.Repair }));
                var a = JsonNode.Parse(ours)!;
                var b = JsonNode.Parse(theirs!)!;
                var c = DumpComparison.Compare(a, b);
                output.WriteLine($"{Path.GetFileName(path)}: {c.NotesSame}/{c.NotesReference} notes, {c.TemposSame}/{c.TemposReference} tempos, {c.SignaturesSame}/{c.SignaturesReference} time signatures");
                Assert.True(JsonNode.DeepEquals(a, b), $"{Path.GetFileName(path)} differs from mido: {c.Summary}");
                Assert.True(c.NotesReference > 0);
            }
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
