using MusicGen.Core.Limits;
using MusicGen.Core.Music;

namespace MusicGen.Core.Tokenization;

/// <summary>Configuration of <see cref="PerformanceTokenizer"/>.</summary>
public sealed record PerformanceConfig
{
    /// <summary>Smallest time shift in milliseconds (default 10).</summary>
    public int TimeShiftMs { get; init; } = 10;

    /// <summary>Largest single time shift in milliseconds (default 1000); a multiple of <see cref="TimeShiftMs"/>.</summary>
    public int MaxTimeShiftMs { get; init; } = 1000;

    /// <summary>Lowest pitch with NoteOn/NoteOff tokens.</summary>
    public int MinPitch { get; init; }

    /// <summary>Highest pitch with NoteOn/NoteOff tokens.</summary>
    public int MaxPitch { get; init; } = 127;

    /// <summary>Velocity bins; must divide 128 (see <see cref="VelocityBins"/>).</summary>
    public int VelocityBins { get; init; } = 32;

    /// <summary>General MIDI program of the decoded track.</summary>
    public int Program { get; init; }

    /// <summary>Throws when a value is out of range.</summary>
    public void Validate()
    {
        if (TimeShiftMs is < 1 or > 1000 || MaxTimeShiftMs < TimeShiftMs || MaxTimeShiftMs % TimeShiftMs != 0 || MaxTimeShiftMs > 60_000)
        {
            throw new ArgumentException(
                $"Performance time shifts {TimeShiftMs}..{MaxTimeShiftMs} ms are invalid (step 1..1000 ms, maximum a multiple of it, at most 60 s).");
        }

        if (MinPitch < 0 || MaxPitch > 127 || MinPitch > MaxPitch)
        {
            throw new ArgumentException($"Performance pitch range {MinPitch}..{MaxPitch} must lie within 0..127 and be non-empty.");
        }

        _ = new VelocityBins(VelocityBins);
        if (Program is < 0 or > 127)
        {
            throw new ArgumentException($"Performance program {Program} must be 0..127.");
        }
    }
}

/// <summary>
/// Performance events for expressive piano (Oore et al. 2018): <c>NoteOn_p</c>, <c>NoteOff_p</c>,
/// <c>TimeShift_10ms</c> .. <c>TimeShift_1000ms</c>, <c>Velocity_v</c> (sticky until the next Velocity).
/// </summary>
/// <remarks>
/// Encoding reads every non-drum note in real time (through the tempo map), rounds onsets and releases to the
/// time-shift step, gives each note at least one step, and ends a note early where the same pitch strikes again.
/// At one instant releases come before onsets, each ascending by pitch. Decoded scores have 500 ticks per quarter
/// and one tempo of 120 BPM, so a tick is one millisecond; all notes go to one track.
/// </remarks>
public sealed class PerformanceTokenizer : IMusicTokenizer
{
    /// <summary>Kind name.</summary>
    public const string KindName = "performance";

    /// <summary>Ticks per quarter of decoded scores (with 120 BPM, one tick per millisecond).</summary>
    public const int DecodedTicksPerQuarter = 500;

    private readonly Vocabulary _vocab;
    private readonly VelocityBins _velocity;

    /// <summary>Creates the tokenizer.</summary>
    public PerformanceTokenizer(PerformanceConfig? config = null)
    {
        Config = config ?? new PerformanceConfig();
        Config.Validate();
        _velocity = new VelocityBins(Config.VelocityBins);
        var names = new List<string> { "PAD", "BOS", "EOS" };
        NoteOnFirst = names.Count;
        for (var p = Config.MinPitch; p <= Config.MaxPitch; p++)
        {
            names.Add($"NoteOn_{p}");
        }

        NoteOffFirst = names.Count;
        for (var p = Config.MinPitch; p <= Config.MaxPitch; p++)
        {
            names.Add($"NoteOff_{p}");
        }

        TimeShiftFirst = names.Count;
        MaxShiftSteps = Config.MaxTimeShiftMs / Config.TimeShiftMs;
        for (var k = 1; k <= MaxShiftSteps; k++)
        {
            names.Add($"TimeShift_{k * Config.TimeShiftMs}ms");
        }

        VelocityFirst = names.Count;
        for (var b = 0; b < _velocity.Count; b++)
        {
            names.Add($"Velocity_{_velocity.Value(b)}");
        }

        _vocab = new Vocabulary(names);
    }

