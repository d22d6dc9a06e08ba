namespace MusicGen.Inference.Errors;

/// <summary>
/// A generation request with options out of range or inconsistent; <see cref="Errors"/> holds one message per option,
/// keyed by the option's name in <see cref="GenerationOptions"/> (<c>tokens</c>, <c>topP</c>, ...). Front ends map it
/// to a client error (HTTP 400 keyed by field, a CLI error naming the flag).
/// </summary>
public sealed class InvalidGenerationRequestException : ArgumentException
{
    /// <summary>Creates the exception for <paramref name="errors"/> (at least one).</summary>
    public InvalidGenerationRequestException(IReadOnlyDictionary<string, string> errors)
        : base("Invalid generation request: " + string.Join(" ", (errors ?? throw new ArgumentNullException(nameof(errors))).Values), errors.Keys.FirstOrDefault())
        => Errors = errors;

    /// <summary>One message per option, keyed by option name.</summary>
    public IReadOnlyDictionary<string, string> Errors { get; }
}
