using MusicGen.Core.Music;

namespace MusicGen.Core.Tokenization;

/// <summary>
/// Legal next tokens for <see cref="RemiTokenizer"/>: the canonical shape the encoder writes.
/// <list type="bullet">
/// <item>BOS first; then Bar; after Bar: TimeSig (a change), Key (a change), Position, Bar or EOS; after TimeSig:
/// Key (a change), Position, Bar or EOS; a bar cut by a bare Position is followed by a TimeSig that changes the
/// signature. With key tokens the first bar must name its key (after its TimeSig, before anything else).</item>
/// <item>Positions increase within a bar and stay inside it; after a Position: Chord (a change, at the start of a
/// harmony segment only), Tempo (a change), Program, Pitch, or (k &gt; 0) Bar to cut the bar; after a Chord: Tempo,
/// Program, Pitch, a later Position, Bar or EOS.</item>
/// <item>Pitch, Velocity, then one or more Duration tokens, each no longer than the one before; the first note needs
/// a Program first; within a position, programs increase and pitches do not decrease per program (do not increase with
/// <see cref="RemiConfig.DescendingPitches"/>).</item>
/// <item>After EOS only PAD.</item>
/// </list>
/// </summary>
internal sealed partial class RemiGrammar : ITokenGrammar
{
    private enum Phase
    {
        NotStarted,
        AfterBos,
        AfterBar,
        AfterCutBar,
        AfterTimeSig,
        AfterKey,
        AfterPosition,
        AfterChord,
        AfterTempo,
        AfterProgram,
        AfterPitch,
        AfterVelocity,
        AfterDuration,
        Finished,
    }

    private readonly RemiTokenizer _t;
    private readonly LogitMask _mask = new();
    private Phase _phase;
    private int _barTokens;
    private long _barStart;
    private int _ts;
    private bool _tsSet;
    private int _pos;
    private int _program;
    private bool _notesAtPosition;
    private int _lastPitchId;
    private int _lastDurationId;
    private int _tempo;
    private int _key;
    private long _tempoStep;
    private double _tempoSeconds;
    private int _microsecondsPerQuarter;

    public RemiGrammar(RemiTokenizer tokenizer, int[]? progression = null)
    {
        _t = tokenizer;
        _progression = progression;
        Reset();
    }

    public int Bars => _phase == Phase.Finished ? _barTokens : Math.Max(0, _barTokens - 1);

    public double Seconds => _tempoSeconds + ((CurrentStep - _tempoStep) * _microsecondsPerQuarter / 1e6 / _t.Config.PositionsPerQuarter);

    public bool IsFinished => _phase == Phase.Finished;

    private long CurrentStep => _barStart + Math.Max(_pos, 0);

    private int BarSteps => _t.BarSteps(_ts);

    public void Reset()
    {
        _phase = Phase.NotStarted;
        _barTokens = 0;
        _barStart = 0;
        _ts = _t.DefaultTimeSig;
        _tsSet = false;
        _pos = -1;
        _program = -1;
        _notesAtPosition = false;
        _lastPitchId = -1;
        _lastDurationId = -1;
        _tempo = -1;
        _key = -1;
        _chord = -1;
        _segmentBase = 0;
        _tempoStep = 0;
        _tempoSeconds = 0;
        _microsecondsPerQuarter = TempoMap.DefaultMicrosecondsPerQuarter;
        ResetLength();
    }

