namespace MusicGen.Inference;

/// <summary>
/// How the next token is chosen from the model's logits. Applied in this order: per-token bias, repetition penalty,
/// no-repeat n-gram ban, grammar mask, then greedy arg-max or temperature, min-p, top-k, top-p and a seeded draw.
/// </summary>
public sealed class SamplingOptions
{
    /// <summary>Softmax temperature (&gt;= 0; default 1); 0 means greedy, as <see cref="Greedy"/>.</summary>
    public float Temperature { get; set; } = 1.0f;

    /// <summary>Keep only the K most likely tokens (0 = off).</summary>
    public int TopK { get; set; }

    /// <summary>Keep the smallest set of most likely tokens whose probability reaches P (in (0, 1]; 1 = off).</summary>
    public float TopP { get; set; } = 1.0f;

    /// <summary>Drop tokens whose probability is below this fraction of the most likely token's (in [0, 1); 0 = off).</summary>
    public float MinP { get; set; }

    /// <summary>
    /// Divide positive logits (multiply negative ones) of tokens seen in the last <see cref="RepetitionWindow"/>
    /// tokens by this factor (&gt;= 1 discourages repeats; 1 = off).
    /// </summary>
    public float RepetitionPenalty { get; set; } = 1.0f;

    /// <summary>How many recent tokens the repetition penalty looks at (default 64).</summary>
    public int RepetitionWindow { get; set; } = 64;

    /// <summary>Never repeat an n-gram of this size already in the sequence (0 = off; at least 2 when on).</summary>
    public int NoRepeatNgramSize { get; set; }

    /// <summary>Always take the most likely token (deterministic without a seed); the same as temperature 0.</summary>
    public bool Greedy { get; set; }

    /// <summary>Added to the logit of each listed token id before sampling (negative infinity bans a token).</summary>
    public IReadOnlyDictionary<int, float>? TokenBias { get; set; }

    /// <summary>Mask tokens the tokenizer's grammar says are illegal next, so the output always decodes (default true).</summary>
    public bool UseGrammar { get; set; } = true;

    /// <summary>Checks every field against <paramref name="vocabularySize"/> (when known); returns the problems found.</summary>
    public IReadOnlyList<string> Validate(int? vocabularySize = null) => [.. Check(vocabularySize).Values];

    /// <summary>
    /// Checks every field against the limits of <see cref="GenerationOptions"/> and <paramref name="vocabularySize"/>
    /// (when known); returns the problems keyed by option name (<c>temperature</c>, <c>topP</c>, ...).
    /// </summary>
    public IReadOnlyDictionary<string, string> Check(int? vocabularySize = null)
    {
        var errors = new Dictionary<string, string>(StringComparer.Ordinal);
        if (!Greedy) GenerationOptions.CheckRange(errors, "temperature", Temperature);
        GenerationOptions.CheckRange(errors, "topK", TopK);
        GenerationOptions.CheckRange(errors, "topP", TopP);
        GenerationOptions.CheckRange(errors, "minP", MinP);
        GenerationOptions.CheckRange(errors, "repetitionPenalty", RepetitionPenalty);
        GenerationOptions.CheckRange(errors, "repetitionWindow", RepetitionWindow);
        GenerationOptions.CheckRange(errors, "noRepeatNgram", NoRepeatNgramSize);
        if (NoRepeatNgramSize == 1) errors.TryAdd("noRepeatNgram", $"noRepeatNgram must be 0 (off) or >= 2 (got {NoRepeatNgramSize}).");
        if (TokenBias is not null)
        {
            foreach (var (token, bias) in TokenBias)
            {
                if (token < 0 || (vocabularySize is int v && token >= v))
                    errors.TryAdd("tokenBias", $"tokenBias names token {token}, outside the vocabulary{(vocabularySize is int vs ? $" of {vs}" : "")}.");
                if (float.IsNaN(bias) || float.IsPositiveInfinity(bias))
                    errors.TryAdd("tokenBias", $"tokenBias for token {token} must be a finite number or negative infinity (got {bias}).");
            }
        }
        return errors;
    }

    /// <summary>A copy of these options.</summary>
    public SamplingOptions Clone() => (SamplingOptions)MemberwiseClone();
}
