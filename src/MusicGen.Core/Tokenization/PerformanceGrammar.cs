namespace MusicGen.Core.Tokenization;

/// <summary>
/// Legal next tokens for <see cref="PerformanceTokenizer"/>, the canonical shape the encoder writes: BOS first;
/// NoteOff only for a sounding pitch and before any NoteOn at the same instant; NoteOn only for a silent pitch; at one
/// instant releases and onsets each ascend by pitch; a Velocity (a change) directly before a NoteOn, and one before
/// the first NoteOn; a TimeShift after a TimeShift only after the longest one; EOS once nothing sounds, not right after a TimeShift; then PAD.
/// </summary>
internal sealed class PerformanceGrammar : ITokenGrammar
{
    private readonly PerformanceTokenizer _t;
    private readonly LogitMask _mask = new();
    private readonly bool[] _active;
    private int _activeCount;
    private bool _started;
    private bool _afterVelocity;
    private int _lastOn;
    private int _lastOff;
    private int _velocity;
    private bool _afterShift;
    private bool _afterMaxShift;
    private long _steps;

    public PerformanceGrammar(PerformanceTokenizer tokenizer)
    {
        _t = tokenizer;
        _active = new bool[tokenizer.PitchCount];
        Reset();
    }

    public int Bars => (int)(Seconds / 2.0);

    public double Seconds => _steps * _t.Config.TimeShiftMs / 1000.0;

    public bool IsFinished { get; private set; }

    public void Reset()
    {
        Array.Clear(_active);
        _activeCount = 0;
        _started = false;
        _afterVelocity = false;
        _lastOn = -1;
        _lastOff = -1;
        _velocity = -1;
        _afterShift = false;
        _afterMaxShift = false;
        _steps = 0;
        IsFinished = false;
    }

    public void Accept(int token)
    {
        if (IsFinished || (uint)token >= (uint)_t.VocabularySize || token == _t.Pad)
        {
            return;
        }

        if (token == _t.Bos)
        {
            _started = true;
            return;
        }

        _started = true;
        if (token == _t.Eos)
        {
            IsFinished = true;
            return;
        }

        _afterVelocity = false;
        _afterShift = false;
        _afterMaxShift = false;
        if (token < _t.NoteOffFirst)
        {
            var p = token - _t.NoteOnFirst;
            if (!_active[p])
            {
                _active[p] = true;
                _activeCount++;
            }

            _lastOn = p;
        }
        else if (token < _t.TimeShiftFirst)
        {
            var p = token - _t.NoteOffFirst;
            if (_active[p])
            {
                _active[p] = false;
                _activeCount--;
            }

            _lastOff = p;
        }
        else if (token < _t.VelocityFirst)
        {
            var k = token - _t.TimeShiftFirst + 1;
            _steps += k;
            _afterShift = true;
            _afterMaxShift = k == _t.MaxShiftSteps;
            _lastOn = -1;
            _lastOff = -1;
        }
        else
        {
            _velocity = token - _t.VelocityFirst;
            _afterVelocity = true;
        }
    }

    public void MaskLogits(Span<float> logits)
    {
        var m = _mask;
        m.Clear();
        var t = _t;
        var n = t.PitchCount;
        var onFrom = t.NoteOnFirst + _lastOn + 1;
        var onTo = t.NoteOnFirst + n;
        var offsAllowed = false;
        var onsAllowed = false;
        if (IsFinished)
        {
            m.Allow(t.Pad);
        }
        else if (!_started)
        {
            m.Allow(t.Bos);
        }
        else if (_afterVelocity)
        {
            m.Allow(onFrom, onTo);
            onsAllowed = true;
        }
        else
        {
            if (_activeCount == 0 && !_afterShift)
            {
                m.Allow(t.Eos);
            }

            if (!_afterShift || _afterMaxShift)
            {
                m.Allow(t.TimeShiftFirst, t.VelocityFirst);
            }

            if (_lastOn < 0 && _activeCount > 0)
            {
                m.Allow(t.NoteOffFirst + _lastOff + 1, t.NoteOffFirst + n);
                offsAllowed = true;
            }

            if (HasSilentPitchAbove(_lastOn))
            {
                if (_velocity >= 0)
                {
                    m.Allow(onFrom, onTo);
                    onsAllowed = true;
                }

                m.Allow(t.VelocityFirst, t.VelocityFirst + _velocity);
                m.Allow(t.VelocityFirst + _velocity + 1, t.VelocityFirst + t.VelocityCount);
            }
        }

        m.Apply(logits);
        if (onsAllowed)
        {
            var end = Math.Min(onTo, logits.Length);
            for (var id = onFrom; id < end; id++)
            {
                if (_active[id - t.NoteOnFirst])
                {
                    logits[id] = float.NegativeInfinity;
                }
            }
        }

        if (offsAllowed)
        {
            var from = t.NoteOffFirst + _lastOff + 1;
            var end = Math.Min(t.NoteOffFirst + n, logits.Length);
            for (var id = from; id < end; id++)
            {
                if (!_active[id - t.NoteOffFirst])
                {
                    logits[id] = float.NegativeInfinity;
                }
            }
        }
    }

    private bool HasSilentPitchAbove(int pitch)
    {
        for (var p = pitch + 1; p < _active.Length; p++)
        {
            if (!_active[p])
            {
                return true;
            }
        }

        return false;
    }
}
