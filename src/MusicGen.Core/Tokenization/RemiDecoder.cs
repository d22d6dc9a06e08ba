using MusicGen.Core.Music;

namespace MusicGen.Core.Tokenization;

/// <summary>REMI ids to a score (<see cref="RemiTokenizer.Decode"/>): total, never throws.</summary>
internal static class RemiDecoder
{
    public static Score Decode(RemiTokenizer t, ReadOnlySpan<int> ids)
    {
        var res = t.Config.PositionsPerQuarter;
        var maxDur = (long)t.Config.MaxNoteQuarters * res;
        var notes = new List<(long Step, int Key, int Pitch, int Vel, long Dur)>();
        var tempos = new List<(long Step, int Value)>();
        var sigs = new List<(long Step, int Value)>();
        var keys = new List<(long Step, int Value)>();

        var barOpen = false;
        long barStart = 0;
        var ts = t.DefaultTimeSig;
        var pos = -1;
        var lastWasBarePosition = false;
        long cutStart = -1; // a bar cut short by a bare Position: where the next bar starts if a TimeSig change follows
        var tsSet = false;
        var program = 0;
        var hasPending = false;
        long pStep = 0;
        int pPitch = 0, pVel = -1;
        long pDur = 0;

        void ClosePending()
        {
            if (!hasPending)
            {
                return;
            }

            var vel = pVel >= 0 ? pVel : t.Velocity.Bin(64);
            var dur = pDur > 0 ? Math.Min(pDur, maxDur) : res;
            notes.Add((pStep, program, pPitch, vel, dur));
            hasPending = false;
        }

        foreach (var id in ids)
        {
            if (id == t.Eos)
            {
                break;
            }

            if (id <= t.Bos || id >= t.VocabularySize)
            {
                continue;
            }

            var isTimeSig = id >= t.TimeSigFirst && id < t.KeyFirst;
            if (cutStart >= 0 && isTimeSig && (!tsSet || id - t.TimeSigFirst != ts))
            {
                // As in the grammar, a bar is cut only where a signature is first given or changes; otherwise it
                // runs its full length, so re-encoding (which finds bar lines in the signature map) finds the same bars.
                barStart = cutStart;
            }

            cutStart = -1;
            var barePosition = false;
            if (id == t.BarId)
            {
                ClosePending();
                if (!barOpen)
                {
                    barOpen = true;
                    barStart = 0;
                }
                else
                {
                    if (lastWasBarePosition && pos > 0)
                    {
                        cutStart = barStart + pos;
                    }

                    barStart += t.BarSteps(ts);
                }

                pos = -1;
            }
            else if (id < t.ProgramFirst)
            {
                barOpen = true;
                var k = id - t.PositionFirst;
                if (k < t.BarSteps(ts))
                {
                    ClosePending();
                    pos = k;
                    barePosition = true;
                }
                else
                {
                    barePosition = lastWasBarePosition;
                }
            }
            else if (id < t.PitchFirst)
            {
                ClosePending();
                program = id - t.ProgramFirst;
            }
            else if (id < t.VelocityFirst)
            {
                barOpen = true;
                ClosePending();
                hasPending = true;
                pStep = barStart + Math.Max(pos, 0);
                pPitch = id - t.PitchFirst + t.Config.MinPitch;
                pVel = -1;
                pDur = 0;
            }
            else if (id < t.DurationFirst)
            {
                if (hasPending && pVel < 0 && pDur == 0)
                {
                    pVel = id - t.VelocityFirst;
                }
                else
                {
                    barePosition = lastWasBarePosition; // ignored
                }
            }
            else if (id < t.TempoFirst)
            {
                if (hasPending)
                {
                    pDur = Math.Min(pDur + t.DurationStepsOf(id - t.DurationFirst), maxDur);
                }
                else
                {
                    barePosition = lastWasBarePosition; // ignored
                }
            }
            else if (id < t.TimeSigFirst)
            {
                barOpen = true;
                ClosePending();
                tempos.Add((barStart + Math.Max(pos, 0), id - t.TempoFirst));
            }
            else if (id >= t.ChordFirst)
            {
                barOpen = true; // a chord describes the notes; nothing to decode
            }
            else if (pos < 0)
            {
                // TimeSig or Key: only at the bar line (right after Bar or its TimeSig).
                barOpen = true;
                if (isTimeSig)
                {
                    ts = id - t.TimeSigFirst;
                    tsSet = true;
                    sigs.Add((barStart, ts));
                }
                else
                {
                    keys.Add((barStart, id - t.KeyFirst));
                }
            }
            else
            {
                barOpen = true;
                barePosition = lastWasBarePosition; // ignored
            }

            lastWasBarePosition = barePosition;
        }

        ClosePending();

        return BuildScore(t, notes, tempos, sigs, keys);
    }

    private static Score BuildScore(
        RemiTokenizer t,
        List<(long Step, int Key, int Pitch, int Vel, long Dur)> notes,
        List<(long Step, int Value)> tempos,
        List<(long Step, int Value)> sigs,
        List<(long Step, int Value)> keys)
    {
        var stepTicks = t.StepTicks;
        var score = new Score { TicksPerQuarter = t.Config.TicksPerQuarter, Format = 1 };
        var tracks = new Dictionary<int, ScoreTrack>();
        var nextChannel = 0;
        var channels = new Dictionary<int, int>();
        foreach (var n in notes)
        {
            if (!tracks.TryGetValue(n.Key, out var track))
            {
                var drums = n.Key == RemiTokenizer.DrumKey;
                track = new ScoreTrack
                {
                    Index = score.Tracks.Count,
                    Program = drums ? 0 : n.Key,
                    IsDrum = drums,
                    Name = drums ? "Drums" : $"Program {n.Key}",
                };
                tracks.Add(n.Key, track);
                score.Tracks.Add(track);
                if (drums)
                {
                    channels[n.Key] = 9;
                }
                else
                {
                    channels[n.Key] = nextChannel;
                    nextChannel = (nextChannel + 1) % 16;
                    if (nextChannel == 9)
                    {
                        nextChannel = 10;
                    }
                }
            }

            var start = n.Step * stepTicks;
            track.Notes.Add(new Note(start, start + (n.Dur * stepTicks), channels[n.Key], n.Pitch, t.Velocity.Value(n.Vel)));
        }

        foreach (var track in score.Tracks)
        {
            track.Notes.Sort(static (a, b) =>
            {
                var c = a.Start.CompareTo(b.Start);
                return c != 0 ? c : a.Pitch != b.Pitch ? a.Pitch.CompareTo(b.Pitch) : a.End.CompareTo(b.End);
            });
        }

        foreach (var (step, value) in RemiEncoder.LastPerStep(tempos))
        {
            score.Tempos.Add(new TempoChange(step * stepTicks, t.TempoMicroseconds(value)));
        }

        foreach (var (step, value) in RemiEncoder.LastPerStep(sigs))
        {
            var (num, den) = t.TimeSignatureOf(value);
            score.TimeSignatures.Add(new TimeSignature(step * stepTicks, num, den));
        }

        foreach (var (step, value) in RemiEncoder.NormalizeMap(keys))
        {
            var key = MusicalKey.FromIndex(value);
            score.KeySignatures.Add(new KeySignature(step * stepTicks, key.SharpsFlats, key.IsMinor));
        }

        return score;
    }
}
