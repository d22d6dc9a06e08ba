using MusicGen.Core.Metrics;
using MusicGen.Core.Music;

namespace MusicGen.Core.Tests.Keys;

public sealed class ChordRecognizerTests
{
    [Fact]
    public void Every_chord_is_recognised_from_its_own_notes_in_any_voicing()
    {
        for (var i = 0; i < Chord.Count; i++)
        {
            var chord = Chord.FromIndex(i);
            var w = new double[12];
            var octave = 0;
            foreach (var step in chord.Intervals) w[(chord.Root + step + (12 * octave++)) % 12] += 1 + octave; // uneven weights
            Assert.Equal(chord.Mask, ChordRecognizer.Recognize(w)!.Value.Mask); // augmented triads are symmetric: C+ = E+ = G#+
        }

        Assert.Null(ChordRecognizer.Recognize(new double[12]));
        Assert.Equal("F#m7", new Chord(6, ChordQuality.Minor7).Name);
        Assert.Equal("Bbmaj7", new Chord(10, ChordQuality.Major7).Name);
    }

    [Fact]
    public void A_passing_note_does_not_change_the_chord_and_an_empty_segment_has_none()
    {
        // Beats 0-1: C major + a short D; beats 2-3: nothing; beats 4-5: G7.
        (long, long, int)[] notes =
        [
            (0, 192, 48), (0, 192, 52), (0, 192, 55), (96, 120, 62),
            (384, 576, 43), (384, 576, 47), (384, 576, 50), (384, 576, 53),
        ];
        var chords = ChordRecognizer.Segments(notes, 192, 576);
        Assert.Equal([new Chord(0, ChordQuality.Major), null, new Chord(7, ChordQuality.Dominant7)], chords);
    }

    [Fact]
    public void Chord_metrics_follow_the_harmony()
    {
        // The cadence: I IV V I in C with a scale melody over it, one chord per 4/4 bar.
        var score = KeyFinderTests.Cadence(MusicalKey.Parse("C major"), new KeySignature(0, 0, false));
        score.TimeSignatures.Add(new TimeSignature(0, 4, 4));
        var view = MetricView.Create(score);
        Assert.Equal(2 * 24, MusicMetrics.HarmonySegment(view)); // half a 4/4 bar at 24 steps per quarter
        Assert.InRange(MusicMetrics.ChordToneRate(view), 0.7, 1.0);
        Assert.Equal(1.0, MusicMetrics.KeyConsistency(view), 6); // one judged window (bars 1-4), in C

        // Block chords alone, a bar each: C F G C, then a C held two bars. Half-bar segments:
        // C C F F G G C C C C C C -> 3 changes in 11 neighbours, every note a chord tone.
        var chords = new Score { TicksPerQuarter = 96 };
        chords.TimeSignatures.Add(new TimeSignature(0, 4, 4));
        var track = new ScoreTrack();
        chords.Tracks.Add(track);
        int[][] bars = [[48, 52, 55], [53, 57, 60], [55, 59, 62], [48, 52, 55]];
        for (var b = 0; b < bars.Length; b++)
        {
            foreach (var p in bars[b]) track.Notes.Add(new Note(b * 384, (b + 1) * 384, 0, p, 80));
        }

        track.Notes.Add(new Note(4 * 384, 6 * 384, 0, 48, 80));
        var cv = MetricView.Create(chords);
        Assert.Equal(3.0 / 11, MusicMetrics.ChordChangeRate(cv), 6);
        Assert.Equal(1.0, MusicMetrics.ChordToneRate(cv), 6);
        Assert.True(double.IsNaN(MusicMetrics.ChordChangeRate(MetricView.Create(new Score()))));
    }

    [Fact]
    public void Key_consistency_counts_windows_in_the_piece_key()
    {
        // 8 bars of C major scale notes then 8 bars of F# major: half the 4-bar windows leave the key.
        var score = new Score { TicksPerQuarter = 96 };
        score.TimeSignatures.Add(new TimeSignature(0, 4, 4));
        var track = new ScoreTrack();
        score.Tracks.Add(track);
        int[] major = [0, 2, 4, 5, 7, 9, 11, 12];
        for (var bar = 0; bar < 16; bar++)
        {
            var tonic = bar < 8 ? 60 : 66;
            for (var q = 0; q < 4; q++) track.Notes.Add(new Note((bar * 384) + (q * 96), (bar * 384) + ((q + 1) * 96), 0, tonic + major[((bar * 4) + q) % 8], 80));
        }

        score.KeySignatures.Add(new KeySignature(0, 0, false));
        score.KeySignatures.Add(new KeySignature(8 * 384, 6, false));
        Assert.Equal(1.0, MusicMetrics.KeyConsistency(MetricView.Create(score)), 6); // the signatures follow the music
        score.KeySignatures.RemoveAt(1);
        var c = MusicMetrics.KeyConsistency(MetricView.Create(score));
        Assert.Equal(0.5, c, 6); // one key for the whole piece: half the windows disagree
    }
}
