namespace MusicGen.Core.Tokenization;

/// <summary>The token ranges <see cref="RemiGrammar"/> allows next, one helper per kind of event.</summary>
internal sealed partial class RemiGrammar
{
    /// <summary>With key tokens, the first bar names its key before anything else.</summary>
    private bool KeyNeeded => _t.KeyCount > 0 && _key < 0;

    /// <summary>At a bar line after its TimeSig (if any): a key change, and unless a key is still needed, the bar's start.</summary>
    private void AllowKeyOrBarStart()
    {
        AllowKeyChanges();
        if (!KeyNeeded)
        {
            AllowBarStart();
        }
    }

    /// <summary>A bar's first event: EOS, an empty bar (Bar) or any position.</summary>
    private void AllowBarStart()
    {
        _mask.Allow(_t.Eos);
        _mask.Allow(_t.BarId);
        AllowPositionsAfter(-1);
    }

    /// <summary>After a complete event at the current position: EOS, Bar, a later position, a program or a pitch.</summary>
    private void AllowNextEvent()
    {
        _mask.Allow(_t.Eos);
        _mask.Allow(_t.BarId);
        AllowPositionsAfter(_pos);
        AllowPrograms();
        AllowPitches();
    }

    private void AllowKeyChanges()
    {
        if (_key < 0)
        {
            _mask.Allow(_t.KeyFirst, _t.KeyFirst + _t.KeyCount);
            return;
        }

        _mask.Allow(_t.KeyFirst, _t.KeyFirst + _key);
        _mask.Allow(_t.KeyFirst + _key + 1, _t.KeyFirst + _t.KeyCount);
    }

    private void AllowPositionsAfter(int pos) => _mask.Allow(_t.PositionFirst + pos + 1, _t.PositionFirst + BarSteps);

    private void AllowTimeSigChanges()
    {
        if (!_tsSet)
        {
            _mask.Allow(_t.TimeSigFirst, _t.TimeSigFirst + _t.TimeSigCount);
            return;
        }

        _mask.Allow(_t.TimeSigFirst, _t.TimeSigFirst + _ts);
        _mask.Allow(_t.TimeSigFirst + _ts + 1, _t.TimeSigFirst + _t.TimeSigCount);
    }

    private void AllowTempoChanges()
    {
        if (_tempo < 0)
        {
            _mask.Allow(_t.TempoFirst, _t.TempoFirst + _t.TempoCount);
            return;
        }

        _mask.Allow(_t.TempoFirst, _t.TempoFirst + _tempo);
        _mask.Allow(_t.TempoFirst + _tempo + 1, _t.TempoFirst + _t.TempoCount);
    }

    private void AllowPrograms()
    {
        var first = _t.ProgramFirst;
        var end = _t.ProgramFirst + RemiTokenizer.DrumKey + 1;
        if (_program < 0)
        {
            _mask.Allow(first, end);
        }
        else if (_notesAtPosition)
        {
            _mask.Allow(first + _program + 1, end);
        }
        else
        {
            _mask.Allow(first, first + _program);
            _mask.Allow(first + _program + 1, end);
        }
    }

    private void AllowPitches()
    {
        if (_program < 0)
        {
            return; // the first note names its instrument
        }

        if (_notesAtPosition && _lastPitchId >= 0)
        {
            if (_t.Config.DescendingPitches)
            {
                _mask.Allow(_t.PitchFirst, _lastPitchId + 1); // falling or equal at one position
            }
            else
            {
                _mask.Allow(_lastPitchId, _t.PitchFirst + _t.PitchCount); // rising or equal at one position
            }

            return;
        }

        _mask.Allow(_t.PitchFirst, _t.PitchFirst + _t.PitchCount);
    }
}
