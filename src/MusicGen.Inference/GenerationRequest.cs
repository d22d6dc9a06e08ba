using MusicGen.Core.Music;

namespace MusicGen.Inference;

/// <summary>
/// One generation: length, sampling, seed and conditioning. Lengths are honest: with <see cref="Bars"/> the piece
/// has exactly that many bars of new music, with <see cref="Seconds"/> it runs to the first bar line at or after that
/// time; the end-of-sequence token (or a bar left silent) cannot end it sooner unless <see cref="AllowEarlyEnd"/> is
/// set. <see cref="MaxTokens"/> is an upper bound in every case; with no length set, the engine's default token
/// count applies and the model may end the piece whenever it likes.
/// </summary>
public sealed class GenerationRequest
{
    /// <summary>Most tokens to generate (not counting primer and prefix).</summary>
    public int? MaxTokens { get; set; }

    /// <summary>
    /// Bars of new music (counted by the tokenizer's grammar): the piece ends cleanly at the end of the last one, no
    /// note sounding past it, and every bar has a note sounding in it.
    /// </summary>
    public int? Bars { get; set; }

    /// <summary>
    /// Seconds of new music at least (counted by the tokenizer's grammar): the piece ends at the first bar line at or
    /// after this time, every bar with a note sounding in it.
    /// </summary>
    public double? Seconds { get; set; }

    /// <summary>
    /// Let the model end the piece before <see cref="Bars"/> or <see cref="Seconds"/> are reached (its end-of-sequence
    /// token and silent bars are then allowed; default false). Without a length it allows silent bars: by default no bar
    /// of new music is left silent, with or without a length.
    /// </summary>
    public bool AllowEarlyEnd { get; set; }

    /// <summary>Sampling settings (default: temperature 1, grammar on).</summary>
    public SamplingOptions Sampling { get; set; } = new();

    /// <summary>
    /// Seed of this request's own random generator. The same seed and settings give the same tokens and MIDI bytes,
    /// alone or batched with other requests. Null draws a fresh seed (reported in the result).
    /// </summary>
    public long? Seed { get; set; }

    /// <summary>A MIDI file (Standard MIDI File bytes) to continue. Mutually exclusive with <see cref="Primer"/>.</summary>
    public byte[]? PrimerMidi { get; set; }

    /// <summary>A score to continue. Mutually exclusive with <see cref="PrimerMidi"/>.</summary>
    public Score? Primer { get; set; }

    /// <summary>
    /// How <see cref="PrimerMidi"/> is read. False (the default): strictly, so a damaged file (truncated, a wrong chunk
    /// length, fewer tracks than the header claims, ...) is refused with a <see cref="Errors.PrimerException"/> that
    /// gives the byte offset and what was wrong. True: leniently, repairing what can be repaired; the repairs are
    /// listed in <see cref="GenerationResult.PrimerRepairs"/>.
    /// </summary>
    public bool LenientPrimer { get; set; }

    /// <summary>
    /// Longest primer kept, in tokens; a longer primer keeps its last tokens (default: no limit beyond the context).
    /// </summary>
    public int? MaxPrimerTokens { get; set; }

    /// <summary>
    /// Tokens forced after the primer (or after BOS), by name as the tokenizer spells them, for example
    /// <c>Tempo_120</c>, <c>TimeSig_3/4</c>, <c>Program_0</c>: whatever conditioning the tokenizer can express.
    /// </summary>
    public IReadOnlyList<string>? PrefixTokens { get; set; }

    /// <summary>
    /// Tempo in quarter notes per minute to start with, as a forced token when the tokenizer has tempo tokens
    /// (REMI: <c>Bar [TimeSig_n/d] Position_0 Tempo_b</c> after BOS). Without a primer only.
    /// </summary>
    public int? TempoBpm { get; set; }

    /// <summary>Time signature to start with, e.g. "3/4", as a forced token when the tokenizer has them. Without a primer only.</summary>
    public string? TimeSignature { get; set; }

    /// <summary>General MIDI program (0-127) of the first note, as a forced token when the tokenizer has them. Without a primer only.</summary>
    public int? Program { get; set; }

    /// <summary>
    /// Key to start in, e.g. "A minor", "F#m", "Bb major" (<see cref="MusicalKey.Parse"/>). On a model with key tokens
    /// (REMI with <c>keyTokens</c>) its first key token is forced to this key: the grammar masks the other keys until
    /// one is written (with <see cref="TempoBpm"/>, <see cref="TimeSignature"/> or <see cref="Program"/> it is a forced
    /// token: <c>Bar [TimeSig_n/d] Key_Am Position_0 ...</c>). On a model without key tokens the notes are held to the
    /// key's scale from the first note (<see cref="SamplingOptions.ScaleBias"/>, or
    /// <see cref="GenerationOptions.KeyScaleBias"/> when that is 0), its tonic triad is raised over the first notes
    /// (<see cref="GenerationOptions.KeyTonicBias"/>) and the key is written as the key signature.
    /// Without a primer only, and with the grammar on.
    /// </summary>
    public string? Key { get; set; }

