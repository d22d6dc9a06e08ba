using System.Security.Cryptography;
using MusicGen.Listening;

namespace MusicGen.Server.Listening;

/// <summary>A pair's clips as the page receives them; which one is real is not in it.</summary>
/// <param name="Pair">The pair's opaque id.</param>
/// <param name="Position">1-based position in the session.</param>
/// <param name="Pairs">Pairs in the session.</param>
/// <param name="Seconds">Seconds each clip was cut to (both clips last this long).</param>
/// <param name="Clips">Clip A, then clip B.</param>
public sealed record PairClips(string Pair, int Position, int Pairs, double Seconds, IReadOnlyList<ClipView> Clips);

/// <summary>One pair as the seed assigns it (before ids are given).</summary>
internal sealed record PairAssignment(string Model, long GenerationSeed, string RealFile, char RealClip);

/// <summary>Why a pair could not be served or answered.</summary>
internal enum PairProblem { None, UnknownPair, Answered, UnknownFormat }

/// <summary>
/// The listening test's logic: seeded assignment of sessions, the clips of a pair (real and generated excerpts cut
/// and rendered the same way, in the assigned order), and answers. Which clip is real stays in the database until
/// the answer is stored.
/// </summary>
internal sealed class ListeningService(
    ListeningOptions options, RealMidiFolder folder, ListeningDatabase database, ListeningGenerator generator,
    IEnumerable<IClipRenderer> renderers, TimeProvider time)
{
    /// <summary>Longest listener name kept (longer names are cut).</summary>
    public const int MaxListenerLength = 64;

    private readonly Dictionary<string, IClipRenderer> _renderers = renderers.ToDictionary(r => r.Format, StringComparer.OrdinalIgnoreCase);

    public ListeningOptions Options => options;

    /// <summary>Formats the pair endpoint can answer in.</summary>
    public IReadOnlyCollection<string> Formats => _renderers.Keys;

    /// <summary>
    /// The seeded assignment of a session: models spread evenly and shuffled, real files drawn without repeat (until
    /// the folder runs out), a generation seed per pair, and the real clip on side A in half of the pairs (the odd
    /// one at random), shuffled. The same seed, models and files give the same assignment.
    /// </summary>
    public static IReadOnlyList<PairAssignment> Assign(int seed, int pairs, IReadOnlyList<string> models, IReadOnlyList<string> files)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(pairs, 1);
        if (models.Count == 0) throw new ArgumentException("no model to assign", nameof(models));
        if (files.Count == 0) throw new ArgumentException("no real file to assign", nameof(files));
        var rng = new Random(seed);
        var modelOrder = Enumerable.Range(0, pairs).Select(i => models[i % models.Count]).ToArray();
        rng.Shuffle(modelOrder);
        var fileOrder = files.ToArray();
        rng.Shuffle(fileOrder);
        var sides = Enumerable.Range(0, pairs).Select(i => i % 2 == 0 ? 'A' : 'B').ToArray();
        if (pairs % 2 == 1) sides[^1] = rng.Next(2) == 0 ? 'A' : 'B';
        rng.Shuffle(sides);
        var list = new List<PairAssignment>(pairs);
        for (var i = 0; i < pairs; i++)
            list.Add(new PairAssignment(modelOrder[i], rng.NextInt64(0, long.MaxValue), fileOrder[i % fileOrder.Length], sides[i]));
        return list;
    }

    /// <summary>Starts a session for <paramref name="listener"/>: a fresh seed, its assignment stored before anything is served.</summary>
    public async Task<(ListeningSession Session, IReadOnlyList<ListeningPair> Pairs)> StartAsync(string? listener, CancellationToken cancel)
    {
        var name = string.IsNullOrWhiteSpace(listener) ? "anonymous" : listener.Trim();
        if (name.Length > MaxListenerLength) name = name[..MaxListenerLength];
        var seed = RandomNumberGenerator.GetInt32(int.MaxValue);
        var session = new ListeningSession(NewId(), name, seed, options.ExcerptSeconds, options.PairsPerSession, time.GetUtcNow());
        var pairs = Assign(seed, options.PairsPerSession, options.Models, folder.Files)
            .Select((a, i) => new ListeningPair(NewId(), session.Id, i, a.Model, a.GenerationSeed, a.RealFile, a.RealClip))
            .ToList();
        await database.AddSessionAsync(session, pairs, cancel);
        return (session, pairs);
    }

    /// <summary>The clips of an unanswered pair in <paramref name="format"/>; generation runs through the scheduler.</summary>
    public async Task<(PairClips? Clips, PairProblem Problem)> ClipsAsync(string pairId, string format, CancellationToken cancel)
    {
        if (!_renderers.TryGetValue(format, out var renderer)) return (null, PairProblem.UnknownFormat);
        var pair = await database.FindPairAsync(pairId, cancel);
        if (pair is null) return (null, PairProblem.UnknownPair);
        if (pair.Choice is not null) return (null, PairProblem.Answered);

        var (generated, version) = await generator.GenerateAsync(pair.Model, options.ExcerptSeconds, pair.GenerationSeed, cancel);
        var real = folder.Load(pair.RealFile);
        var realClip = await renderer.RenderAsync(pair.RealClip.ToString(), Excerpt.Cut(real, options.ExcerptSeconds), options.ExcerptSeconds, cancel);
        var fake = await renderer.RenderAsync(pair.RealClip == 'A' ? "B" : "A", Excerpt.Cut(generated, options.ExcerptSeconds), options.ExcerptSeconds, cancel);
        await database.MarkServedAsync(pair.Id, version, time.GetUtcNow(), cancel);
        var clips = pair.RealClip == 'A' ? new[] { realClip, fake } : [fake, realClip];
        return (new PairClips(pair.Id, pair.Position + 1, await PairCountAsync(pair.SessionId, cancel), options.ExcerptSeconds, clips), PairProblem.None);
    }

    /// <summary>Stores the listener's pick.</summary>
    public Task<AnswerOutcome> AnswerAsync(string pairId, char choice, CancellationToken cancel) =>
        database.AnswerAsync(pairId, choice, time.GetUtcNow(), cancel);

    /// <summary>How far a session is, or null for an unknown one.</summary>
    public Task<SessionProgress?> ProgressAsync(string sessionId, CancellationToken cancel) => database.ProgressAsync(sessionId, cancel);

    /// <summary>The session a pair belongs to.</summary>
    public async Task<string?> SessionOfAsync(string pairId, CancellationToken cancel) => (await database.FindPairAsync(pairId, cancel))?.SessionId;

    private async Task<int> PairCountAsync(string sessionId, CancellationToken cancel) =>
        (await database.ProgressAsync(sessionId, cancel))?.Pairs ?? options.PairsPerSession;

    /// <summary>An opaque id: 128 random bits, hex; nothing about the pair can be read from it.</summary>
    private static string NewId() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
}
