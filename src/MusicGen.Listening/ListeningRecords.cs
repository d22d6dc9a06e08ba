namespace MusicGen.Listening;

/// <summary>One listener's session: the seed its pairs were assigned from and how they were cut.</summary>
/// <param name="Id">Opaque random id (not derived from the seed).</param>
/// <param name="Listener">The name the listener gave (trimmed; "anonymous" when none).</param>
/// <param name="Seed">Seed of the assignment: models, real files, generation seeds and which clip is real.</param>
/// <param name="ExcerptSeconds">Seconds each excerpt was cut to.</param>
/// <param name="PairCount">Pairs in the session.</param>
/// <param name="CreatedUtc">When the session started.</param>
public sealed record ListeningSession(string Id, string Listener, int Seed, double ExcerptSeconds, int PairCount, DateTimeOffset CreatedUtc);

/// <summary>
/// One pair of a session: a real excerpt and a generated one, and the listener's answer once given. Which clip is
/// real lives here only; the page sees clip <c>A</c> and clip <c>B</c>.
/// </summary>
/// <param name="Id">Opaque random id; the only handle the page has.</param>
/// <param name="SessionId">The session it belongs to.</param>
/// <param name="Position">0-based order in the session.</param>
/// <param name="Model">Model that generates the generated clip.</param>
/// <param name="GenerationSeed">Seed of that generation (same seed, model and provider = same music).</param>
/// <param name="RealFile">The real MIDI file, relative to the real-excerpt folder.</param>
/// <param name="RealClip">Which clip is the real one: 'A' or 'B'.</param>
/// <param name="ModelVersion">Version of the model that generated it (set when the pair is served).</param>
/// <param name="ServedUtc">When the clips were first sent to the page.</param>
/// <param name="Choice">The clip the listener picked as real ('A' or 'B'), or null while unanswered.</param>
/// <param name="AnsweredUtc">When the answer was stored.</param>
public sealed record ListeningPair(
    string Id, string SessionId, int Position, string Model, long GenerationSeed, string RealFile, char RealClip,
    string? ModelVersion = null, DateTimeOffset? ServedUtc = null, char? Choice = null, DateTimeOffset? AnsweredUtc = null)
{
    /// <summary>True when the listener picked the real clip; null while unanswered.</summary>
    public bool? Correct => Choice is { } c ? c == RealClip : null;
}

/// <summary>What storing an answer did.</summary>
public enum AnswerOutcome
{
    /// <summary>The answer was stored.</summary>
    Stored,

    /// <summary>No pair has that id.</summary>
    UnknownPair,

    /// <summary>The pair was never sent to the page, so it cannot have been listened to.</summary>
    NotServed,

    /// <summary>The pair already has an answer (answers are final).</summary>
    AlreadyAnswered,
}

/// <summary>How far a session is: pairs, answers, and how many answers picked the real clip.</summary>
public sealed record SessionProgress(string SessionId, int Pairs, int Answered, int Correct)
{
    /// <summary>True once every pair has an answer.</summary>
    public bool Finished => Answered >= Pairs;
}
