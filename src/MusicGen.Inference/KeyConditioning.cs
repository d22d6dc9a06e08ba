using MusicGen.Core.Music;
using MusicGen.Core.Tokenization;
using MusicGen.Inference.Errors;
using MusicGen.Inference.Sampling;

namespace MusicGen.Inference;

/// <summary>
/// The <c>key</c> option (<see cref="GenerationRequest.Key"/>): on a model with key tokens it forces the first key
/// token, through the grammar (<see cref="KeyConstraint"/>) or, with tempo, meter or program, inside the forced
/// conditioning tokens; on a model without key tokens it is refused, never ignored.
/// </summary>
internal sealed class KeyConditioning
{
    private readonly IMusicTokenizer _tokenizer;
    private readonly string _model;
    private readonly int[] _keyTokens;

    public KeyConditioning(IMusicTokenizer tokenizer, string modelName)
    {
        _tokenizer = tokenizer;
        _model = modelName;
        _keyTokens = [.. Enumerable.Range(0, tokenizer.VocabularySize).Where(i => tokenizer.TokenName(i).StartsWith("Key_", StringComparison.Ordinal))];
    }

    /// <summary>Whether the model's tokens name keys.</summary>
    public bool HasKeyTokens => _keyTokens.Length > 0;

    /// <summary>
    /// The key token the request asks for, or null when it asks for none.
    /// </summary>
    /// <exception cref="InvalidGenerationRequestException">Keyed <c>key</c>: the model has no key tokens, the grammar is
    /// off, or (a model with key tokens) tempo, meter or program are asked for without a key.</exception>
    public int? Resolve(GenerationRequest request)
    {
        var conditioned = request.TempoBpm is not null || request.TimeSignature is not null || request.Program is not null;
        if (request.Key is not { } text)
        {
            if (HasKeyTokens && conditioned)
                throw Invalid($"model '{_model}' names its key before its first note, so tempo, meter and program need a key too (e.g. \"A minor\").");
            return null;
        }

        var key = MusicalKey.Parse(text); // GenerationRequest.Check refused what does not parse
        if (!HasKeyTokens)
            throw Invalid($"model '{_model}' has no key tokens (its '{_tokenizer.Kind}' tokenizer was built without them), so it cannot start in {key.Name}.");
        if (!request.Sampling.UseGrammar)
            throw Invalid("key is forced through the grammar; it cannot be used with grammar=false.");
        return _tokenizer.TokenId("Key_" + key.ShortName);
    }

    /// <summary>The grammar of a sequence: the tokenizer's, forcing <paramref name="key"/> as the first key token when given.</summary>
    public ITokenGrammar Grammar(int? key) => key is int k ? new KeyConstraint(_tokenizer.CreateGrammar(), _keyTokens, k) : _tokenizer.CreateGrammar();

    private static InvalidGenerationRequestException Invalid(string message) =>
        new(new Dictionary<string, string> { ["key"] = "key: " + message });
}
