using MusicGen.Core.Music;
using MusicGen.Listening;

namespace MusicGen.Listening.Tests;

public sealed class ExcerptTests
{
    private const int Tpq = 480;

    // 600,000 µs per quarter: a quarter lasts 0.6 s, a 4/4 bar 2.4 s.
    private static Score Piece(params Note[] notes)
    {
        var score = new Score { TicksPerQuarter = Tpq };
        var track = new ScoreTrack { Index = 3, Name = "Piano RH from some-file.mid", Program = 41 };
        track.Notes.AddRange(notes);
        score.Tracks.Add(track);
        score.Tempos.Add(new TempoChange(0, 600_000));
        score.TimeSignatures.Add(new TimeSignature(0, 1, 4)); // a meaningless meter (as POP909's files have): the cut ignores it
        score.KeySignatures.Add(new KeySignature(0, 2, false));
        return score;
    }

    [Fact]
    public void Cut_starts_at_the_first_note_and_keeps_the_seconds_asked_for()
    {
        var score = Piece(
            new Note(9 * Tpq, 10 * Tpq, 0, 60, 90),    // first note, after two empty bars
            new Note(12 * Tpq, 13 * Tpq, 0, 62, 80),
            new Note(14 * Tpq, 16 * Tpq, 0, 64, 70),   // crosses the end of a 3.6 s excerpt (quarter 15): clipped
            new Note(15 * Tpq, 16 * Tpq, 0, 65, 70),   // starts exactly at the end: left out
            new Note(24 * Tpq, 25 * Tpq, 0, 67, 70));
        var clip = Excerpt.Cut(score, 3.6); // six quarters
        var notes = clip.AllNotes.ToList();
        Assert.Equal([0, 3 * Tpq, 5 * Tpq], notes.Select(n => n.Start));
        Assert.Equal(6 * Tpq, notes[2].End);
        Assert.Equal(600_000, Assert.Single(clip.Tempos).MicrosecondsPerQuarter);
        // Nothing but the music: no names, programs or key signatures.
        Assert.All(clip.Tracks, t => { Assert.Null(t.Name); Assert.Equal(0, t.Program); });
        Assert.Empty(clip.KeySignatures);
        Assert.Equal(3.6, Excerpt.Notes(clip).Max(n => n.End), 9);
    }

    [Fact]
    public void Cut_follows_tempo_changes_and_carries_the_tempo_in_force()
    {
        // 0.6 s per quarter for one quarter, then 0.4 s: 2.2 s = one quarter + four quarters.
        var score = Piece(new Note(0, Tpq, 0, 60, 90), new Note(5 * Tpq - 1, 5 * Tpq, 0, 62, 90), new Note(5 * Tpq, 6 * Tpq, 0, 64, 90));
        score.Tempos.Add(new TempoChange(Tpq, 400_000));
        score.Tempos.Add(new TempoChange(8 * Tpq, 300_000)); // after the end: not carried
        var clip = Excerpt.Cut(score, 2.2);
        Assert.Equal([60, 62], clip.AllNotes.Select(n => n.Pitch));
        Assert.Equal([new TempoChange(0, 600_000), new TempoChange(Tpq, 400_000)], clip.Tempos);
        Assert.Equal(new TimeSignature(0, 1, 4), Assert.Single(clip.TimeSignatures));
    }

    [Fact]
    public void Cut_rebases_a_later_tempo_to_the_first_note()
    {
        var score = Piece(new Note(4 * Tpq, 5 * Tpq, 0, 60, 90));
        score.Tempos.Add(new TempoChange(2 * Tpq, 250_000));
        var clip = Excerpt.Cut(score, 1);
        Assert.Equal(250_000, Assert.Single(clip.Tempos).MicrosecondsPerQuarter);
        Assert.Equal(new Note(0, Tpq, 0, 60, 90), Assert.Single(clip.AllNotes));
    }

    [Fact]
    public void Notes_are_seconds_through_the_tempo_map_sorted_by_onset()
    {
        var score = Piece(new Note(Tpq, 2 * Tpq, 0, 64, 90), new Note(0, Tpq, 0, 67, 80), new Note(0, Tpq, 0, 60, 100));
        var notes = Excerpt.Notes(Excerpt.Cut(score, 10));
        Assert.Equal([60, 67, 64], notes.Select(n => n.Pitch));
        Assert.Equal(0.6, notes[2].Start, 9);
        Assert.Equal(1.2, notes[2].End, 9);
        Assert.Equal(100, notes[0].Velocity);
    }

    [Fact]
    public void Empty_piece_gives_an_empty_clip_and_bad_lengths_are_refused()
    {
        Assert.Empty(Excerpt.Cut(Piece(), 4).AllNotes);
        Assert.Throws<ArgumentOutOfRangeException>(() => Excerpt.Cut(Piece(), 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => Excerpt.Cut(Piece(), double.NaN));
    }
}
