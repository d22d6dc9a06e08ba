using MusicGen.Core.Music;

namespace MusicGen.Core.Corpus;

/// <summary>
/// Data augmentation of training pieces. Each augmented copy draws, from its own seeded generator, a transposition
/// (among those keeping every pitched note inside [<see cref="PitchMin"/>, <see cref="PitchMax"/>]; drums never move),
/// a tempo stretch factor and a velocity jitter per note.
/// </summary>
public sealed record AugmentationOptions
{
    /// <summary>Augmented copies per training piece, besides the original (0: no augmentation).</summary>
    public int Copies { get; init; }

    /// <summary>Lowest transposition in semitones.</summary>
    public int TransposeMin { get; init; } = -5;

    /// <summary>Highest transposition in semitones.</summary>
    public int TransposeMax { get; init; } = 6;

    /// <summary>Lowest pitch a transposed note may reach.</summary>
    public int PitchMin { get; init; } = 21;

    /// <summary>Highest pitch a transposed note may reach.</summary>
    public int PitchMax { get; init; } = 108;

    /// <summary>Smallest time-stretch factor (tempo divided by it: above 1 is slower).</summary>
    public double StretchMin { get; init; } = 1.0;

    /// <summary>Largest time-stretch factor.</summary>
    public double StretchMax { get; init; } = 1.0;

    /// <summary>Largest velocity change per note (uniform in [-j, j], clamped to 1..127).</summary>
    public int VelocityJitter { get; init; }

    /// <summary>Throws when a value is out of range.</summary>
    public void Validate()
    {
        if (Copies is < 0 or > 64)
        {
            throw new ArgumentException($"Augmentation copies {Copies} must be 0..64.");
        }

        if (TransposeMin > TransposeMax || TransposeMin < -24 || TransposeMax > 24)
        {
            throw new ArgumentException($"Transposition range {TransposeMin}..{TransposeMax} must be ordered and within -24..24.");
        }

        if (PitchMin < 0 || PitchMax > 127 || PitchMin > PitchMax)
        {
            throw new ArgumentException($"Augmentation pitch range {PitchMin}..{PitchMax} must lie within 0..127.");
        }

        if (!(StretchMin > 0.25 && StretchMax <= 4 && StretchMin <= StretchMax))
        {
            throw new ArgumentException($"Tempo stretch {StretchMin}..{StretchMax} must be ordered and within 0.25..4.");
        }

        if (VelocityJitter is < 0 or > 64)
        {
            throw new ArgumentException($"Velocity jitter {VelocityJitter} must be 0..64.");
        }
    }

    /// <summary>An augmented copy of a score and a short description of what was done.</summary>
    public (Score Score, string Description) Apply(Score score, SplitMix64 rng)
    {
        ArgumentNullException.ThrowIfNull(score);
        ArgumentNullException.ThrowIfNull(rng);
        var (lo, hi) = PitchedRange(score);
        var shift = PickShift(lo, hi, rng);
        var stretch = StretchMin + ((StretchMax - StretchMin) * rng.NextDouble());
        var result = shift != 0 ? score.Transpose(shift) : score.Clone();
        if (stretch != 1.0)
        {
            if (result.Tempos.Count == 0)
            {
                result.Tempos.Add(new TempoChange(0, TempoMap.DefaultMicrosecondsPerQuarter));
            }

            for (var i = 0; i < result.Tempos.Count; i++)
            {
                var t = result.Tempos[i];
                result.Tempos[i] = t with { MicrosecondsPerQuarter = (int)Math.Clamp(Math.Round(t.MicrosecondsPerQuarter * stretch), 1, 0xFFFFFF) };
            }
        }

        if (VelocityJitter > 0)
        {
            foreach (var track in result.Tracks)
            {
                for (var i = 0; i < track.Notes.Count; i++)
                {
                    var n = track.Notes[i];
                    track.Notes[i] = n with { Velocity = Math.Clamp(n.Velocity + rng.NextInt(-VelocityJitter, VelocityJitter), 1, 127) };
                }
            }
        }

        return (result, Describe(shift, stretch));
    }

    /// <summary>An augmented copy of chorale frames: transposition only.</summary>
    public (int[][] Frames, string Description) Apply(int[][] frames, SplitMix64 rng)
    {
        ArgumentNullException.ThrowIfNull(frames);
        ArgumentNullException.ThrowIfNull(rng);
        int lo = 127, hi = 0;
        foreach (var f in frames)
        {
            foreach (var p in f)
            {
                lo = Math.Min(lo, p);
                hi = Math.Max(hi, p);
            }
        }

        var shift = PickShift(lo, hi, rng);
        return (frames.Select(f => f.Select(p => p + shift).ToArray()).ToArray(), Describe(shift, 1.0));
    }

    /// <summary>Lowest and highest pitch of the notes a transposition moves (not drum tracks, not channel 10); (127, 0) when there are none.</summary>
    internal static (int Lo, int Hi) PitchedRange(Score score)
    {
        int lo = 127, hi = 0;
        foreach (var track in score.Tracks)
        {
            if (track.IsDrum)
            {
                continue;
            }

            foreach (var n in track.Notes)
            {
                if (n.Channel != 9)
                {
                    lo = Math.Min(lo, n.Pitch);
                    hi = Math.Max(hi, n.Pitch);
                }
            }
        }

        return (lo, hi);
    }

    private int PickShift(int lo, int hi, SplitMix64 rng)
    {
        if (lo > hi)
        {
            return 0; // no pitched notes
        }

        // Shifts other than 0 that keep [lo, hi] inside the range.
        var from = Math.Max(TransposeMin, PitchMin - lo);
        var to = Math.Min(TransposeMax, PitchMax - hi);
        var candidates = to - from + 1 - (from <= 0 && to >= 0 ? 1 : 0);
        if (candidates <= 0)
        {
            return 0;
        }

        var k = rng.NextInt(candidates);
        var shift = from + k;
        if (from <= 0 && shift >= 0)
        {
            shift++;
        }

        return shift;
    }

    private string Describe(int shift, double stretch) =>
        string.Create(System.Globalization.CultureInfo.InvariantCulture, $"transpose={shift:+0;-0;0} stretch={stretch:0.###} jitter={VelocityJitter}");
}
