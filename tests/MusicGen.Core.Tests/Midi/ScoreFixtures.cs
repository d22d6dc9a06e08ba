using MusicGen.Core.Music;

namespace MusicGen.Core.Tests.Midi;

internal static class ScoreFixtures
{
    /// <summary>A small two-track piece with tempo, time and key changes, chords, a drum track and a zero-length note.</summary>
    public static Score Piece(int ticksPerQuarter = 480)
    {
        int q = ticksPerQuarter;
        var s = new Score { TicksPerQuarter = q, Format = 1 };
        s.Tempos.Add(new TempoChange(0, 500_000));
        s.Tempos.Add(new TempoChange(8 * q, 400_000));
        s.TimeSignatures.Add(new TimeSignature(0, 4, 4));
        s.TimeSignatures.Add(new TimeSignature(8 * q, 3, 4));
        s.KeySignatures.Add(new KeySignature(0, -2, false));
        var piano = new ScoreTrack { Index = 0, Name = "Piano", Program = 0 };
        for (int i = 0; i < 16; i++)
        {
            piano.Notes.Add(new Note(i * q, i * q + q / 2, 0, 60 + i % 12, 64 + i));
            if (i % 4 == 0) piano.Notes.Add(new Note(i * q, (i + 2) * q, 0, 48, 80));
        }
        piano.Notes.Add(new Note(3 * q, 3 * q, 0, 90, 30)); // zero-length
        var drums = new ScoreTrack { Index = 1, Name = "Drums", IsDrum = true };
        for (int i = 0; i < 32; i++) drums.Notes.Add(new Note(i * q / 2, i * q / 2 + q / 8, 9, i % 2 == 0 ? 36 : 42, 100));
        var bass = new ScoreTrack { Index = 2, Name = "Bass", Program = 33 };
        for (int i = 0; i < 8; i++) bass.Notes.Add(new Note(i * 2 * q, (i + 1) * 2 * q, 1, 36 + i, 90));
        s.Tracks.Add(piano);
        s.Tracks.Add(drums);
        s.Tracks.Add(bass);
        foreach (var t in s.Tracks) Core.Midi.ScoreConverter.SortNotes(t.Notes);
        return s;
    }
}
