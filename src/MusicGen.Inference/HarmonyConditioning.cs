using MusicGen.Core.Corpus;
using MusicGen.Core.Music;
using MusicGen.Core.Tokenization;
using MusicGen.Inference.Errors;
using MusicGen.Inference.Sampling;

namespace MusicGen.Inference;

/// <summary>
/// The <c>key</c> and <c>chords</c> options (<see cref="GenerationRequest.Key"/>, <see cref="GenerationRequest.Chords"/>).
/// On a model with key tokens a key forces the first key token, through the grammar (<see cref="KeyConstraint"/>) or,
/// with tempo, meter or program, inside the forced conditioning tokens. On a model without key tokens a key is held
/// through the scale bias from the first note (<see cref="ScaleBias"/>) and written as the piece's key signature. On a
/// model with chord tokens a progression makes the grammar require each harmony segment's chord
/// (<see cref="RemiTokenizer.CreateGrammar(IReadOnlyList{Chord})"/>). A model without chord tokens refuses a
/// progression, never ignores it.
/// </summary>
internal sealed class HarmonyConditioning
{
    private readonly IMusicTokenizer _tokenizer;
    private readonly string _model;
    private readonly int[] _keyTokens;
    private readonly PitchTokens _pitches;

    public HarmonyConditioning(IMusicTokenizer tokenizer, string modelName)
    {
        _tokenizer = tokenizer;
        _model = modelName;
        KeyLead = WindowLead.ForKeys(tokenizer);
        _keyTokens = KeyLead is { } lead ? [.. Enumerable.Range(0, tokenizer.VocabularySize).Where(lead.IsLead)] : [];
        _pitches = PitchTokens.Of(tokenizer);
    }

    /// <summary>The model's key tokens as a window restates them when the context is full (null without key tokens).</summary>
    public WindowLead? KeyLead { get; }

    /// <summary>Whether the model's tokens name keys.</summary>
    public bool HasKeyTokens => KeyLead is not null;

    /// <summary>Whether the model's tokens name chords (REMI with <c>chordTokens</c>).</summary>
    public bool HasChordTokens => _tokenizer is RemiTokenizer { Config.ChordTokens: true };

    /// <summary>
    /// The key the request asks for: as the key token to force (a model with key tokens) or as the scale to hold (a
    /// model without them; the key as asked, in the tokens' frame it is <see cref="KeyNormalization"/>'s C major or A
    /// minor for a model trained there), and the semitones the piece is moved by afterwards (a model trained in C major
    /// / A minor: <paramref name="normalizedKeys"/> set; else 0). All null and 0 when it asks for no key.
    /// </summary>
    /// <exception cref="InvalidGenerationRequestException">Keyed <c>key</c>: the grammar is off, the model has neither
    /// key nor pitch tokens, or (a model with key tokens) tempo, meter or program are asked for without a key.</exception>
    public (int? Token, MusicalKey? Scale, int Shift) ResolveKey(GenerationRequest request, int[]? normalizedKeys = null)
    {
        var conditioned = request.TempoBpm is not null || request.TimeSignature is not null || request.Program is not null;
        if (request.Key is not { } text)
        {
            if (HasKeyTokens && conditioned)
                throw Invalid("key", $"model '{_model}' names its key before its first note, so tempo, meter and program need a key too (e.g. \"A minor\").");
            return (null, null, 0);
        }

        var key = MusicalKey.Parse(text); // GenerationRequest.Check refused what does not parse
        if (!request.Sampling.UseGrammar)
            throw Invalid("key", "key is forced through the grammar; it cannot be used with grammar=false.");
        var shift = normalizedKeys is null ? 0 : KeyNormalization.ShiftToC(key);
        if (HasKeyTokens) return (_tokenizer.TokenId("Key_" + key.Transpose(shift).ShortName), null, -shift);
        if (!_pitches.Any)
            throw Invalid("key", $"model '{_model}' has neither key nor pitch tokens, so it cannot keep to {key.Name}.");
        return (null, key, -shift);
    }

    /// <summary>The progression the request asks for, or null.</summary>
    /// <exception cref="InvalidGenerationRequestException">Keyed <c>chords</c>: the model has no chord tokens, or the grammar is off.</exception>
    public Chord[]? ResolveChords(GenerationRequest request)
    {
        if (request.Chords is not { Count: > 0 } names) return null;
        if (!HasChordTokens)
            throw Invalid("chords", $"model '{_model}' has no chord tokens (its '{_tokenizer.Kind}' tokenizer was built without them), so it cannot follow a chord progression.");
        if (!request.Sampling.UseGrammar)
            throw Invalid("chords", "chords are forced through the grammar; they cannot be used with grammar=false.");
        return [.. names.Select(n => Chord.TryParse(n, out var c) ? c : throw Invalid("chords", $"'{n}' is not a chord"))];
    }

    /// <summary>The chord token of a chord (a model with chord tokens).</summary>
    public int ChordToken(Chord chord) => _tokenizer.TokenId("Chord_" + chord.Name);

    /// <summary>
    /// The grammar of a sequence: the tokenizer's, following <paramref name="chords"/>, forcing <paramref name="key"/>
    /// as the first key token when given, and lowering out-of-key pitches by <paramref name="scaleBias"/> when it is
    /// above 0 (<see cref="ScaleBias"/>). With <paramref name="scale"/> (a key asked of a model without key tokens) the
    /// bias holds that key from the first note, by <paramref name="scaleBias"/> or, when that is 0,
    /// <see cref="GenerationOptions.KeyScaleBias"/>.
    /// </summary>
    public ITokenGrammar Grammar(int? key, Chord[]? chords, float scaleBias = 0, MusicalKey? scale = null)
    {
        var grammar = chords is null ? _tokenizer.CreateGrammar() : ((RemiTokenizer)_tokenizer).CreateGrammar(chords);
        if (key is int k) grammar = new KeyConstraint(grammar, _keyTokens, k);
        if (scale is not null) return new ScaleBias(grammar, _pitches, scaleBias > 0 ? scaleBias : GenerationOptions.KeyScaleBias, scale);
        return scaleBias > 0 && _pitches.Any ? new ScaleBias(grammar, _pitches, scaleBias) : grammar;
    }

    private static InvalidGenerationRequestException Invalid(string option, string message) =>
        new(new Dictionary<string, string> { [option] = $"{option}: {message}" });
}
