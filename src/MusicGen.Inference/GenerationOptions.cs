using System.Globalization;

namespace MusicGen.Inference;

/// <summary>The kind of value a generation option takes.</summary>
public enum GenerationOptionKind
{
    /// <summary>A whole number.</summary>
    Integer,

    /// <summary>A number.</summary>
    Number,

    /// <summary>True or false.</summary>
    Boolean,

    /// <summary>A string.</summary>
    Text,

    /// <summary>A list of strings (token names).</summary>
    TextList,

    /// <summary>Token name (or id) to a number.</summary>
    TokenBias,

    /// <summary>A MIDI file.</summary>
    Midi,
}

/// <summary>One generation option as every front end shows it: name, CLI flag, kind, default, limits and doc text.</summary>
/// <param name="Name">The JSON and form field (camelCase), e.g. <c>topP</c>.</param>
/// <param name="Flag">The CLI flag, e.g. <c>--top-p</c>.</param>
/// <param name="Kind">The kind of value.</param>
/// <param name="Description">What it does, for help text, the OpenAPI schema and the page.</param>
/// <param name="Default">The value when not given (null: none, the option is off).</param>
/// <param name="Minimum">Smallest value allowed (numbers), inclusive unless <paramref name="MinimumExclusive"/>.</param>
/// <param name="Maximum">Largest value allowed (numbers), inclusive unless <paramref name="MaximumExclusive"/>.</param>
/// <param name="MinimumExclusive">The minimum itself is not allowed.</param>
/// <param name="MaximumExclusive">The maximum itself is not allowed.</param>
public sealed record GenerationOption(
    string Name, string Flag, GenerationOptionKind Kind, string Description, object? Default = null,
    double? Minimum = null, double? Maximum = null, bool MinimumExclusive = false, bool MaximumExclusive = false)
{
    /// <summary>
    /// A typical value, for documentation (the OpenAPI schema's <c>example</c>): a number, bool, string, string array
    /// or dictionary, as the JSON body takes it.
    /// </summary>
    public object? Example { get; init; }

    /// <summary>The allowed range in words (e.g. "in (0, 1]"), or null when any value goes.</summary>
    public string? RangeText => (Minimum, Maximum) switch
    {
        (null, null) => null,
        ({ } lo, null) => MinimumExclusive ? $"> {F(lo)}" : $">= {F(lo)}",
        (null, { } hi) => MaximumExclusive ? $"< {F(hi)}" : $"<= {F(hi)}",
        ({ } lo, { } hi) => $"in {(MinimumExclusive ? '(' : '[')}{F(lo)}, {F(hi)}{(MaximumExclusive ? ')' : ']')}",
    };

    /// <summary>Whether <paramref name="value"/> is inside the range.</summary>
    public bool InRange(double value) =>
        double.IsFinite(value)
        && (Minimum is not { } lo || (MinimumExclusive ? value > lo : value >= lo))
        && (Maximum is not { } hi || (MaximumExclusive ? value < hi : value <= hi));

    private static string F(double v) => v.ToString(CultureInfo.InvariantCulture);
}

/// <summary>
/// Every generation option, declared once: the one place for names, defaults, limits and doc text. The library's
/// <see cref="GenerationRequest"/> and <see cref="SamplingOptions"/> validate against it, the CLI builds its
/// <c>generate</c> flags from it, the service reads JSON and form bodies with it and describes it in its OpenAPI
/// schema, and the page builds its controls from it (<c>GET /v1/options</c>).
/// </summary>
public static class GenerationOptions
{
    /// <summary>New tokens generated when a request sets no length (every front end).</summary>
    public const int DefaultTokens = 512;

    /// <summary>Most bars one request may ask for.</summary>
    public const int MaxBars = 10_000;

    /// <summary>Most seconds of music one request may ask for.</summary>
    public const double MaxSeconds = 3600;

    /// <summary>Most chords in one progression (the <c>chords</c> option).</summary>
    public const int MaxChords = 256;

    /// <summary>
    /// The scale bias that holds a key asked of a model without key tokens when neither the request nor the model
    /// package sets <c>scaleBias</c> (a factor of e^-4, about 0.02, on an out-of-key pitch's probability).
    /// </summary>
    public const float KeyScaleBias = 4;