    /// <summary>
    /// A chord progression, e.g. <c>["C", "G", "Am", "F"]</c> (<see cref="Chord.TryParse"/>): one chord per harmony
    /// segment (half a bar when the time signature's numerator is even, else a bar) from the first bar on, the list
    /// repeated. On a model with chord tokens (REMI with <c>chordTokens</c>) the grammar requires each segment's chord
    /// (<see cref="Core.Tokenization.RemiTokenizer.CreateGrammar(IReadOnlyList{Chord})"/>); a model without them
    /// refuses it. Without a primer only, and with the grammar on.
    /// </summary>
    public IReadOnlyList<string>? Chords { get; set; }

    /// <summary>Tokens forced after <see cref="PrefixTokens"/>, by id.</summary>
    public IReadOnlyList<int>? PrefixTokenIds { get; set; }

    /// <summary>
    /// When the sequence fills the model's context (or its batch slot), keep going: BOS + the last half of the
    /// tokens become a new prompt (one prefill) and generation continues (default true). False stops with
    /// <see cref="StopReason.ContextFull"/>.
    /// </summary>
    public bool SlideWindow { get; set; } = true;

    /// <summary>
    /// Token biases by token name as the tokenizer spells it (e.g. <c>EOS</c>, <c>Pitch_60</c>) or by id in digits,
    /// resolved when the sequence is made and added to <see cref="SamplingOptions.TokenBias"/>; a bias of
    /// <see cref="GenerationOptions.BanBias"/> or less bans the token.
    /// </summary>
    public IReadOnlyDictionary<string, float>? TokenBiasNames { get; set; }

    /// <summary>Checks the request's own fields; returns the problems found (each names its option).</summary>
    public IReadOnlyList<string> Validate(int maxTokensLimit, int? vocabularySize = null) => [.. Check(maxTokensLimit, vocabularySize).Values];

    /// <summary>
    /// Checks the request's own fields against the limits of <see cref="GenerationOptions"/>; returns the problems
    /// keyed by option name (<c>tokens</c>, <c>topP</c>, ...), empty when valid.
    /// </summary>
    public IReadOnlyDictionary<string, string> Check(int maxTokensLimit, int? vocabularySize = null)
    {
        var errors = new Dictionary<string, string>(StringComparer.Ordinal);
        if (MaxTokens is int t && (t < 1 || t > maxTokensLimit))
            errors["tokens"] = $"tokens must be in 1..{maxTokensLimit} (got {t}).";
        GenerationOptions.CheckRange(errors, "bars", Bars);
        GenerationOptions.CheckRange(errors, "seconds", Seconds);
        GenerationOptions.CheckRange(errors, "tempo", TempoBpm);
        GenerationOptions.CheckRange(errors, "program", Program);
        if (MaxPrimerTokens is int p && p < 1) errors["maxPrimerTokens"] = $"maxPrimerTokens must be >= 1 (got {p}).";
        if (Key is not null && !MusicalKey.TryParse(Key, out _))
            errors["key"] = $"key '{Key}' is not a key; write a tonic A-G with optional # or b and optional major/minor, e.g. \"A minor\", \"F#m\", \"Bb major\".";
        if (Chords is not null)
        {
            if (Chords.Count > GenerationOptions.MaxChords) errors["chords"] = $"chords holds {Chords.Count} chords; at most {GenerationOptions.MaxChords}.";
            else if (Chords.FirstOrDefault(c => !Chord.TryParse(c, out _)) is { } bad)
                errors["chords"] = $"chords: '{bad}' is not a chord; write a root A-G with optional # or b, then nothing (major), m, dim, aug, 7, maj7 or m7, e.g. C G7 Am Fmaj7.";
        }
        if ((TempoBpm is not null || TimeSignature is not null || Program is not null || Key is not null || Chords is not null) && (PrimerMidi is not null || Primer is not null))
            errors.TryAdd("primer", "tempo, meter, program, key and chords start a piece; with a primer, the primer sets them.");
        if (PrimerMidi is not null && Primer is not null) errors.TryAdd("primer", $"Give either {nameof(PrimerMidi)} or {nameof(Primer)}, not both.");
        if (Sampling is null) errors["sampling"] = $"{nameof(Sampling)} is required.";
        else foreach (var (k, v) in Sampling.Check(vocabularySize)) errors.TryAdd(k, v);
        if (PrefixTokenIds is not null && vocabularySize is int vocab)
        {
            foreach (var id in PrefixTokenIds)
                if (id < 0 || id >= vocab) errors.TryAdd("prefix", $"prefix holds token id {id}, outside the vocabulary of {vocab}.");
        }
        return errors;
    }

    /// <summary>A copy with other sampling options (the engine's own, with resolved token biases).</summary>
    internal GenerationRequest WithSampling(SamplingOptions sampling)
    {
        var copy = (GenerationRequest)MemberwiseClone();
        copy.Sampling = sampling;
        return copy;
    }
}
