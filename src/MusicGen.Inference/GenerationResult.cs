using MusicGen.Core.Music;

namespace MusicGen.Inference;

/// <summary>Why a sequence stopped.</summary>
public enum StopReason
{
    /// <summary>Still generating.</summary>
    None,

    /// <summary>The requested number of tokens was generated.</summary>
    MaxTokens,

    /// <summary>The model produced the end-of-sequence token.</summary>
    EndOfSequence,

    /// <summary>The requested number of bars is complete.</summary>
    Bars,

    /// <summary>The requested seconds of music are written.</summary>
    Seconds,

    /// <summary>The sequence filled the engine's KV cache (the model context or <see cref="InferenceOptions.MaxSequenceLength"/>).</summary>
    ContextFull,

    /// <summary>The caller cancelled or removed the sequence.</summary>
    Cancelled,
}

/// <summary>Where the time of one generation went.</summary>
/// <param name="Queued">Waiting for a free batch slot.</param>
/// <param name="Prefill">Encoding primer and prefix and running them through the model in one pass (time to first token).</param>
/// <param name="Decode">The token-by-token loop after the first token.</param>
/// <param name="Total">From the request to the finished MIDI.</param>
/// <param name="GeneratedTokens">Tokens generated (primer and prefix excluded).</param>
public readonly record struct GenerationTiming(TimeSpan Queued, TimeSpan Prefill, TimeSpan Decode, TimeSpan Total, int GeneratedTokens)
{
    /// <summary>Generated tokens per second of prefill plus decode.</summary>
    public double TokensPerSecond
    {
        get
        {
            var s = (Prefill + Decode).TotalSeconds;
            return s > 0 ? GeneratedTokens / s : 0;
        }
    }
}

/// <summary>The outcome of one generation.</summary>
public sealed class GenerationResult
{
    /// <summary>The whole piece (primer + continuation) as a Standard MIDI File.</summary>
    public required byte[] Midi { get; init; }

    /// <summary>The whole piece as a score (what <see cref="Midi"/> encodes).</summary>
    public required Score Score { get; init; }

    /// <summary>
    /// Every token of the sequence: BOS, primer, forced prefix, then the generated tokens. For a model trained in C
    /// major / A minor (<see cref="ModelPackage.NormalizesKeys"/>) they are in that frame; <see cref="Score"/> is them
    /// moved by <see cref="KeyShift"/>.
    /// </summary>
    public required int[] Tokens { get; init; }

    /// <summary>How many of <see cref="Tokens"/> were given (BOS, primer and prefix) rather than generated.</summary>
    public required int PromptTokenCount { get; init; }

    /// <summary>Why generation stopped.</summary>
    public required StopReason StopReason { get; init; }

    /// <summary>The seed used (the request's, or the one drawn for it): pass it back to reproduce this result.</summary>
    public required long Seed { get; init; }

    /// <summary>Where the time went.</summary>
    public required GenerationTiming Timing { get; init; }

    /// <summary>
    /// What lenient reading repaired in the primer file (<see cref="GenerationRequest.LenientPrimer"/>), one line each
    /// with its byte offset (the first 100; the last line counts the rest); empty otherwise.
    /// </summary>
    public IReadOnlyList<string> PrimerRepairs { get; init; } = [];

    /// <summary>
    /// Semitones <see cref="Score"/> was moved from the tokens' C major / A minor (a model with
    /// <see cref="ModelPackage.NormalizesKeys"/>): to the key asked for, the primer's, or one drawn from the seed; 0 otherwise.
    /// </summary>
    public int KeyShift { get; init; }

    /// <summary>Number of notes in <see cref="Score"/>.</summary>
    public int NoteCount => Score.Tracks.Sum(t => t.Notes.Count);

    /// <summary>Length of the piece in seconds (to the end of its last note), following the score's tempo map.</summary>
    public double DurationSeconds => TempoMap.For(Score).ToSeconds(Score.EndTick);
}

/// <summary>What a streamed generation reports.</summary>
public enum GenerationEventKind
{
    /// <summary>A generated token (<see cref="GenerationEvent.Token"/>, <see cref="GenerationEvent.TokenName"/>).</summary>
    Token,

    /// <summary>A note became complete (<see cref="GenerationEvent.Note"/>, <see cref="GenerationEvent.Track"/>).</summary>
    Note,

    /// <summary>Generation finished (<see cref="GenerationEvent.Result"/>); always the last event.</summary>
    Completed,
}

/// <summary>One event of <see cref="IMusicGenerator.StreamAsync"/>.</summary>
public sealed class GenerationEvent
{
    /// <summary>What happened.</summary>
    public required GenerationEventKind Kind { get; init; }

    /// <summary>Index of the token in the whole sequence (for <see cref="GenerationEventKind.Token"/>).</summary>
    public int Index { get; init; }

    /// <summary>The token id (for <see cref="GenerationEventKind.Token"/>).</summary>
    public int Token { get; init; }

    /// <summary>The token's name (for <see cref="GenerationEventKind.Token"/>).</summary>
    public string? TokenName { get; init; }

    /// <summary>The note (for <see cref="GenerationEventKind.Note"/>); ticks on the result score's grid.</summary>
    public Note Note { get; init; }

    /// <summary>Index of the note's track in the score (for <see cref="GenerationEventKind.Note"/>).</summary>
    public int Track { get; init; }

    /// <summary>General MIDI program of the note's track (for <see cref="GenerationEventKind.Note"/>).</summary>
    public int Program { get; init; }

    /// <summary>Whether the note's track is a drum track (for <see cref="GenerationEventKind.Note"/>).</summary>
    public bool IsDrum { get; init; }

    /// <summary>Seconds from the start of the piece to the note's start (for <see cref="GenerationEventKind.Note"/>).</summary>
    public double StartSeconds { get; init; }

    /// <summary>Seconds from the start of the piece to the note's end (for <see cref="GenerationEventKind.Note"/>).</summary>
    public double EndSeconds { get; init; }

    /// <summary>The finished generation (for <see cref="GenerationEventKind.Completed"/>).</summary>
    public GenerationResult? Result { get; init; }
}