    /// <summary>
    /// How much the logits of a requested key's tonic triad (tonic, third, fifth) are raised over the first
    /// <see cref="KeyTonicNotes"/> notes on a model without key tokens: the scale bias holds the key's notes, this
    /// establishes its centre (measured in docs/inference.md, "Keeping to the key").
    /// </summary>
    public const float KeyTonicBias = 1;

    /// <summary>Notes (primer excluded: a key is asked for without one) over which <see cref="KeyTonicBias"/> applies.</summary>
    public const int KeyTonicNotes = 64;

    /// <summary>A token bias at or below this bans the token (as negative infinity).</summary>
    public const float BanBias = -1000;

    /// <summary>The primer's example: one middle C, a quarter note at 120 BPM (a format 0 MIDI file, base64).</summary>
    private const string ExamplePrimer = "TVRoZAAAAAYAAAABAeBNVHJrAAAAFAD/UQMHoSAAkDxQg2CAPEAA/y8A";

    /// <summary>
    /// The sampling options a model package may give its own default for (manifest <c>sampling</c>, chosen by
    /// measurement): a request that leaves one unset gets the package's value, else the default declared in
    /// <see cref="All"/>.
    /// </summary>
    public static IReadOnlyList<string> PackageSamplingDefaults { get; } =
        ["temperature", "topK", "topP", "minP", "repetitionPenalty", "repetitionWindow", "noRepeatNgram", "scaleBias"];

    private const string PackageDefault = " A model package may set its own default (its musicgen.json sampling).";

