using MusicGen.Core.Limits;
using MusicGen.Core.Music;

namespace MusicGen.Core.Tokenization;

/// <summary>
/// REMI-style metrical tokens, all tracks in one stream:
/// <c>BOS (Bar [TimeSig] (Position [Tempo] ([Program] Pitch Velocity Duration+)*)* [Position])* EOS</c>.
/// </summary>
/// <remarks>
/// <list type="bullet">
/// <item>Times are on a grid of <see cref="RemiConfig.PositionsPerQuarter"/> steps per quarter note; a tick maps to
/// the nearest step. Bars follow the time-signature map (4/4 before the first one); a time signature that changes in
/// the middle of a bar cuts that bar short, written as a bare <c>Position_k</c> right before the next <c>Bar</c>.</item>
/// <item><c>Program_n</c> (or <c>Program_Drums</c> for drum tracks) sets the instrument of the following notes until
/// the next Program token; tracks sharing an instrument merge into one.</item>
/// <item>A note's length is the sum of the <c>Duration</c> tokens after its Velocity (names are quarter notes:
/// <c>Duration_1/2</c>, <c>Duration_3</c>); the encoder writes the fewest largest-first tokens.</item>
/// <item>Velocities fall into <see cref="VelocityBins"/>; tempos into whole-BPM tokens <c>Tempo_120</c>.</item>
/// <item>Decoding is total; see <see cref="Decode"/>.</item>
/// </list>
/// </remarks>
public sealed class RemiTokenizer : IMusicTokenizer
{
    /// <summary>Kind name.</summary>
    public const string KindName = "remi";

    /// <summary>Program key of drum tracks.</summary>
    public const int DrumKey = 128;

    private readonly Vocabulary _vocab;
    private readonly VelocityBins _velocity;
    private readonly int[] _durationSteps; // ascending
    private readonly (int Numerator, int Denominator, int BarSteps)[] _timeSigs;
    private readonly int _defaultTimeSig;
    private readonly int _stepTicks;

    /// <summary>Creates the tokenizer.</summary>
    public RemiTokenizer(RemiConfig? config = null)
    {
        Config = config ?? new RemiConfig();
        Config.Validate();
        var res = Config.PositionsPerQuarter;
        _velocity = new VelocityBins(Config.VelocityBins);
        _stepTicks = Config.TicksPerQuarter / res;
        MaxBarSteps = Config.MaxBarQuarters * res;

        _durationSteps = BuildDurations(res);
        var sigs = new List<(int, int, int)>();
        foreach (var den in Config.TimeSignatureDenominators.Order())
        {
            for (var num = 1; num <= Config.MaxTimeSignatureNumerator; num++)
            {
                var scaled = num * 4 * res;
                if (scaled % den == 0 && scaled / den <= MaxBarSteps)
                {
                    sigs.Add((num, den, scaled / den));
                }
            }
        }

        if (sigs.Count == 0)
        {
            throw new ArgumentException("REMI configuration yields no time signature on its grid.");
        }

        _timeSigs = sigs.ToArray();
        _defaultTimeSig = Array.FindIndex(_timeSigs, s => s.Numerator == 4 && s.Denominator == 4);
        if (_defaultTimeSig < 0)
        {
            _defaultTimeSig = Array.FindIndex(_timeSigs, s => s.BarSteps == Math.Min(4 * res, MaxBarSteps));
            _defaultTimeSig = Math.Max(0, _defaultTimeSig);
        }

        var names = new List<string> { "PAD", "BOS", "EOS", "Bar" };
        PositionFirst = names.Count;
        for (var p = 0; p < MaxBarSteps; p++)
        {
            names.Add($"Position_{p}");
        }

        ProgramFirst = names.Count;
        for (var p = 0; p < 128; p++)
        {
            names.Add($"Program_{p}");
        }

        names.Add("Program_Drums");
        PitchFirst = names.Count;
        for (var p = Config.MinPitch; p <= Config.MaxPitch; p++)
        {
            names.Add($"Pitch_{p}");
        }

        VelocityFirst = names.Count;
        for (var b = 0; b < _velocity.Count; b++)
        {
            names.Add($"Velocity_{_velocity.Value(b)}");
        }

        DurationFirst = names.Count;
        foreach (var d in _durationSteps)
        {
            names.Add($"Duration_{QuarterFraction(d, res)}");
        }

        TempoFirst = names.Count;
        TempoCount = ((Config.TempoMaxBpm - Config.TempoMinBpm) / Config.TempoStepBpm) + 1;
        for (var i = 0; i < TempoCount; i++)
        {
            names.Add($"Tempo_{Config.TempoMinBpm + (i * Config.TempoStepBpm)}");
        }

        TimeSigFirst = names.Count;
        foreach (var (num, den, _) in _timeSigs)
        {
            names.Add($"TimeSig_{num}/{den}");
        }

        _vocab = new Vocabulary(names);
    }

