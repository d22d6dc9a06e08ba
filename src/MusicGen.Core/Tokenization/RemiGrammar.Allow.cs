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

    /// <summary>A change: every one of the <paramref name="count"/> tokens from <paramref name="first"/> but the one in force (all of them when none is, <paramref name="current"/> &lt; 0).</summary>
    private void AllowChangeFrom(int first, int count, int current)
    {
        if (current < 0)
        {
            _mask.Allow(first, first + count);
            return;
        }

        _mask.Allow(first, first + current);
        _mask.Allow(first + current + 1, first + count);
    }

    private void AllowKeyChanges() => AllowChangeFrom(_t.KeyFirst, _t.KeyCount, _key);

    private void AllowPositionsAfter(int pos) => _mask.Allow(_t.PositionFirst + pos + 1, _t.PositionFirst + BarSteps);

    private void AllowTimeSigChanges() => AllowChangeFrom(_t.TimeSigFirst, _t.TimeSigCount, _tsSet ? _ts : -1);

    private void AllowTempoChanges() => AllowChangeFrom(_t.TempoFirst, _t.TempoCount, _tempo);

    /// <summary>Another instrument; once notes are written at this position, only a later one (programs increase there).</summary>
    private void AllowPrograms()
    {
        const int programs = RemiTokenizer.DrumKey + 1;
        if (_notesAtPosition && _program >= 0)
        {
            _mask.Allow(_t.ProgramFirst + _program + 1, _t.ProgramFirst + programs);
            return;
        }

        AllowChangeFrom(_t.ProgramFirst, programs, _program);
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
