using MusicGen.Core.Music;

namespace MusicGen.Core.Limits;

/// <summary>
/// The bounds on one input (a primer file, a score, a MIDI file to render as audio) that keep the work it causes bounded: the one place for each
/// limit and its default. Each is checked before the work it bounds allocates anything, and a breach throws
/// <see cref="InputLimitExceededException"/> naming the property. The defaults admit every piece of the bundled
/// corpora many times over (a POP909 song: tens of KB, a few thousand notes, about 200,000 ticks, 10,000 REMI positions).
/// </summary>
public sealed record InputLimits
{
    /// <summary>The defaults.</summary>
    public static InputLimits Default { get; } = new();

    /// <summary>Bytes of a primer MIDI file (checked before it is read). Default 1 MiB.</summary>
    public int MaxPrimerBytes { get; init; } = 1 << 20;

    /// <summary>Notes in a score to encode (all tracks). Default 100,000.</summary>
    public int MaxNotes { get; init; } = 100_000;

    /// <summary>
    /// Length of a score in ticks: the latest note end, tempo, time or key signature. Default 100,000,000 (a two-hour
    /// piece at 240 BPM and 960 ticks per quarter has 27.6 M).
    /// </summary>
    public long MaxTicks { get; init; } = 100_000_000;

    /// <summary>
    /// Length of a score in steps of the tokenizer's time grid, computed from its length before encoding: chorale
    /// frames, REMI positions (bars × positions per bar), performance time-shift steps. Default 500,000: at 120 BPM
    /// that is 2.9 hours of REMI at its default 24 positions per quarter, 83 minutes of performance steps of 10 ms.
    /// </summary>
    public long MaxFrames { get; init; } = 500_000;

    /// <summary>Tokens one REMI bar may take (its Bar, positions, tempo, program and note tokens). Default 8,192.</summary>
    public int MaxTokensPerBar { get; init; } = 8_192;

    /// <summary>
    /// Seconds of audio one render may produce (the MIDI's length plus the renderer's tail), checked before any audio
    /// is made. Default 600 (10 minutes: about 106 MB of 44.1 kHz stereo 16-bit PCM, held in memory).
    /// </summary>
    public int MaxRenderSeconds { get; init; } = 600;

    /// <summary>Every problem with these values (empty when valid): each must be positive.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (MaxPrimerBytes < 1) errors.Add($"{nameof(MaxPrimerBytes)} must be >= 1 (got {MaxPrimerBytes}).");
        if (MaxNotes < 1) errors.Add($"{nameof(MaxNotes)} must be >= 1 (got {MaxNotes}).");
        if (MaxTicks < 1) errors.Add($"{nameof(MaxTicks)} must be >= 1 (got {MaxTicks}).");
        if (MaxFrames < 1) errors.Add($"{nameof(MaxFrames)} must be >= 1 (got {MaxFrames}).");
        if (MaxRenderSeconds < 1) errors.Add($"{nameof(MaxRenderSeconds)} must be >= 1 (got {MaxRenderSeconds}).");
        if (MaxTokensPerBar < 16) errors.Add($"{nameof(MaxTokensPerBar)} must be >= 16 (got {MaxTokensPerBar}).");
        return errors;
    }

    /// <summary>Throws when <paramref name="bytes"/> of primer exceed <see cref="MaxPrimerBytes"/>.</summary>
    public void CheckPrimerBytes(long bytes)
    {
        if (bytes > MaxPrimerBytes)
            throw new InputLimitExceededException(nameof(MaxPrimerBytes), bytes, MaxPrimerBytes, "bytes in the primer file");
    }

    /// <summary>
    /// Checks a score's notes (<see cref="MaxNotes"/>) and length in ticks (<see cref="MaxTicks"/>) without
    /// allocating, and returns the length in ticks (0 for an empty score). Every tokenizer calls it first.
    /// </summary>
    public long CheckScore(Score score)
    {
        ArgumentNullException.ThrowIfNull(score);
        long notes = 0, end = 0;
        foreach (var track in score.Tracks)
        {
            notes += track.Notes.Count;
            if (notes > MaxNotes) throw new InputLimitExceededException(nameof(MaxNotes), notes, MaxNotes, "notes in the score");
            foreach (var n in track.Notes) end = Math.Max(end, Math.Max(n.Start, n.End));
        }
        foreach (var t in score.Tempos) end = Math.Max(end, t.Tick);
        foreach (var t in score.TimeSignatures) end = Math.Max(end, t.Tick);
        foreach (var k in score.KeySignatures) end = Math.Max(end, k.Tick);
        if (end > MaxTicks) throw new InputLimitExceededException(nameof(MaxTicks), end, MaxTicks, "length of the score in ticks");
        return end;
    }

    /// <summary>Throws when <paramref name="frames"/> steps of a tokenizer's time grid exceed <see cref="MaxFrames"/>.</summary>
    /// <param name="frames">Steps the encoding would span.</param>
    /// <param name="what">The grid in words, for example "chorale frames (4 per quarter)".</param>
    public void CheckFrames(long frames, string what)
    {
        if (frames > MaxFrames) throw new InputLimitExceededException(nameof(MaxFrames), frames, MaxFrames, what);
    }

    /// <summary>Throws when one REMI bar needs more than <see cref="MaxTokensPerBar"/> tokens.</summary>
    public void CheckTokensPerBar(long tokens, long bar)
    {
        if (tokens > MaxTokensPerBar)
            throw new InputLimitExceededException(nameof(MaxTokensPerBar), tokens, MaxTokensPerBar, $"tokens in bar {bar + 1}");
    }

    /// <summary>Throws when a render of <paramref name="seconds"/> of audio exceeds <see cref="MaxRenderSeconds"/>.</summary>
    public void CheckRenderSeconds(double seconds)
    {
        if (!(seconds <= MaxRenderSeconds))
            throw new InputLimitExceededException(nameof(MaxRenderSeconds), double.IsFinite(seconds) ? (long)Math.Ceiling(seconds) : long.MaxValue, MaxRenderSeconds, "seconds of audio to render");
    }
}
