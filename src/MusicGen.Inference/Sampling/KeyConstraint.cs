using MusicGen.Core.Tokenization;

namespace MusicGen.Inference.Sampling;

/// <summary>
/// A tokenizer's grammar that also forces the first key token: until a key token is accepted, every key token but
/// the requested one is masked, so the model chooses where the key goes (after its bar line and time signature, as
/// the grammar allows) but not which key. Deterministic; no allocation per token.
/// </summary>
internal sealed class KeyConstraint : DelegatingTokenGrammar
{
    private readonly int[] _keyTokens;
    private readonly int _key;
    private bool _keySeen;

    /// <param name="inner">The tokenizer's grammar.</param>
    /// <param name="keyTokens">Every key token id of the vocabulary.</param>
    /// <param name="key">The key token to force (one of <paramref name="keyTokens"/>).</param>
    public KeyConstraint(ITokenGrammar inner, int[] keyTokens, int key)
        : base(inner)
    {
        _keyTokens = keyTokens;
        _key = key;
    }

    public override void Reset()
    {
        base.Reset();
        _keySeen = false;
    }

    public override void Accept(int token)
    {
        base.Accept(token);
        if (!_keySeen && Array.IndexOf(_keyTokens, token) >= 0) _keySeen = true;
    }

    public override void MaskLogits(Span<float> logits)
    {
        base.MaskLogits(logits);
        if (_keySeen) return;
        foreach (var id in _keyTokens)
            if (id != _key && id < logits.Length) logits[id] = float.NegativeInfinity;
    }
}
