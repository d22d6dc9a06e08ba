namespace MusicGen.Inference;

/// <summary>
/// How the next token is chosen from the model's logits. Applied in this order: per-token bias, repetition penalty,
/// no-repeat n-gram ban, grammar mask, then greedy arg-max or temperature, min-p, top-k, top-p and a seeded draw.
/// </summary>
public sealed class SamplingOptions
{
    private float _temperature = 1.0f;
    private int _topK;
    private float _topP = 1.0f;
    private float _minP;
    private float _repetitionPenalty = 1.0f;
    private int _repetitionWindow = 64;
    private int _noRepeatNgramSize;
    private float _scaleBias;
    private Given _given;

    /// <summary>The options a caller set; the others take the model package's defaults (<see cref="WithDefaults"/>).</summary>
    [Flags]
    private enum Given
    {
        None = 0,
        Temperature = 1,
        TopK = 2,
        TopP = 4,
        MinP = 8,
        RepetitionPenalty = 16,
        RepetitionWindow = 32,
        NoRepeatNgram = 64,
        ScaleBias = 128,
    }

    /// <summary>Softmax temperature (&gt;= 0; default 1, or the model package's); 0 means greedy, as <see cref="Greedy"/>.</summary>
    public float Temperature { get => _temperature; set => Set(ref _temperature, value, Given.Temperature); }

    /// <summary>Keep only the K most likely tokens (0 = off, the default unless the model package sets one).</summary>
    public int TopK { get => _topK; set => Set(ref _topK, value, Given.TopK); }

    /// <summary>Keep the smallest set of most likely tokens whose probability reaches P (in (0, 1]; 1 = off, the default unless the model package sets one).</summary>
    public float TopP { get => _topP; set => Set(ref _topP, value, Given.TopP); }

    /// <summary>Drop tokens whose probability is below this fraction of the most likely token's (in [0, 1); 0 = off, the default unless the model package sets one).</summary>
    public float MinP { get => _minP; set => Set(ref _minP, value, Given.MinP); }

    /// <summary>
    /// Divide positive logits (multiply negative ones) of tokens seen in the last <see cref="RepetitionWindow"/>
    /// tokens by this factor (&gt;= 1 discourages repeats; 1 = off, the default unless the model package sets one).
    /// </summary>
    public float RepetitionPenalty { get => _repetitionPenalty; set => Set(ref _repetitionPenalty, value, Given.RepetitionPenalty); }

    /// <summary>How many recent tokens the repetition penalty looks at (default 64, or the model package's).</summary>
    public int RepetitionWindow { get => _repetitionWindow; set => Set(ref _repetitionWindow, value, Given.RepetitionWindow); }

    /// <summary>Never repeat an n-gram of this size already in the sequence (0 = off; at least 2 when on; default off unless the model package sets one).</summary>
    public int NoRepeatNgramSize { get => _noRepeatNgramSize; set => Set(ref _noRepeatNgramSize, value, Given.NoRepeatNgram); }

    /// <summary>
    /// Lower the logits of pitches outside the current key's scale by this much (&gt;= 0; 0 = off, the default unless
    /// the model package sets one). The key is the latest key token, else the key estimated from the notes so far
    /// (primer included) once there are 8; needs the grammar.
    /// </summary>
    public float ScaleBias { get => _scaleBias; set => Set(ref _scaleBias, value, Given.ScaleBias); }

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
        GenerationOptions.CheckRange(errors, "scaleBias", ScaleBias);
        if (ScaleBias > 0 && !UseGrammar) errors.TryAdd("scaleBias", "scaleBias works through the grammar; it cannot be used with grammar=false.");
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

    /// <summary>
    /// A copy in which every option this instance was not given takes the model package's default from
    /// <paramref name="defaults"/> (keyed by the names of <see cref="GenerationOptions.PackageSamplingDefaults"/>);
    /// options set here keep their values. Null or empty defaults return this instance.
    /// </summary>
    public SamplingOptions WithDefaults(IReadOnlyDictionary<string, double>? defaults)
    {
        if (defaults is null || defaults.Count == 0) return this;
        var s = Clone();
        foreach (var (name, v) in defaults)
        {
            switch (name)
            {
                case "temperature" when (_given & Given.Temperature) == 0: s._temperature = (float)v; break;
                case "topK" when (_given & Given.TopK) == 0: s._topK = (int)v; break;
                case "topP" when (_given & Given.TopP) == 0: s._topP = (float)v; break;
                case "minP" when (_given & Given.MinP) == 0: s._minP = (float)v; break;
                case "repetitionPenalty" when (_given & Given.RepetitionPenalty) == 0: s._repetitionPenalty = (float)v; break;
                case "repetitionWindow" when (_given & Given.RepetitionWindow) == 0: s._repetitionWindow = (int)v; break;
                case "noRepeatNgram" when (_given & Given.NoRepeatNgram) == 0: s._noRepeatNgramSize = (int)v; break;
                case "scaleBias" when (_given & Given.ScaleBias) == 0: s._scaleBias = (float)v; break;
            }
        }
        return s;
    }

    /// <summary>
    /// Problems of a model package's sampling defaults (manifest <c>sampling</c>): names outside
    /// <see cref="GenerationOptions.PackageSamplingDefaults"/>, whole-number options given fractions, values outside the
    /// options' limits. Empty when they are valid.
    /// </summary>
    public static IReadOnlyList<string> CheckDefaults(IReadOnlyDictionary<string, double>? defaults)
    {
        var problems = new List<string>();
        if (defaults is null) return problems;
        foreach (var (name, v) in defaults)
        {
            var option = GenerationOptions.PackageSamplingDefaults.Contains(name) ? GenerationOptions.Get(name) : null;
            if (option is null)
                problems.Add($"sampling.{name} is not an option a package can set (expected {string.Join(", ", GenerationOptions.PackageSamplingDefaults)}).");
            else if (option.Kind == GenerationOptionKind.Integer && (v != Math.Floor(v) || Math.Abs(v) > int.MaxValue))
                problems.Add($"sampling.{name} must be a whole number (got {v.ToString(System.Globalization.CultureInfo.InvariantCulture)}).");
            else if (!option.InRange(v) || (name == "noRepeatNgram" && v == 1))
                problems.Add($"sampling.{name} must be {option.RangeText}{(name == "noRepeatNgram" ? ", not 1" : "")} (got {v.ToString(System.Globalization.CultureInfo.InvariantCulture)}).");
        }
        return problems;
    }

    private void Set<T>(ref T field, T value, Given which)
    {
        field = value;
        _given |= which;
    }
}
