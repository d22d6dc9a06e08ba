using MusicGen.Core.Music;

namespace MusicGen.Evaluation.Tests;

/// <summary>Builds small scores in code.</summary>
internal static class Scores
{
    public static Score Make(int ticksPerQuarter, params (long Start, long End, int Pitch)[] notes) =>
        Make(ticksPerQuarter, isDrum: false, notes);

    public static Score Make(int ticksPerQuarter, bool isDrum, params (long Start, long End, int Pitch)[] notes)
    {
        var score = new Score { TicksPerQuarter = ticksPerQuarter };
        AddTrack(score, isDrum, notes);
        return score;
    }

    public static ScoreTrack AddTrack(Score score, bool isDrum, params (long Start, long End, int Pitch)[] notes)
    {
        var track = new ScoreTrack { Index = score.Tracks.Count, IsDrum = isDrum };
        foreach (var (s, e, p) in notes.OrderBy(n => n.Start).ThenBy(n => n.Pitch))
        {
            track.Notes.Add(new Note(s, e, isDrum ? 9 : 0, p, 90));
        }

        score.Tracks.Add(track);
        return track;
    }

    /// <summary>
    /// A random piece from a simple generator: a melody (random walk on a scale, durations from a set) over a bass
    /// line of whole notes. <paramref name="chromatic"/> draws melody pitches from all 12 classes instead of the scale.
    /// </summary>
    public static Score Random(Random rng, bool chromatic = false, int[]? durations = null, int bars = 8)
    {
        durations ??= [240, 480, 480, 960];
        int[] major = [0, 2, 4, 5, 7, 9, 11];
        var score = new Score { TicksPerQuarter = 480 };
        score.Tempos.Add(new TempoChange(0, 500_000));
        score.TimeSignatures.Add(new TimeSignature(0, 4, 4));
        int tonic = 60 + rng.Next(-3, 4);
        var melody = new List<(long, long, int)>();
        long t = 0;
        int degree = 7;
        long end = bars * 1920L;
        while (t < end)
        {
            long d = Math.Min(durations[rng.Next(durations.Length)], end - t);
            degree = Math.Clamp(degree + rng.Next(-2, 3), 0, 14);
            int pitch = chromatic ? tonic + rng.Next(0, 24) : tonic + (12 * (degree / 7)) + major[degree % 7];
            melody.Add((t, t + d, pitch));
            t += d;
        }

        var bass = new List<(long, long, int)>();
        for (int b = 0; b < bars; b++)
        {
            bass.Add((b * 1920L, (b + 1) * 1920L, tonic - 24 + major[rng.Next(7)]));
        }

        AddTrack(score, false, melody.ToArray());
        AddTrack(score, false, bass.ToArray());
        return score;
    }
}