    /// <summary>The configuration.</summary>
    public RemiConfig Config { get; }

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

    /// <summary>The Bar token id.</summary>
    public int BarId => 3;

    internal int MaxBarSteps { get; }
    internal int PositionFirst { get; }
    internal int ProgramFirst { get; }
    internal int PitchFirst { get; }
    internal int VelocityFirst { get; }
    internal int DurationFirst { get; }
    internal int TempoFirst { get; }
    internal int TempoCount { get; }
    internal int TimeSigFirst { get; }
    internal int TimeSigCount => _timeSigs.Length;
    internal int DefaultTimeSig => _defaultTimeSig;
    internal int DurationCount => _durationSteps.Length;
    internal int PitchCount => Config.MaxPitch - Config.MinPitch + 1;

    internal int BarSteps(int timeSig) => _timeSigs[timeSig].BarSteps;

    internal int DurationStepsOf(int index) => _durationSteps[index];

    internal int TempoMicroseconds(int index) =>
        (int)Math.Round(60_000_000.0 / (Config.TempoMinBpm + (index * Config.TempoStepBpm)), MidpointRounding.AwayFromZero);

    /// <inheritdoc />
    public string TokenName(int id) => _vocab.Name(id);

    /// <inheritdoc />
    public int TokenId(string name) => _vocab.Id(name);

    /// <inheritdoc />
    public string ToJson() => TokenizerJson.Write(KindName, Config, _vocab);

    /// <inheritdoc />
    public ITokenGrammar CreateGrammar() => new RemiGrammar(this);

    /// <summary>Index of the time-signature token for a signature, or -1 when it has none.</summary>
    public int TimeSignatureIndex(int numerator, int denominator) =>
        Array.FindIndex(_timeSigs, s => s.Numerator == numerator && s.Denominator == denominator);

    /// <summary>Tempo token index nearest to a tempo in microseconds per quarter.</summary>
    public int TempoIndex(int microsecondsPerQuarter)
    {
        var bpm = 60_000_000.0 / Math.Max(1, microsecondsPerQuarter);
        var i = (int)Math.Round((bpm - Config.TempoMinBpm) / Config.TempoStepBpm, MidpointRounding.AwayFromZero);
        return Math.Clamp(i, 0, TempoCount - 1);
    }

    /// <summary>
    /// Encodes a score. Notes outside the pitch range are left out; a time signature without a token is written as
    /// 4/4; a tempo outside the token range is clamped to it.
    /// </summary>
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

        var tpq = score.TicksPerQuarter;
        var res = Config.PositionsPerQuarter;
        var maxDur = (long)Config.MaxNoteQuarters * res;
        limits.CheckFrames(ToStep(lengthTicks, tpq, res) + 1, $"REMI positions ({res} per quarter, {tpq} ticks per quarter)");