    public void Accept(int token)
    {
        if (_phase == Phase.Finished || (uint)token >= (uint)_t.VocabularySize || token == _t.Pad)
        {
            return;
        }

        if (token == _t.Bos)
        {
            if (_phase == Phase.NotStarted)
            {
                _phase = Phase.AfterBos;
            }

            return;
        }

        if (token == _t.Eos)
        {
            _phase = Phase.Finished;
            return;
        }

        if (token == _t.BarId)
        {
            CountSegments();
            if (_barTokens == 0)
            {
                _barStart = 0;
            }
            else if (_phase == Phase.AfterPosition && _pos > 0)
            {
                _barStart += _pos;
                _barTokens++;
                _pos = -1;
                _phase = Phase.AfterCutBar;
                return;
            }
            else
            {
                _barStart += BarSteps;
            }

            _barTokens++;
            _pos = -1;
            _phase = Phase.AfterBar;
            return;
        }

        if (token < _t.ProgramFirst)
        {
            var k = token - _t.PositionFirst;
            if (k < BarSteps)
            {
                _pos = k;
                _notesAtPosition = false;
                _lastPitchId = -1;
                _phase = Phase.AfterPosition;
            }

            return;
        }

        if (token < _t.PitchFirst)
        {
            _program = token - _t.ProgramFirst;
            _lastPitchId = -1;
            _phase = Phase.AfterProgram;
            return;
        }

        if (token < _t.VelocityFirst)
        {
            _lastPitchId = token;
            _notesAtPosition = true;
            StartNote();
            if (_program < 0)
            {
                _program = 0;
            }

            _phase = Phase.AfterPitch;
            return;
        }

        if (token < _t.DurationFirst)
        {
            _phase = Phase.AfterVelocity;
            return;
        }

        if (token < _t.TempoFirst)
        {
            _lastDurationId = token;
            ExtendNote(token - _t.DurationFirst);
            _phase = Phase.AfterDuration;
            return;
        }

        if (token < _t.TimeSigFirst)
        {
            var seconds = Seconds;
            _tempo = token - _t.TempoFirst;
            _tempoStep = CurrentStep;
            _tempoSeconds = seconds;
            _microsecondsPerQuarter = _t.TempoMicroseconds(_tempo);
            _phase = Phase.AfterTempo;
            return;
        }

        if (token >= _t.ChordFirst)
        {
            AcceptChord(token);
            return;
        }

        if (token >= _t.KeyFirst)
        {
            if (_pos < 0)
            {
                _key = token - _t.KeyFirst;
                _phase = Phase.AfterKey;
            }

            return;
        }

        if (_pos < 0)
        {
            _ts = token - _t.TimeSigFirst;
            _tsSet = true;
            _phase = Phase.AfterTimeSig;
        }
    }

    public void MaskLogits(Span<float> logits)
    {
        var m = _mask;
        m.Clear();
        var t = _t;
        switch (_phase)
        {
            case Phase.NotStarted:
                m.Allow(t.Bos);
                break;
            case Phase.AfterBos:
                m.Allow(t.BarId);
                m.Allow(t.Eos);
                break;
            case Phase.AfterBar:
                AllowTimeSigChanges();
                AllowKeyOrBarStart();
                break;
            case Phase.AfterCutBar:
                AllowTimeSigChanges();
                break;
            case Phase.AfterTimeSig:
                AllowKeyOrBarStart();
                break;
            case Phase.AfterKey:
                AllowBarStart();
                break;
            case Phase.AfterPosition:
                if (_pos > 0)
                {
                    m.Allow(t.BarId);
                }

                AllowChordChanges();
                AllowTempoChanges();
                AllowPrograms();
                AllowPitches();
                break;
            case Phase.AfterChord:
                AllowTempoChanges();
                AllowNextEvent();
                break;
            case Phase.AfterTempo:
                AllowNextEvent();
                break;
            case Phase.AfterProgram:
                m.Allow(t.PitchFirst, t.PitchFirst + t.PitchCount);
                break;
            case Phase.AfterPitch:
                m.Allow(t.VelocityFirst, t.DurationFirst);
                break;
            case Phase.AfterVelocity:
                m.Allow(t.DurationFirst, t.TempoFirst);
                break;
            case Phase.AfterDuration:
                AllowNextEvent();
                m.Allow(t.DurationFirst, _lastDurationId + 1);
                break;
            default:
                m.Allow(t.Pad);
                break;
        }

        m.Apply(logits);
        ApplyLengthRules(logits);
        ApplyProgression(logits);
    }
}
