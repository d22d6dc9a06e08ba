using MusicGen.Core.Tokenization;

namespace MusicGen.Inference.Sampling;

/// <summary>
/// A grammar that decorates another: every member forwards to <see cref="Inner"/>; a decorator overrides what it
/// adds to (<see cref="KeyConstraint"/>, <see cref="ScaleBias"/>).
/// </summary>
internal abstract class DelegatingTokenGrammar(ITokenGrammar inner) : ITokenGrammar
{
    /// <summary>The decorated grammar.</summary>
    protected ITokenGrammar Inner { get; } = inner;

    public int Bars => Inner.Bars;

    public double Seconds => Inner.Seconds;

    public bool IsFinished => Inner.IsFinished;

    public int? TargetBars
    {
        get => Inner.TargetBars;
        set => Inner.TargetBars = value;
    }

    public bool SoundingBars
    {
        get => Inner.SoundingBars;
        set => Inner.SoundingBars = value;
    }

    public virtual void Reset() => Inner.Reset();

    public virtual void Accept(int token) => Inner.Accept(token);

    public virtual void MaskLogits(Span<float> logits) => Inner.MaskLogits(logits);
}