        var notes = new List<(long Step, int Key, int Pitch, int Vel, long Dur)>();
        foreach (var track in score.Tracks)
        {
            var key = track.IsDrum ? DrumKey : Math.Clamp(track.Program, 0, 127);
            foreach (var n in track.Notes)
            {
                if (n.Pitch < Config.MinPitch || n.Pitch > Config.MaxPitch)
                {
                    continue;
                }

                var s = ToStep(n.Start, tpq, res);
                var e = ToStep(n.End, tpq, res);
                notes.Add((s, key, n.Pitch, _velocity.Bin(n.Velocity), Math.Clamp(e - s, 1, maxDur)));
            }
        }

        notes.Sort();
        var tempos = NormalizeMap(score.Tempos.Select(t => (ToStep(t.Tick, tpq, res), TempoIndex(t.MicrosecondsPerQuarter))));
        var sigs = NormalizeMap(score.TimeSignatures.Select(t => (ToStep(t.Tick, tpq, res), TimeSigOrDefault(t.Numerator, t.Denominator))));

        long last = -1;
        if (notes.Count > 0)
        {
            last = notes[^1].Step;
        }

        if (tempos.Count > 0)
        {
            last = Math.Max(last, tempos[^1].Step);
        }

        if (sigs.Count > 0)
        {
            last = Math.Max(last, sigs[^1].Step);
        }

        var ids = new List<int>(16 + (notes.Count * 4)) { Bos };
        long barStart = 0;
        var ts = _defaultTimeSig;
        int ni = 0, ti = 0, si = 0;
        var program = -1;
        for (long bar = 0; barStart <= last; bar++)
        {
            int barFirstToken = ids.Count;
            ids.Add(BarId);
            if (si < sigs.Count && sigs[si].Step == barStart)
            {
                ts = sigs[si].Value;
                ids.Add(TimeSigFirst + ts);
                si++;
            }

            var barEnd = barStart + BarSteps(ts);
            var cut = false;
            if (si < sigs.Count && sigs[si].Step < barEnd)
            {
                barEnd = sigs[si].Step;
                cut = true;
            }

            while ((ni < notes.Count && notes[ni].Step < barEnd) || (ti < tempos.Count && tempos[ti].Step < barEnd))
            {
                var p = Math.Min(ni < notes.Count ? notes[ni].Step : long.MaxValue, ti < tempos.Count ? tempos[ti].Step : long.MaxValue);
                ids.Add(PositionFirst + (int)(p - barStart));
                if (ti < tempos.Count && tempos[ti].Step == p)
                {
                    ids.Add(TempoFirst + tempos[ti].Value);
                    ti++;
                }

                for (; ni < notes.Count && notes[ni].Step == p; ni++)
                {
                    var n = notes[ni];
                    if (n.Key != program)
                    {
                        program = n.Key;
                        ids.Add(ProgramFirst + program);
                    }

                    ids.Add(PitchFirst + n.Pitch - Config.MinPitch);
                    ids.Add(VelocityFirst + n.Vel);
                    AddDurations(ids, n.Dur);
                    limits.CheckTokensPerBar(ids.Count - barFirstToken, bar);
                }
            }

            if (cut)
            {
                ids.Add(PositionFirst + (int)(barEnd - barStart));
            }

            barStart = barEnd;
        }

