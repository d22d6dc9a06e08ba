namespace MusicGen.Core.Tokenization;

/// <summary>
/// Legal next tokens for <see cref="ChoraleTokenizer"/>: BOS, then frames (pitches ascending, then FrameEnd), EOS
/// after a complete frame, then PAD. <see cref="Bars"/> = frames / (4 x frames per quarter).
/// </summary>
internal sealed class ChoraleGrammar : ITokenGrammar
{
    private readonly ChoraleTokenizer _t;
    private readonly LogitMask _mask = new();
    private bool _started;
    private int _lastPitchId;
    private int _frames;
    private bool _barHasNote;

    public ChoraleGrammar(ChoraleTokenizer tokenizer)
    {
        _t = tokenizer;
        Reset();
    }

    public int Bars => _frames / (4 * _t.Config.FramesPerQuarter);

    public double Seconds => _frames * 0.5 / _t.Config.FramesPerQuarter;

    public bool IsFinished { get; private set; }

    public int? TargetBars { get; set; }

    public bool SoundingBars { get; set; }

    private int FramesPerBar => 4 * _t.Config.FramesPerQuarter;

    public void Reset()
    {
        _started = false;
        _lastPitchId = -1;
        _frames = 0;
        _barHasNote = false;
        TargetBars = null;
        SoundingBars = false;
        IsFinished = false;
    }

    public void Accept(int token)
    {
        if (IsFinished)
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
        }
        else if (token == _t.FrameEnd)
        {
            _frames++;
            _lastPitchId = -1;
            if (_frames % FramesPerBar == 0)
            {
                _barHasNote = false;
            }
        }
        else if (token >= ChoraleTokenizer.FirstPitchId && token < _t.VocabularySize && token > _lastPitchId)
        {
            _lastPitchId = token;
            _barHasNote = true;
        }
    }

    public void MaskLogits(Span<float> logits)
    {
        _mask.Clear();
        if (IsFinished)
        {
            _mask.Allow(_t.Pad);
        }
        else if (!_started)
        {
            _mask.Allow(_t.Bos);
        }
        else if (_lastPitchId < 0)
        {
            _mask.Allow(_t.Eos);
            _mask.Allow(_t.FrameEnd, _t.VocabularySize);
        }
        else
        {
            _mask.Allow(_t.FrameEnd);
            _mask.Allow(_lastPitchId + 1, _t.VocabularySize);
        }

        _mask.Apply(logits);
        var pending = TargetBars is int target && !IsFinished && Bars < target;
        if (pending || (SoundingBars && !IsFinished))
        {
            // A length target: no end yet; with it or SoundingBars, no bar closes in silence (frames never sound past a bar line).
            if (pending)
            {
                logits[_t.Eos] = float.NegativeInfinity;
            }

            if (!_barHasNote && (_frames + 1) % FramesPerBar == 0)
            {
                logits[_t.FrameEnd] = float.NegativeInfinity;
            }
        }
    }
}
