using MusicGen.Core.Metrics;
using MusicGen.Core.Music;

namespace MusicGen.Evaluation.Tests;

public class MusicMetricsTests
{
    // tpq 24 = the default metric resolution, so no re-quantisation: C E G chord (G held), then D, a rest, C#.
    private static Score Example() => Scores.Make(24, (0, 24, 60), (0, 24, 64), (0, 48, 67), (48, 72, 62), (96, 120, 61));

    private static MetricView View(Score s, MetricOptions? o = null) => MetricView.Create(s, o);

    [Fact]
    public void Pitch_counts_and_range()
    {
        var v = View(Example());
        Assert.Equal(7, MusicMetrics.PitchRange(v));
        Assert.Equal(5, MusicMetrics.NPitchesUsed(v));
        Assert.Equal(5, MusicMetrics.NPitchClassesUsed(v));
    }

    [Fact]
    public void Polyphony_and_rate_on_the_binary_piano_roll()
    {
        var v = View(Example());
        // Steps 0-23: 3 pitches; 24-47: 1; 48-71: 1; 72-95: none; 96-119: 1 -> (72+24+24+24)/96.
        Assert.Equal(1.5, MusicMetrics.Polyphony(v), 12);
        // More than 2 pitches on 24 of 120 steps.
        Assert.Equal(0.2, MusicMetrics.PolyphonyRate(v, 2), 12);
        Assert.Equal(96.0 / 120, MusicMetrics.PolyphonyRate(v, 0), 12);
    }

    [Fact]
    public void Overlapping_notes_of_one_pitch_count_once()
    {
        var v = View(Scores.Make(24, (0, 24, 60), (12, 36, 60)));
        Assert.Equal(1.0, MusicMetrics.Polyphony(v), 12);
    }

    [Fact]
    public void Scale_rates()
    {
        var v = View(Example());
        Assert.Equal(0.8, MusicMetrics.PitchInScaleRate(v, 0, ScaleMode.Major), 12);     // C# is out
        Assert.Equal(0.4, MusicMetrics.PitchInScaleRate(v, 1, ScaleMode.Major), 12);     // Db major: C, C#
        Assert.Equal(0.8, MusicMetrics.PitchInScaleRate(v, 9, ScaleMode.Minor), 12);     // A minor: same classes as C major
        Assert.Equal(0.8, MusicMetrics.ScaleConsistency(v), 12);                         // no diatonic scale holds C, C#, D
    }

    [Fact]
    public void Entropies_in_bits()
    {
        var v = View(Example());
        Assert.Equal(Math.Log2(5), MusicMetrics.PitchEntropy(v), 12);
        Assert.Equal(Math.Log2(5), MusicMetrics.PitchClassEntropy(v), 12);
        // Pitches 60, 60, 62, 72: pitch histogram 1/2, 1/4, 1/4 -> 1.5 bits; classes 0 (3/4), 2 (1/4).
        var w = View(Scores.Make(24, (0, 24, 60), (24, 48, 60), (48, 72, 62), (72, 96, 72)));
        Assert.Equal(1.5, MusicMetrics.PitchEntropy(w), 12);
        Assert.Equal(-(0.75 * Math.Log2(0.75)) - (0.25 * Math.Log2(0.25)), MusicMetrics.PitchClassEntropy(w), 12);
    }

    [Fact]
    public void Empty_beat_and_measure_rates_follow_muspy_counting()
    {
        // Length 110 -> 110/24 + 1 = 5 beats; the notes fill beat 0 and beat 4.
        var v = View(Scores.Make(24, (0, 12, 60), (100, 110, 62)));
        Assert.Equal(0.6, MusicMetrics.EmptyBeatRate(v), 12);
        // A note ending exactly on a beat also fills that beat (MusPy's inclusive end): beats 0 and 1 of 2.
        Assert.Equal(0.0, MusicMetrics.EmptyBeatRate(View(Scores.Make(24, (0, 24, 60)))), 12);
        // Measures of 96 steps: length 400 -> 5 measures, notes in measures 0 and 4.
        var m = View(Scores.Make(24, (0, 12, 60), (390, 400, 62)));
        Assert.Equal(0.6, MusicMetrics.EmptyMeasureRate(m, 96), 12);
        Assert.Equal(96, m.MeasureResolution);
    }

    [Fact]
    public void Groove_consistency_counts_hamming_distance_of_neighbouring_measures()
    {
        // Measure 0 onsets at 0 and 48, measure 1 at 0 (step 96): one differing slot of 96.
        var v = View(Example());
        Assert.Equal(1 - (1.0 / 96), MusicMetrics.GrooveConsistency(v, 96), 12);
        // One measure only: undefined.
        Assert.True(double.IsNaN(MusicMetrics.GrooveConsistency(View(Scores.Make(24, (0, 24, 60))), 96)));
        // Three measures: onsets {0}, {0, 24}, {0}: 2 differences over 2 * 96 slots.
        var w = View(Scores.Make(24, (0, 24, 60), (96, 100, 60), (120, 124, 60), (192, 200, 60)));
        Assert.Equal(1 - (2.0 / 192), MusicMetrics.GrooveConsistency(w, 96), 12);
    }

    [Fact]
    public void Drum_metrics_use_only_drum_tracks()
    {
        // Onsets within the beat at 0, 6, 8, 12, 18 of 24 steps: duple grid {0, 6, 12, 18}, triple {0, 8, 16}.
        var score = Scores.Make(24, isDrum: true, (0, 1, 36), (30, 31, 38), (32, 33, 42), (36, 37, 36), (42, 43, 38));
        var v = View(score);
        Assert.Equal(0.8, MusicMetrics.DrumInPatternRate(v, DrumMeter.Duple), 12);
        Assert.Equal(0.4, MusicMetrics.DrumInPatternRate(v, DrumMeter.Triple), 12);
        Assert.Equal(0.8, MusicMetrics.DrumPatternConsistency(v), 12);
        Assert.Equal(0, MusicMetrics.NPitchesUsed(v));
        Assert.Equal(0, MusicMetrics.PitchRange(v));
        Assert.True(double.IsNaN(MusicMetrics.PitchEntropy(v)));
        Assert.True(double.IsNaN(MusicMetrics.DrumPatternConsistency(View(Example()))));
    }

