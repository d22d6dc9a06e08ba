using MusicGen.Core.Music;
using MusicGen.Listening;

namespace MusicGen.Listening.Tests;

public sealed class ExcerptTests
{
    private const int Tpq = 480;
    private const int Bar = 4 * Tpq;

    private static Score Piece(params Note[] notes)
    {
        var score = new Score { TicksPerQuarter = Tpq };
        var track = new ScoreTrack { Index = 3, Name = "Piano RH from some-file.mid", Program = 41 };
        track.Notes.AddRange(notes);
        score.Tracks.Add(track);
        score.Tempos.Add(new TempoChange(0, 600_000));
        score.TimeSignatures.Add(new TimeSignature(0, 4, 4));
        score.KeySignatures.Add(new KeySignature(0, 2, false));
        return score;
    }

    [Fact]
    public void Cut_starts_at_the_first_sounding_bar_and_keeps_N_bars()
    {
        // Two empty bars, a note in bar 2 (off the bar line), notes up to bar 6.
        var score = Piece(
            new Note(2 * Bar + Tpq, 2 * Bar + 2 * Tpq, 0, 60, 90),
            new Note(3 * Bar, 3 * Bar + Tpq, 0, 62, 80),
            new Note(4 * Bar - Tpq, 4 * Bar + Tpq, 0, 64, 70),   // crosses the end of a 2-bar excerpt: clipped
            new Note(4 * Bar, 4 * Bar + Tpq, 0, 65, 70),         // starts at the end: left out
            new Note(6 * Bar, 6 * Bar + Tpq, 0, 67, 70));
        var clip = Excerpt.Cut(score, 2);
        var notes = clip.AllNotes.ToList();
        Assert.Equal([Tpq, Bar, 2 * Bar - Tpq], notes.Select(n => n.Start));
        Assert.Equal(2 * Bar, notes[2].End);
        Assert.Equal(600_000, Assert.Single(clip.Tempos).MicrosecondsPerQuarter);
        // Nothing but the music: no names, programs or key signatures.
        Assert.All(clip.Tracks, t => { Assert.Null(t.Name); Assert.Equal(0, t.Program); });
        Assert.Empty(clip.KeySignatures);
    }

    [Fact]
    public void Cut_follows_the_meter_and_carries_the_tempo_in_force()
    {
        var score = Piece(new Note(0, Tpq, 0, 60, 90), new Note(5 * 3 * Tpq, 5 * 3 * Tpq + Tpq, 0, 62, 90));
        score.TimeSignatures.Clear();
        score.TimeSignatures.Add(new TimeSignature(0, 3, 4));
        score.Tempos.Add(new TempoChange(Tpq, 400_000));
        var clip = Excerpt.Cut(score, 5); // five 3/4 bars end before the second note
        Assert.Single(clip.AllNotes);
        Assert.Equal(new TimeSignature(0, 3, 4), Assert.Single(clip.TimeSignatures));
        Assert.Equal([new TempoChange(0, 600_000), new TempoChange(Tpq, 400_000)], clip.Tempos);
    }

    [Fact]
    public void Notes_are_seconds_through_the_tempo_map_sorted_by_onset()
    {
        var score = Piece(new Note(Tpq, 2 * Tpq, 0, 64, 90), new Note(0, Tpq, 0, 67, 80), new Note(0, Tpq, 0, 60, 100));
        var notes = Excerpt.Notes(Excerpt.Cut(score, 1));
        Assert.Equal([60, 67, 64], notes.Select(n => n.Pitch));
        Assert.Equal(0.6, notes[2].Start, 9); // one quarter at 600,000 µs
        Assert.Equal(1.2, notes[2].End, 9);
        Assert.Equal(100, notes[0].Velocity);
    }

    [Fact]
    public void Empty_piece_gives_an_empty_clip()
    {
        Assert.Empty(Excerpt.Cut(Piece(), 4).AllNotes);
        Assert.Throws<ArgumentOutOfRangeException>(() => Excerpt.Cut(Piece(), 0));
    }
}