    /// <summary>The configuration.</summary>
    public PerformanceConfig Config { get; }

    /// <summary>The vocabulary.</summary>
    public Vocabulary Vocabulary => _vocab;

    /// <inheritdoc />
    public string Kind => KindName;

    /// <inheritdoc />
    public int VocabularySize => _vocab.Count;

    /// <inheritdoc />
    public int Pad => 0;

    /// <inheritdoc />
    public int Bos => 1;

    /// <inheritdoc />
    public int Eos => 2;

    internal int NoteOnFirst { get; }
    internal int NoteOffFirst { get; }
    internal int TimeShiftFirst { get; }
    internal int VelocityFirst { get; }
    internal int MaxShiftSteps { get; }
    internal int PitchCount => Config.MaxPitch - Config.MinPitch + 1;
    internal int VelocityCount => _velocity.Count;

    /// <inheritdoc />
    public string TokenName(int id) => _vocab.Name(id);

    /// <inheritdoc />
    public int TokenId(string name) => _vocab.Id(name);

    /// <inheritdoc />
    public string ToJson() => TokenizerJson.Write(KindName, Config, _vocab);

    /// <inheritdoc />
    public ITokenGrammar CreateGrammar() => new PerformanceGrammar(this);

    /// <summary>Encodes the score's non-drum notes in the pitch range.</summary>
    /// <exception cref="ArgumentException">The score has no positive ticks per quarter.</exception>
    /// <exception cref="InputLimitExceededException">The score exceeds <see cref="InputLimits.Default"/>.</exception>
    public int[] Encode(Score score) => Encode(score, InputLimits.Default);

    /// <inheritdoc />
    public int[] Encode(Score score, InputLimits limits)
    {
        ArgumentNullException.ThrowIfNull(score);
        ArgumentNullException.ThrowIfNull(limits);
        long lengthTicks = limits.CheckScore(score);
        if (score.TicksPerQuarter <= 0)
        {
            throw new ArgumentException($"Score ticks per quarter must be positive (is {score.TicksPerQuarter}).", nameof(score));
        }

        var clock = TempoMap.For(score);
        var stepUs = Config.TimeShiftMs * 1000.0;
        limits.CheckFrames((long)Math.Ceiling(clock.ToMicroseconds(lengthTicks) / stepUs),
            $"performance time steps ({Config.TimeShiftMs} ms each)");
        var perPitch = new List<(long Start, long End, int Vel)>[128];
        foreach (var track in score.Tracks)
        {
            if (track.IsDrum)
            {
                continue;
            }

            foreach (var n in track.Notes)
            {
                if (n.Pitch < Config.MinPitch || n.Pitch > Config.MaxPitch)
                {
                    continue;
                }

                var s = (long)Math.Round(clock.ToMicroseconds(n.Start) / stepUs, MidpointRounding.AwayFromZero);
                var e = (long)Math.Round(clock.ToMicroseconds(n.End) / stepUs, MidpointRounding.AwayFromZero);
                (perPitch[n.Pitch] ??= []).Add((s, Math.Max(e, s + 1), _velocity.Bin(n.Velocity)));
            }
        }

        var events = new List<(long Time, int Kind, int Pitch, int Vel)>();
        for (var p = 0; p < 128; p++)
        {
            var list = perPitch[p];
            if (list is null)
            {
                continue;
            }

            list.Sort();
            for (var i = 0; i < list.Count; i++)
            {
                var (s, e, v) = list[i];
                if (i + 1 < list.Count && list[i + 1].Start < e)
                {
                    e = list[i + 1].Start;
                }

                if (e <= s)
                {
                    continue; // struck again at the same instant: the later (longer) note stands
                }

                events.Add((s, 1, p, v));
                events.Add((e, 0, p, v));
            }
        }

        events.Sort();
        var ids = new List<int>(events.Count * 2) { Bos };
        long time = 0;
        var vel = -1;
        foreach (var (t, kind, pitch, v) in events)
        {
            var delta = t - time;
            while (delta > 0)
            {
                var k = (int)Math.Min(delta, MaxShiftSteps);
                ids.Add(TimeShiftFirst + k - 1);
                delta -= k;
            }

            time = t;
            if (kind == 0)
            {
                ids.Add(NoteOffFirst + pitch - Config.MinPitch);
            }
            else
            {
                if (v != vel)
                {
                    vel = v;
                    ids.Add(VelocityFirst + v);
                }

                ids.Add(NoteOnFirst + pitch - Config.MinPitch);
            }
        }

        ids.Add(Eos);
        return ids.ToArray();
    }

