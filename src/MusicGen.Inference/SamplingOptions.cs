namespace MusicGen.Inference;

/// <summary>
/// How the next token is chosen from the model's logits. Applied in this order: per-token bias, repetition penalty,
/// no-repeat n-gram ban, grammar mask, then greedy arg-max or temperature, min-p, top-k, top-p and a seeded draw.
/// </summary>
public sealed class SamplingOptions
{
    /// <summary>Softmax temperature (&gt; 0; default 1). Ignored when <see cref="Greedy"/> is set.</summary>
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

    /// <summary>Always take the most likely token (deterministic without a seed).</summary>
    public bool Greedy { get; set; }

    /// <summary>Added to the logit of each listed token id before sampling (negative infinity bans a token).</summary>
    public IReadOnlyDictionary<int, float>? TokenBias { get; set; }

    /// <summary>Mask tokens the tokenizer's grammar says are illegal next, so the output always decodes (default true).</summary>
    public bool UseGrammar { get; set; } = true;

    /// <summary>Checks every field against <paramref name="vocabularySize"/> (when known); returns the problems found.</summary>
    public IReadOnlyList<string> Validate(int? vocabularySize = null)
    {
        var errors = new List<string>();
        if (!Greedy && !(Temperature > 0 && float.IsFinite(Temperature)))
            errors.Add($"{nameof(Temperature)} must be a finite number > 0 when sampling (got {Temperature}).");
        if (TopK < 0) errors.Add($"{nameof(TopK)} must be >= 0 (got {TopK}).");
        if (!(TopP > 0 && TopP <= 1)) errors.Add($"{nameof(TopP)} must be in (0, 1] (got {TopP}).");
        if (!(MinP >= 0 && MinP < 1)) errors.Add($"{nameof(MinP)} must be in [0, 1) (got {MinP}).");
        if (!(RepetitionPenalty >= 1 && float.IsFinite(RepetitionPenalty)))
            errors.Add($"{nameof(RepetitionPenalty)} must be a finite number >= 1 (got {RepetitionPenalty}).");
        if (RepetitionWindow < 0) errors.Add($"{nameof(RepetitionWindow)} must be >= 0 (got {RepetitionWindow}).");
        if (NoRepeatNgramSize is < 0 or 1) errors.Add($"{nameof(NoRepeatNgramSize)} must be 0 (off) or >= 2 (got {NoRepeatNgramSize}).");
        if (TokenBias is not null)
        {
            foreach (var (token, bias) in TokenBias)
            {
                if (token < 0 || (vocabularySize is int v && token >= v))
                    errors.Add($"{nameof(TokenBias)} names token {token}, outside the vocabulary{(vocabularySize is int vs ? $" of {vs}" : "")}.");
                if (float.IsNaN(bias) || float.IsPositiveInfinity(bias))
                    errors.Add($"{nameof(TokenBias)} for token {token} must be a finite number or negative infinity (got {bias}).");
            }
        }
        return errors;
    }

    /// <summary>A copy of these options.</summary>
    public SamplingOptions Clone() => (SamplingOptions)MemberwiseClone();
}