    [Fact]
    public void Note_density_per_beat_and_per_second()
    {
        var v = View(Example());
        Assert.Equal(1.0, MusicMetrics.NoteDensityPerBeat(v), 12);     // 5 notes in 5 beats
        Assert.Equal(2.0, MusicMetrics.NoteDensityPerSecond(v), 12);   // 5 beats at 120 BPM = 2.5 s
        var s = Example();
        s.Tempos.Add(new TempoChange(0, 1_000_000));                   // 60 BPM
        s.Tempos.Add(new TempoChange(48, 250_000));                    // 240 BPM from beat 2
        // 2 beats at 1 s + 3 beats at 0.25 s = 2.75 s.
        Assert.Equal(2.75, TempoMap.For(s).ToSeconds(120), 12);
        Assert.Equal(5 / 2.75, MusicMetrics.NoteDensityPerSecond(View(s)), 12);
    }

    [Fact]
    public void Requantisation_rounds_half_to_even_like_python()
    {
        // 480 -> 24 ticks per quarter: factor 1/20. Tick 10 -> 0.5 -> 0; tick 30 -> 1.5 -> 2; 490 -> 24.5 -> 24.
        var v = View(Scores.Make(480, (10, 490, 60), (30, 960, 62)));
        Assert.Equal(new GridNote(0, 24, 60, false), v.Notes[0]);
        Assert.Equal(new GridNote(2, 48, 62, false), v.Notes[1]);
        Assert.Equal(48, v.Length);
        var native = View(Scores.Make(480, (10, 490, 60)), new MetricOptions { Resolution = null });
        Assert.Equal(480, native.Resolution);
        Assert.Equal(1920, native.MeasureResolution);
    }

    [Fact]
    public void Key_and_time_signatures_set_the_defaults()
    {
        var s = Example();
        s.KeySignatures.Add(new KeySignature(0, 1, true));   // E minor
        s.TimeSignatures.Add(new TimeSignature(0, 6, 8));
        var v = View(s);
        Assert.Equal(4, v.ScaleRoot);
        Assert.Equal(ScaleMode.Minor, v.ScaleMode);
        Assert.Equal(DrumMeter.Triple, v.DrumMeter);
        Assert.Equal(72, v.MeasureResolution);               // 24 * 4 * 6/8
        var flat = Example();
        flat.KeySignatures.Add(new KeySignature(0, -3, false));
        Assert.Equal(3, View(flat).ScaleRoot);               // E-flat major
        var forced = View(s, new MetricOptions { ScaleRoot = 0, ScaleMode = ScaleMode.Major, MeasureResolution = 96 });
        Assert.Equal(0.8, MusicMetrics.Compute(forced)[MetricIndex("pitch_in_scale_rate")], 12);
    }

    [Fact]
    public void Empty_score_gives_zero_counts_and_undefined_rates()
    {
        var values = MusicMetrics.Compute(new Score());
        Assert.Equal(MusicMetrics.Names.Count, values.Length);
        Assert.Equal(0, values[MetricIndex("pitch_range")]);
        Assert.Equal(0, values[MetricIndex("n_pitches_used")]);
        Assert.True(double.IsNaN(values[MetricIndex("polyphony")]));
        Assert.True(double.IsNaN(values[MetricIndex("empty_beat_rate")]));
        Assert.True(double.IsNaN(values[MetricIndex("note_density")]));
    }

    [Fact]
    public void Bad_options_and_notes_are_rejected_with_a_message()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => MetricView.Create(Example(), new MetricOptions { Resolution = 0 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => MetricView.Create(Example(), new MetricOptions { ScaleRoot = 12 }));
        var bad = Scores.Make(24, (0, 24, 60));
        bad.Tracks[0].Notes.Add(new Note(30, 20, 0, 60, 90));
        var ex = Assert.Throws<ArgumentException>(() => MetricView.Create(bad));
        Assert.Contains("tick 30", ex.Message);
        // A note a million hours in: refused with the reason, not a giant allocation.
        var huge = Scores.Make(480, (0, 480, 60), (1L << 40, (1L << 40) + 480, 62));
        Assert.Contains("time steps", Assert.Throws<ArgumentException>(() => MetricView.Create(huge)).Message);
    }

    [Fact]
    public void Histograms()
    {
        var pc = PieceFeatures.PitchClassHistogram(Example());
        Assert.Equal(0.2, pc[0], 12);
        Assert.Equal(0.2, pc[1], 12);
        Assert.Equal(0, pc[5], 12);
        // Skyline of one track: onsets 0 (top 67), 48 (62), 96 (61): intervals -5, -1.
        var iv = PieceFeatures.IntervalHistogram(Example());
        Assert.Equal(0.5, iv[-5 + PieceFeatures.MaxInterval], 12);
        Assert.Equal(0.5, iv[-1 + PieceFeatures.MaxInterval], 12);
        // A two-octave leap is clamped to the +12 bin.
        var leap = PieceFeatures.IntervalHistogram(Scores.Make(24, (0, 24, 48), (24, 48, 72)));
        Assert.Equal(1.0, leap[PieceFeatures.IntervalBins - 1], 12);
    }

    private static int MetricIndex(string name) => MusicMetrics.Names.ToList().IndexOf(name);
}
