namespace MusicGen.Core.Tokenization;

/// <summary>
/// The length target of <see cref="RemiGrammar"/> (<see cref="ITokenGrammar.TargetBars"/>): until the target bar is
/// complete, EOS is illegal and a bar in which no note sounds cannot be closed; with a known last bar, no note may
/// sound past its end (durations are cut to fit, and a time signature or a cut bar that would move that bar line
/// before a sounding note's end is illegal). <see cref="ITokenGrammar.SoundingBars"/> keeps only the rule on silent bars.
/// </summary>
internal sealed partial class RemiGrammar
{
    private long _soundingUntil; // step at which the last-ending note so far ends
    private long _noteStart;     // step of the note being written
    private long _noteSteps;     // its duration so far (Duration tokens add up)

    public int? TargetBars { get; set; }

    public bool SoundingBars { get; set; }

    /// <summary>True while a target is set and not reached.</summary>
    private bool TargetPending => TargetBars is int target && _phase != Phase.Finished && Bars < target;

    /// <summary>True when the target bar is known (not <see cref="int.MaxValue"/>).</summary>
    private bool TargetKnown => TargetBars is int target && target != int.MaxValue;

    /// <summary>The bar being written, counted from 1 (0 before the first Bar).</summary>
    private int CurrentBar => _barTokens;

    private void ResetLength()
    {
        TargetBars = null;
        SoundingBars = false;
        _soundingUntil = 0;
        _noteStart = 0;
        _noteSteps = 0;
    }

    private void StartNote()
    {
        _noteStart = CurrentStep;
        _noteSteps = 0;
    }

    private void ExtendNote(int durationIndex)
    {
        _noteSteps += _t.DurationStepsOf(durationIndex);
        _soundingUntil = Math.Max(_soundingUntil, _noteStart + _noteSteps);
    }

    /// <summary>Where the target bar ends if every bar from the current one on has <paramref name="timeSig"/>.</summary>
    private long TargetEnd(int timeSig) => _barStart + ((long)TargetBars!.Value - CurrentBar + 1) * _t.BarSteps(timeSig);

    private void ApplyLengthRules(Span<float> logits)
    {
        var pending = TargetPending;
        if (!pending && !(SoundingBars && _phase != Phase.Finished))
        {
            return;
        }

        var t = _t;
        if (pending)
        {
            logits[t.Eos] = float.NegativeInfinity;
        }

        if (CurrentBar >= 1 && logits[t.BarId] != float.NegativeInfinity && !MayCloseBar())
        {
            logits[t.BarId] = float.NegativeInfinity;
        }

        if (!pending || !TargetKnown)
        {
            return;
        }

        if (_phase is Phase.AfterVelocity or Phase.AfterDuration)
        {
            // Durations that would carry the note past the target bar's end.
            var room = TargetEnd(_ts) - _noteStart - _noteSteps;
            for (var i = 0; i < t.DurationCount; i++)
            {
                if (t.DurationStepsOf(i) > room)
                {
                    logits[(t.DurationFirst + i)..t.TempoFirst].Fill(float.NegativeInfinity);
                    break;
                }
            }
        }

        if (_phase is Phase.AfterBar or Phase.AfterCutBar)
        {
            // Time signatures whose bars would end the target bar before a sounding note ends.
            for (var ts = 0; ts < t.TimeSigCount; ts++)
            {
                if (TargetEnd(ts) < _soundingUntil)
                {
                    logits[t.TimeSigFirst + ts] = float.NegativeInfinity;
                }
            }
        }
    }

    /// <summary>
    /// A bar may close only when a note sounds in it; a bar cut short (Bar after a Position) only when no note sounds
    /// past the cut while the last bar is known, so that later bar lines cannot move before a note's end.
    /// </summary>
    private bool MayCloseBar()
    {
        if (_soundingUntil <= _barStart)
        {
            return false;
        }

        var cut = _phase == Phase.AfterPosition && _pos > 0;
        return !(cut && TargetKnown && _soundingUntil > _barStart + _pos);
    }
}