        ids.Add(Eos);
        return ids.ToArray();
    }

    /// <summary>
    /// Decodes any id sequence (total). Rules: stops at the first EOS; PAD, BOS and unknown ids are ignored; content
    /// before the first Bar belongs to bar 0; a TimeSig applies only right after a Bar (elsewhere ignored); a Position
    /// beyond the bar is ignored; a bare <c>Position_k</c> (k &gt; 0) right before a Bar cuts that bar to k steps (the
    /// time signature is restated at the cut unless a TimeSig follows); a Velocity or Duration without its Pitch is
    /// ignored; a note without Velocity gets velocity 64's bin, without Duration a quarter note; notes longer than
    /// <see cref="RemiConfig.MaxNoteQuarters"/> are cut to it. Instruments become tracks in order of first use (drums
    /// on channel 10, others on channels 1-9, 11-16 in turn).
    /// </summary>
    public Score Decode(ReadOnlySpan<int> ids)
    {
        var res = Config.PositionsPerQuarter;
        var maxDur = (long)Config.MaxNoteQuarters * res;
        var notes = new List<(long Step, int Key, int Pitch, int Vel, long Dur)>();
        var tempos = new List<(long Step, int Value)>();
        var sigs = new List<(long Step, int Value)>();

        var barOpen = false;
        long barStart = 0;
        var ts = _defaultTimeSig;
        var pos = -1;
        var lastWasBarePosition = false;
        var restatePending = false;
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

            var vel = pVel >= 0 ? pVel : _velocity.Bin(64);
            var dur = pDur > 0 ? Math.Min(pDur, maxDur) : res;
            notes.Add((pStep, program, pPitch, vel, dur));
            hasPending = false;
        }

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

            if (restatePending && !(id >= TimeSigFirst))
            {
                sigs.Add((barStart, ts));
            }

            restatePending = false;
            var barePosition = false;
            if (id == BarId)
            {
                ClosePending();
                if (!barOpen)
                {
                    barOpen = true;
                    barStart = 0;
                }
                else if (lastWasBarePosition && pos > 0)
                {
                    barStart += pos;
                    restatePending = true;
                }
                else
                {
                    barStart += BarSteps(ts);
                }

                pos = -1;
            }
            else if (id < ProgramFirst)
            {
                barOpen = true;
                var k = id - PositionFirst;
                if (k < BarSteps(ts))
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
            else if (id < PitchFirst)
            {
                ClosePending();
                program = id - ProgramFirst;
            }
            else if (id < VelocityFirst)
            {
                barOpen = true;
                ClosePending();
                hasPending = true;
                pStep = barStart + Math.Max(pos, 0);
                pPitch = id - PitchFirst + Config.MinPitch;
                pVel = -1;
                pDur = 0;
            }
            else if (id < DurationFirst)
            {
                if (hasPending && pVel < 0 && pDur == 0)
                {
                    pVel = id - VelocityFirst;
                }
                else
                {
                    barePosition = lastWasBarePosition; // ignored
                }
            }
            else if (id < TempoFirst)
            {
                if (hasPending)
                {
                    pDur = Math.Min(pDur + _durationSteps[id - DurationFirst], maxDur);
                }
                else
                {
                    barePosition = lastWasBarePosition; // ignored
                }
            }
            else if (id < TimeSigFirst)
            {
                barOpen = true;
                ClosePending();
                tempos.Add((barStart + Math.Max(pos, 0), id - TempoFirst));
            }
            else
            {
                barOpen = true;
                if (pos < 0)
                {
                    ts = id - TimeSigFirst;
                    sigs.Add((barStart, ts));
                }
                else
                {
                    barePosition = lastWasBarePosition; // ignored
                }
            }

            lastWasBarePosition = barePosition;
        }

        ClosePending();
        if (restatePending)
        {
            sigs.Add((barStart, ts));
        }

        return BuildScore(notes, tempos, sigs);
    }

    private Score BuildScore(
        List<(long Step, int Key, int Pitch, int Vel, long Dur)> notes,
        List<(long Step, int Value)> tempos,
        List<(long Step, int Value)> sigs)
    {
        var score = new Score { TicksPerQuarter = Config.TicksPerQuarter, Format = 1 };
        var tracks = new Dictionary<int, ScoreTrack>();
        var nextChannel = 0;
        var channels = new Dictionary<int, int>();
        foreach (var n in notes)
        {
            if (!tracks.TryGetValue(n.Key, out var track))
            {
                track = new ScoreTrack
                {
                    Index = score.Tracks.Count,
                    Program = n.Key == DrumKey ? 0 : n.Key,
                    IsDrum = n.Key == DrumKey,
                    Name = n.Key == DrumKey ? "Drums" : $"Program {n.Key}",
                };
                tracks.Add(n.Key, track);
                score.Tracks.Add(track);
                if (n.Key == DrumKey)
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

            var start = n.Step * _stepTicks;
            track.Notes.Add(new Note(start, start + (n.Dur * _stepTicks), channels[n.Key], n.Pitch, _velocity.Value(n.Vel)));
        }

        foreach (var track in score.Tracks)
        {
            track.Notes.Sort(static (a, b) =>
            {
                var c = a.Start.CompareTo(b.Start);
                return c != 0 ? c : a.Pitch != b.Pitch ? a.Pitch.CompareTo(b.Pitch) : a.End.CompareTo(b.End);
            });
        }

        foreach (var (step, value) in LastPerStep(tempos))
        {
            score.Tempos.Add(new TempoChange(step * _stepTicks, TempoMicroseconds(value)));
        }

        foreach (var (step, value) in LastPerStep(sigs))
        {
            score.TimeSignatures.Add(new TimeSignature(step * _stepTicks, _timeSigs[value].Numerator, _timeSigs[value].Denominator));
        }

        return score;
    }

    private static List<(long Step, int Value)> LastPerStep(List<(long Step, int Value)> events)
    {
        // Stable by step, the last event at a step wins.
        var sorted = events.Select((e, i) => (e, i)).OrderBy(x => x.e.Step).ThenBy(x => x.i).Select(x => x.e).ToList();
        var result = new List<(long Step, int Value)>(sorted.Count);
        foreach (var e in sorted)
        {
            if (result.Count > 0 && result[^1].Step == e.Step)
            {
                result[^1] = e;
            }
            else
            {
                result.Add(e);
            }
        }

        return result;
    }

    /// <summary>Sorted by step (stable), last value per step, then values equal to the previous one dropped.</summary>
    private static List<(long Step, int Value)> NormalizeMap(IEnumerable<(long Step, int Value)> events)
    {
        var result = new List<(long Step, int Value)>();
        foreach (var e in LastPerStep(events.ToList()))
        {
            if (result.Count == 0 || result[^1].Value != e.Value)
            {
                result.Add(e);
            }
        }

        return result;
    }

    private int TimeSigOrDefault(int numerator, int denominator)
    {
        var i = TimeSignatureIndex(numerator, denominator);
        return i >= 0 ? i : _defaultTimeSig;
    }

    private void AddDurations(List<int> ids, long steps)
    {
        // Largest first; the one-step duration always exists, so this terminates exactly.
        var i = _durationSteps.Length - 1;
        while (steps > 0)
        {
            while (_durationSteps[i] > steps)
            {
                i--;
            }

            ids.Add(DurationFirst + i);
            steps -= _durationSteps[i];
        }
    }

    internal static long ToStep(long tick, int tpq, int res)
    {
        if (tick <= 0)
        {
            return 0;
        }

        // Nearest step, halves rounded up; Int128 keeps huge ticks exact.
        return (long)((((Int128)tick * res * 2) + tpq) / ((Int128)tpq * 2));
    }

    private int[] BuildDurations(int res)
    {
        var set = new SortedSet<int>();
        for (var d = 1; d <= res; d++)
        {
            set.Add(d);
        }

        bool Multiple(int d, int parts) => res % parts == 0 && d % (res / parts) == 0;
        for (var d = res + 1; d <= 4 * res; d++)
        {
            if (Multiple(d, 4) || Multiple(d, 3) || Multiple(d, 2) || d % res == 0)
            {
                set.Add(d);
            }
        }

        for (var d = (4 * res) + 1; d <= 8 * res; d++)
        {
            if (Multiple(d, 2) || d % res == 0)
            {
                set.Add(d);
            }
        }

        for (var q = 9; q <= 16; q++)
        {
            set.Add(q * res);
        }

        set.Add(24 * res);
        set.Add(32 * res);
        return set.ToArray();
    }

    private static string QuarterFraction(int steps, int res)
    {
        var g = (int)System.Numerics.BigInteger.GreatestCommonDivisor(steps, res);
        var num = steps / g;
        var den = res / g;
        return den == 1 ? $"{num}" : $"{num}/{den}";
    }
}
