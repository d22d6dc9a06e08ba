using MusicGen.Core.Music;
using MusicGen.Core.Tokenization;

namespace MusicGen.Inference.Sampling;

/// <summary>
/// The pitch tokens of a vocabulary, for <see cref="ScaleBias"/>: each token's pitch class (or -1), the key tokens'
/// keys, and which tokens switch to and away from drums. Built once per model.
/// </summary>
internal sealed class PitchTokens
{
    private PitchTokens(int[] pitchClass, MusicalKey?[] keys, sbyte[] drums, int[] pitchIds)
    {
        PitchClass = pitchClass;
        Keys = keys;
        Drums = drums;
        PitchIds = pitchIds;
    }

    /// <summary>Pitch class (0 = C) of each token id that starts a note (<c>Pitch_n</c>, <c>NoteOn_n</c>), else -1.</summary>
    public int[] PitchClass { get; }

    /// <summary>The key each key token (<c>Key_..</c>) names, else null.</summary>
    public MusicalKey?[] Keys { get; }

    /// <summary>1 for the drum program token, -1 for the other program tokens, 0 for the rest.</summary>
    public sbyte[] Drums { get; }

    /// <summary>The ids with a pitch class.</summary>
    public int[] PitchIds { get; }

    /// <summary>Whether the vocabulary has note-starting pitch tokens at all.</summary>
    public bool Any => PitchIds.Length > 0;

    public static PitchTokens Of(IMusicTokenizer tokenizer)
    {
        var n = tokenizer.VocabularySize;
        var pc = new int[n];
        var keys = new MusicalKey?[n];
        var drums = new sbyte[n];
        var ids = new List<int>();
        for (var id = 0; id < n; id++)
        {
            var name = tokenizer.TokenName(id);
            pc[id] = -1;
            if ((Number(name, "Pitch_") ?? Number(name, "NoteOn_")) is int pitch)
            {
                pc[id] = pitch % 12;
                ids.Add(id);
            }
            else if (name.StartsWith("Key_", StringComparison.Ordinal) && MusicalKey.TryParse(name[4..], out var key)) keys[id] = key;
            else if (name == "Program_Drums") drums[id] = 1;
            else if (name.StartsWith("Program_", StringComparison.Ordinal)) drums[id] = -1;
        }

        return new PitchTokens(pc, keys, drums, [.. ids]);
    }

    private static int? Number(string name, string prefix) =>
        name.StartsWith(prefix, StringComparison.Ordinal) && int.TryParse(name.AsSpan(prefix.Length), out var v) && v >= 0 ? v : null;
}

/// <summary>
/// A grammar that also keeps the music in key (the <c>scaleBias</c> option): the logits of pitch tokens outside the
/// current key's scale are lowered by the bias. The current key is the key the request asked for on a model without
/// key tokens (fixed from the first note; over the first <see cref="GenerationOptions.KeyTonicNotes"/> notes its tonic
/// triad is also raised by <see cref="GenerationOptions.KeyTonicBias"/>, so that the music settles on the key asked for
/// rather than on another key of the same scale), else the latest key token (models with key tokens), else the
/// Krumhansl–Schmuckler estimate (<see cref="KeyFinder.Estimate"/>) over every pitched non-drum note so far,
/// primer included, once there are <see cref="MinNotes"/>; before that nothing is lowered. In a minor key the
/// raised seventh (the leading tone) counts as in the scale. Drum notes are neither counted nor lowered.
/// Deterministic; no allocation per token.
/// </summary>
internal sealed class ScaleBias : DelegatingTokenGrammar
{
    /// <summary>Notes the estimate needs before the bias applies.</summary>
    public const int MinNotes = 8;

    private readonly PitchTokens _pitches;
    private readonly float _bias;
    private readonly int _fixedMask;
    private readonly int _triadMask;
    private readonly double[] _counts = new double[12];
    private int _notes;
    private bool _drums;
    private bool _keyTokenSeen;
    private int _scaleMask;

    /// <param name="inner">The grammar to decorate.</param>
    /// <param name="pitches">The vocabulary's pitch tokens.</param>
    /// <param name="bias">How much to lower an out-of-scale pitch's logit (&gt; 0).</param>
    /// <param name="key">A key to hold from the first note on, instead of key tokens or the estimate (its tonic triad raised).</param>
    public ScaleBias(ITokenGrammar inner, PitchTokens pitches, float bias, MusicalKey? key = null)
        : base(inner)
    {
        _pitches = pitches;
        _bias = bias;
        _fixedMask = key is { } k ? Mask(k) : 0;
        _triadMask = key is { } t ? (1 << t.Tonic) | (1 << ((t.Tonic + (t.IsMinor ? 3 : 4)) % 12)) | (1 << ((t.Tonic + 7) % 12)) : 0;
        _scaleMask = _fixedMask;
    }

    /// <summary>The scale the bias keeps to (bit i = pitch class i), or 0 while there is no key yet.</summary>
    public int ScaleMask => _scaleMask;

    public override void Reset()
    {
        base.Reset();
        Array.Clear(_counts);
        _notes = 0;
        _drums = false;
        _keyTokenSeen = false;
        _scaleMask = _fixedMask;
    }

    public override void Accept(int token)
    {
        base.Accept(token);
        if ((uint)token >= (uint)_pitches.PitchClass.Length) return;
        if (_pitches.Drums[token] != 0)
        {
            _drums = _pitches.Drums[token] > 0;
            return;
        }

        if (_pitches.Keys[token] is { } key && _fixedMask == 0)
        {
            _keyTokenSeen = true;
            _scaleMask = Mask(key);
            return;
        }

        var pc = _pitches.PitchClass[token];
        if (pc < 0 || _drums) return;
        _counts[pc]++;
        _notes++;
        if (_fixedMask == 0 && !_keyTokenSeen && _notes >= MinNotes && KeyFinder.Estimate(_counts) is { } estimate) _scaleMask = Mask(estimate);
    }

    public override void MaskLogits(Span<float> logits)
    {
        base.MaskLogits(logits);
        if (_scaleMask == 0 || _drums) return;
        foreach (var id in _pitches.PitchIds)
        {
            if (id < logits.Length && (_scaleMask >> _pitches.PitchClass[id] & 1) == 0) logits[id] -= _bias;
            else if (id < logits.Length && _notes < GenerationOptions.KeyTonicNotes && (_triadMask >> _pitches.PitchClass[id] & 1) != 0) logits[id] += GenerationOptions.KeyTonicBias;
        }
    }

    private static int Mask(MusicalKey key) => key.ScaleMask | (key.IsMinor ? 1 << ((key.Tonic + 11) % 12) : 0);
}