    /// <summary>The options, in the order front ends list them.</summary>
    public static IReadOnlyList<GenerationOption> All { get; } =
    [
        new("tokens", "--tokens", GenerationOptionKind.Integer, $"Most new tokens to generate (primer excluded); {DefaultTokens} when no bars or seconds are given, else an upper bound.", DefaultTokens, 1, null) { Example = 256 },
        new("bars", "--bars", GenerationOptionKind.Integer, "Bars of new music: exactly this many, ending at a bar line (the model cannot end sooner unless allowEarlyEnd).", null, 1, MaxBars) { Example = 8 },
        new("seconds", "--seconds", GenerationOptionKind.Number, "Seconds of new music at least: the piece ends at the first bar line at or after them (unless allowEarlyEnd).", null, 0, MaxSeconds, MinimumExclusive: true) { Example = 30.0 },
        new("allowEarlyEnd", "--allow-early-end", GenerationOptionKind.Boolean, "Let the model end the piece before the bars or seconds asked for, and leave bars silent.", false) { Example = true },
        new("temperature", "--temperature", GenerationOptionKind.Number, "Softmax temperature; 0 means greedy (always the most likely token)." + PackageDefault, 1.0, 0, 100) { Example = 0.9 },
        new("topK", "--top-k", GenerationOptionKind.Integer, "Keep only the K most likely tokens (0 = off)." + PackageDefault, 0, 0, 1_000_000) { Example = 40 },
        new("topP", "--top-p", GenerationOptionKind.Number, "Nucleus sampling: keep the most likely tokens whose probability reaches P (1 = off)." + PackageDefault, 1.0, 0, 1, MinimumExclusive: true) { Example = 0.95 },
        new("minP", "--min-p", GenerationOptionKind.Number, "Drop tokens below this fraction of the most likely one's probability (0 = off)." + PackageDefault, 0.0, 0, 1, MaximumExclusive: true) { Example = 0.05 },
        new("repetitionPenalty", "--repetition-penalty", GenerationOptionKind.Number, "Penalty for tokens seen in the last repetitionWindow tokens (1 = off)." + PackageDefault, 1.0, 1, 100) { Example = 1.1 },
        new("repetitionWindow", "--repetition-window", GenerationOptionKind.Integer, "How many recent tokens the repetition penalty looks at." + PackageDefault, 64, 0, 65_536) { Example = 64 },
        new("noRepeatNgram", "--no-repeat-ngram", GenerationOptionKind.Integer, "Never repeat an n-gram of this size already in the piece (0 = off, else at least 2)." + PackageDefault, 0, 0, 64) { Example = 4 },
        new("scaleBias", "--scale-bias", GenerationOptionKind.Number, "Keep to the key: lower the logits of pitches outside the current key's scale by this much (the latest key token, else the key of the notes so far once there are 8; 0 = off)." + PackageDefault, 0.0, 0, 100) { Example = 2.0 },
        new("tokenBias", "--token-bias", GenerationOptionKind.TokenBias, $"Added to the logits of tokens, by name (e.g. EOS, Pitch_60) or id; {BanBias.ToString(CultureInfo.InvariantCulture)} or less bans the token. CLI: NAME=VALUE.", null) { Example = new Dictionary<string, double> { ["EOS"] = -1000 } },
        new("grammar", "--grammar", GenerationOptionKind.Boolean, "Mask tokens the tokenizer's grammar says are illegal next, so the output always decodes.", true) { Example = true },
        new("primer", "--primer", GenerationOptionKind.Midi, "A MIDI file to continue (JSON: base64; form and CLI: a file). Empty is an error.", null) { Example = ExamplePrimer },
        new("lenientPrimer", "--lenient-primer", GenerationOptionKind.Boolean, "Read the primer leniently, repairing what can be repaired (the repairs are listed with the result); by default a damaged primer is refused with the byte offset and what was wrong.", false) { Example = true },
        new("prefix", "--prefix", GenerationOptionKind.TextList, "Tokens forced after the primer, by name (e.g. Tempo_120, TimeSig_3/4, Program_0).", null) { Example = new[] { "Tempo_120" } },
        new("tempo", "--tempo", GenerationOptionKind.Integer, "Starting tempo in BPM, as a forced token when the tokenizer has tempo tokens (no primer).", null, 1, 1000) { Example = 120 },
        new("meter", "--meter", GenerationOptionKind.Text, "Starting time signature, e.g. 3/4, as a forced token when the tokenizer has them (no primer).", null) { Example = "3/4" },
        new("key", "--key", GenerationOptionKind.Text, $"Key, e.g. \"A minor\", \"F#m\", \"Bb major\": a model with key tokens starts with it (its first key token is forced); a model without them keeps its notes to the key's scale from the first note (scaleBias, {KeyScaleBias.ToString(CultureInfo.InvariantCulture)} unless set), raises its tonic triad over the first {KeyTonicNotes} notes and writes it as the key signature. No primer.", null) { Example = "A minor" },
        new("chords", "--chords", GenerationOptionKind.TextList, $"Chord progression, one chord per harmony segment (half a bar in even meters, else a bar) from the first bar, repeated, e.g. C G Am F (C, Cm, Cdim, Caug, C7, Cmaj7, Cm7 on any root; at most {MaxChords}); models with chord tokens only, a model without them refuses it. No primer.", null) { Example = new[] { "C", "G", "Am", "F" } },
        new("program", "--program", GenerationOptionKind.Integer, "General MIDI program (0-127) of the first note, as a forced token when the tokenizer has them (no primer).", null, 0, 127) { Example = 0 },
        new("seed", "--seed", GenerationOptionKind.Integer, "Random seed: the same seed, model and options give the same MIDI. Drawn at random when absent (and reported).", null) { Example = 2026 },
        new("greedy", "--greedy", GenerationOptionKind.Boolean, "Always take the most likely token (the same as temperature 0).", false) { Example = false },
    ];

    /// <summary>The option named <paramref name="name"/> (JSON name, case-insensitive), or null.</summary>
    public static GenerationOption? Find(string name) =>
        All.FirstOrDefault(o => string.Equals(o.Name, name, StringComparison.OrdinalIgnoreCase));

    /// <summary>The option named <paramref name="name"/>; throws when there is none (a typo in the engine itself).</summary>
    public static GenerationOption Get(string name) => Find(name) ?? throw new KeyNotFoundException($"no generation option '{name}'");

    /// <summary>Range problem of a numeric option's value (keyed by its name), or nothing.</summary>
    internal static void CheckRange(Dictionary<string, string> errors, string name, double? value)
    {
        if (value is not { } v) return;
        var o = Get(name);
        if (!o.InRange(v)) errors.TryAdd(o.Name, $"{o.Name} must be {o.RangeText} (got {v.ToString(CultureInfo.InvariantCulture)}).");
    }
}
