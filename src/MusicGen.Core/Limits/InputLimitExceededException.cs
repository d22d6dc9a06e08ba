namespace MusicGen.Core.Limits;

/// <summary>
/// An input is larger than a configured limit (bytes of a primer, notes, length in ticks or frames, tokens per bar,
/// ...). Raised before the work that the limit bounds is done, so that a hostile input costs milliseconds and no
/// memory. Front ends map it to a client error (HTTP 400) that names <see cref="Limit"/>.
/// </summary>
public sealed class InputLimitExceededException : Exception
{
    /// <summary>Creates an exception for <paramref name="limit"/>.</summary>
    /// <param name="limit">The limit's name as a user configures it (for example <c>MaxPrimerNotes</c>).</param>
    /// <param name="actual">What the input needed (at least this much; counting may stop early).</param>
    /// <param name="maximum">The limit in force.</param>
    /// <param name="what">What was being measured, in words (for example "notes in the primer").</param>
    public InputLimitExceededException(string limit, long actual, long maximum, string what)
        : base($"{what}: {actual} exceeds the limit {limit} = {maximum}")
    {
        Limit = limit;
        Actual = actual;
        Maximum = maximum;
    }

    /// <summary>The limit's name as a user configures it.</summary>
    public string Limit { get; }

    /// <summary>What the input needed (at least this much).</summary>
    public long Actual { get; }

    /// <summary>The limit in force.</summary>
    public long Maximum { get; }
}
