namespace MusicGen.Inference.Errors;

/// <summary>
/// A generation finished with no notes (the model ended it at once, or the token limit came first). Thrown instead of
/// handing back an empty piece, so that nothing silent is written; <see cref="Result"/> still holds the tokens.
/// </summary>
public sealed class EmptyPieceException : Exception
{
    /// <summary>Creates the exception for a finished generation without notes.</summary>
    public EmptyPieceException(GenerationResult result)
        : base($"The generated piece has no notes (seed {result?.Seed}, {result?.Timing.GeneratedTokens} tokens generated, stopped by {result?.StopReason}); " +
               "nothing was written. Ask for a length in bars or seconds without allowing an early end, or allow more tokens.") =>
        Result = result ?? throw new ArgumentNullException(nameof(result));

    /// <summary>The empty generation.</summary>
    public GenerationResult Result { get; }

    /// <summary>Returns <paramref name="result"/> when it has notes; otherwise throws <see cref="EmptyPieceException"/>.</summary>
    public static GenerationResult ThrowIfEmpty(GenerationResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        return result.NoteCount > 0 ? result : throw new EmptyPieceException(result);
    }
}