    /// <summary>
    /// Decodes any id sequence (total): stops at the first EOS; PAD, BOS and unknown ids are ignored; a NoteOn of a
    /// sounding pitch ends it there (or is ignored at the same instant); a NoteOff of a silent pitch, or at the
    /// instant of its NoteOn, is ignored; notes still sounding at the end are closed there (at least one step long);
    /// the velocity before any Velocity token is 64's bin.
    /// </summary>
    public Score Decode(ReadOnlySpan<int> ids)
    {
        var notes = new List<Note>();
        var start = new long[128];
        var startVel = new int[128];
        Array.Fill(start, -1);
        long time = 0;
        var vel = _velocity.Bin(64);
        var ms = Config.TimeShiftMs;
        foreach (var id in ids)
        {
            if (id == Eos)
            {
                break;
            }

            if (id <= Bos || id >= _vocab.Count)
            {
                continue;
            }

            if (id < NoteOffFirst)
            {
                var p = id - NoteOnFirst + Config.MinPitch;
                if (start[p] >= 0)
                {
                    if (start[p] == time)
                    {
                        continue;
                    }

                    notes.Add(new Note(start[p] * ms, time * ms, 0, p, _velocity.Value(startVel[p])));
                }

                start[p] = time;
                startVel[p] = vel;
            }
            else if (id < TimeShiftFirst)
            {
                var p = id - NoteOffFirst + Config.MinPitch;
                if (start[p] >= 0 && start[p] < time)
                {
                    notes.Add(new Note(start[p] * ms, time * ms, 0, p, _velocity.Value(startVel[p])));
                    start[p] = -1;
                }
            }
            else if (id < VelocityFirst)
            {
                time += id - TimeShiftFirst + 1;
            }
            else
            {
                vel = id - VelocityFirst;
            }
        }

        for (var p = 0; p < 128; p++)
        {
            if (start[p] >= 0)
            {
                notes.Add(new Note(start[p] * ms, Math.Max(time, start[p] + 1) * ms, 0, p, _velocity.Value(startVel[p])));
            }
        }

        var score = new Score { TicksPerQuarter = DecodedTicksPerQuarter, Format = 1 };
        score.Tempos.Add(new TempoChange(0, TempoMap.DefaultMicrosecondsPerQuarter));
        var track = new ScoreTrack { Index = 0, Program = Config.Program, Name = "Piano" };
        notes.Sort(static (a, b) => a.Start != b.Start ? a.Start.CompareTo(b.Start) : a.Pitch != b.Pitch ? a.Pitch.CompareTo(b.Pitch) : a.End.CompareTo(b.End));
        track.Notes.AddRange(notes);
        score.Tracks.Add(track);
        return score;
    }
}
