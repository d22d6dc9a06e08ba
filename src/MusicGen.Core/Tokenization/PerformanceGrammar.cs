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
    private readonly float[] _saved = new float[128];
    private readonly int[] _savedIds = new int[128];
    private ulong _activeLo; // pitch indices 0..63 sounding
    private ulong _activeHi; // pitch indices 64..127 sounding
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
        Reset();
    }

    public int Bars => (int)(Seconds / 2.0);

    public double Seconds => _steps * _t.Config.TimeShiftMs / 1000.0;

    public bool IsFinished { get; private set; }

    public int? TargetBars { get; set; }

    public bool SoundingBars { get; set; }

    public void Reset()
    {
        _activeLo = 0;
        _activeHi = 0;
        _activeCount = 0;
        _started = false;
        _afterVelocity = false;
        _lastOn = -1;
        _lastOff = -1;
        _velocity = -1;
        _afterShift = false;
        _afterMaxShift = false;
        _steps = 0;
        TargetBars = null;
        SoundingBars = false;
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
            if (!IsActive(p))
            {
                SetActive(p, true);
                _activeCount++;
            }

            _lastOn = p;
        }
        else if (token < _t.TimeShiftFirst)
        {
            var p = token - _t.NoteOffFirst;
            if (IsActive(p))
            {
                SetActive(p, false);
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
                offsAllowed = true; // only sounding pitches above the last release: restored after the fill below
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

        // Keep the logits of sounding pitches' NoteOffs, mask everything illegal by ranges, then put them back.
        var saved = 0;
        if (offsAllowed)
        {
            saved = Save(_activeLo, 0, _lastOff, t.NoteOffFirst, logits, saved);
            saved = Save(_activeHi, 64, _lastOff, t.NoteOffFirst, logits, saved);
        }

        m.Apply(logits);
        for (var i = 0; i < saved; i++)
        {
            logits[_savedIds[i]] = _saved[i];
        }

        if (onsAllowed)
        {
            MaskSounding(_activeLo, 0, logits);
            MaskSounding(_activeHi, 64, logits);
        }

        if (TargetBars is int target && !IsFinished && Bars < target)
        {
            logits[t.Eos] = float.NegativeInfinity; // a length target: no end yet (EOS is never the only legal token)
        }
    }

    private int Save(ulong bits, int baseIndex, int after, int first, Span<float> logits, int count)
    {
        while (bits != 0)
        {
            var p = baseIndex + System.Numerics.BitOperations.TrailingZeroCount(bits);
            bits &= bits - 1;
            var id = first + p;
            if (p > after && id < logits.Length)
            {
                _savedIds[count] = id;
                _saved[count++] = logits[id];
            }
        }

        return count;
    }

    private void MaskSounding(ulong bits, int baseIndex, Span<float> logits)
    {
        while (bits != 0)
        {
            var id = _t.NoteOnFirst + baseIndex + System.Numerics.BitOperations.TrailingZeroCount(bits);
            bits &= bits - 1;
            if (id < logits.Length)
            {
                logits[id] = float.NegativeInfinity;
            }
        }
    }

    private bool IsActive(int p) => p < 64 ? (_activeLo & (1UL << p)) != 0 : (_activeHi & (1UL << (p - 64))) != 0;

    private void SetActive(int p, bool on)
    {
        if (p < 64)
        {
            _activeLo = on ? _activeLo | (1UL << p) : _activeLo & ~(1UL << p);
        }
        else
        {
            _activeHi = on ? _activeHi | (1UL << (p - 64)) : _activeHi & ~(1UL << (p - 64));
        }
    }

    private bool HasSilentPitchAbove(int pitch)
    {
        // Pitches pitch+1 .. n-1: are they all sounding?
        var n = _t.PitchCount;
        var above = n - pitch - 1;
        if (above <= 0)
        {
            return false;
        }

        var from = pitch + 1;
        var sounding = System.Numerics.BitOperations.PopCount(from >= 64 ? 0 : _activeLo >> from)
            + System.Numerics.BitOperations.PopCount(from <= 64 ? _activeHi : _activeHi >> (from - 64));
        return sounding < above;
    }
}
