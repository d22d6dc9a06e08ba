using CsCheck;
using MusicGen.Core.Music;
using MusicGen.Core.Tokenization;

namespace MusicGen.Core.Tests.Tokenization;

/// <summary>Generators of scores that lie on a tokenizer's grid.</summary>
internal static class ScoreGen
{
    /// <summary>Scores on a REMI grid of 24 steps per quarter at various resolutions, with tempos and time signatures.</summary>
    public static Gen<Score> RemiOnGrid(RemiTokenizer t)
    {
        var res = t.Config.PositionsPerQuarter;
        var bins = new VelocityBins(t.Config.VelocityBins);
        var sigs = t.Vocabulary.Names.Where(n => n.StartsWith("TimeSig_", StringComparison.Ordinal))
            .Select(n => n["TimeSig_".Length..].Split('/')).Select(p => (int.Parse(p[0]), int.Parse(p[1]))).ToArray();
        var note = Gen.Select(Gen.Int[0, 40 * res], Gen.Int[1, 6 * res], Gen.Int[0, 127], Gen.Int[0, bins.Count - 1]);
        var track = Gen.Select(Gen.Int[0, 129], note.Array[0, 25]);
        var tempo = Gen.Select(Gen.Int[0, 40 * res], Gen.Int[t.Config.TempoMinBpm, t.Config.TempoMaxBpm]);
        var sig = Gen.Select(Gen.Int[0, 40 * res], Gen.Int[0, sigs.Length - 1]);
        return Gen.Select(Gen.Int[0, 5].Select(i => new[] { 96, 384, 480, 1024, 960, 24 }[i]), track.Array[0, 4], tempo.Array[0, 3], sig.Array[0, 3], Gen.Bool)
            .Select((tpq, tracks, tempos, ts, sigAtZero) =>
            {
                long Tick(int step) => (long)Math.Round(step * (double)tpq / res, MidpointRounding.AwayFromZero);
                var score = new Score { TicksPerQuarter = tpq };
                foreach (var (kind, notes) in tracks)
                {
                    var tr = new ScoreTrack { Index = score.Tracks.Count, Program = Math.Min(kind, 127), IsDrum = kind > 127 };
                    foreach (var (s, d, p, v) in notes)
                    {
                        tr.Notes.Add(new Note(Tick(s), Tick(s) + Tick(d), tr.IsDrum ? 9 : 0, p, bins.Value(v)));
                    }

                    tr.Notes.Sort((a, b) => a.Start != b.Start ? a.Start.CompareTo(b.Start) : a.Pitch.CompareTo(b.Pitch));
                    score.Tracks.Add(tr);
                }

                foreach (var (s, bpm) in tempos.OrderBy(x => x.Item1))
                {
                    score.Tempos.Add(new TempoChange(Tick(s), (int)Math.Round(60_000_000.0 / bpm, MidpointRounding.AwayFromZero)));
                }

                if (sigAtZero)
                {
                    score.TimeSignatures.Add(new TimeSignature(0, sigs[0].Item1, sigs[0].Item2));
                }

                foreach (var (s, i) in ts.OrderBy(x => x.Item1))
                {
                    score.TimeSignatures.Add(new TimeSignature(Tick(s), sigs[i].Item1, sigs[i].Item2));
                }

                return score;
            });
    }

    /// <summary>Piano scores at 120 BPM whose times are whole 10 ms steps (500 ticks per quarter = 1 ms per tick).</summary>
    public static Gen<Score> PerformanceOnGrid(PerformanceTokenizer t)
    {
        var bins = new VelocityBins(t.Config.VelocityBins);
        var step = t.Config.TimeShiftMs;
        var note = Gen.Select(Gen.Int[0, 1000], Gen.Int[1, 300], Gen.Int[0, 127], Gen.Int[0, bins.Count - 1]);
        return note.Array[0, 60].Select(notes =>
        {
            var score = new Score { TicksPerQuarter = 500 };
            score.Tempos.Add(new TempoChange(0, 500_000));
            var tr = new ScoreTrack();
            // No two notes of one pitch overlap (a restrike would shorten the earlier one).
            foreach (var g in notes.GroupBy(n => n.Item3))
            {
                long free = 0;
                foreach (var (s, d, p, v) in g.OrderBy(n => n.Item1))
                {
                    var start = Math.Max(s * step, free);
                    tr.Notes.Add(new Note(start, start + (d * step), 0, p, bins.Value(v)));
                    free = start + (d * step);
                }
            }

            tr.Notes.Sort((a, b) => a.Start != b.Start ? a.Start.CompareTo(b.Start) : a.Pitch.CompareTo(b.Pitch));
            score.Tracks.Add(tr);
            return score;
        });
    }
}
