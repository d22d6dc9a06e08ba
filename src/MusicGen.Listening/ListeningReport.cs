namespace MusicGen.Listening;

/// <summary>
/// What the listening test found: per model, the share of answered pairs in which listeners picked the real
/// excerpt (0.5 = they could not tell), with its 95% Wilson interval and binomial p-value; the same per listener;
/// and each session's progress.
/// </summary>
/// <param name="Overall">Every answered pair.</param>
/// <param name="Models">Per model (ordinal by name).</param>
/// <param name="Listeners">Per listener name (ordinal).</param>
/// <param name="Sessions">Per session, in start order.</param>
public sealed record ListeningReport(
    Proportion Overall,
    IReadOnlyList<ListeningReport.ModelRow> Models,
    IReadOnlyList<ListeningReport.ListenerRow> Listeners,
    IReadOnlyList<ListeningReport.SessionRow> Sessions)
{
    /// <summary>One model: its answered pairs and how often the real excerpt was picked.</summary>
    /// <param name="Model">Model name.</param>
    /// <param name="Versions">Versions that generated its answered pairs (ordinal).</param>
    /// <param name="Pairs">Pairs assigned to it, answered or not.</param>
    /// <param name="Accuracy">Answered pairs in which the real clip was picked.</param>
    public sealed record ModelRow(string Model, IReadOnlyList<string> Versions, int Pairs, Proportion Accuracy);

    /// <summary>One listener (by the name given): sessions, and how often they picked the real excerpt.</summary>
    public sealed record ListenerRow(string Listener, int Sessions, Proportion Accuracy);

    /// <summary>One session: who, when, how far, and how often the real excerpt was picked.</summary>
    public sealed record SessionRow(string Id, string Listener, DateTimeOffset CreatedUtc, int Seed, double ExcerptSeconds, int Pairs, Proportion Accuracy);

    /// <summary>The report of what a database holds.</summary>
    public static async Task<ListeningReport> LoadAsync(ListeningDatabase database, CancellationToken cancel)
    {
        ArgumentNullException.ThrowIfNull(database);
        var (sessions, pairs) = await database.ReadAllAsync(cancel);
        return From(sessions, pairs);
    }

    /// <summary>The report of these sessions and pairs.</summary>
    public static ListeningReport From(IReadOnlyList<ListeningSession> sessions, IReadOnlyList<ListeningPair> pairs)
    {
        ArgumentNullException.ThrowIfNull(sessions);
        ArgumentNullException.ThrowIfNull(pairs);
        static Proportion Score(IEnumerable<ListeningPair> ps)
        {
            int answered = 0, correct = 0;
            foreach (var p in ps)
            {
                if (p.Correct is not { } c) continue;
                answered++;
                if (c) correct++;
            }
            return Proportion.Of(correct, answered);
        }

        var models = pairs.GroupBy(p => p.Model, StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => new ModelRow(g.Key,
                [.. g.Where(p => p.Choice is not null && p.ModelVersion is not null).Select(p => p.ModelVersion!).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)],
                g.Count(), Score(g)))
            .ToList();
        var listeners = sessions.GroupBy(s => s.Listener, StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g =>
            {
                var ids = g.Select(s => s.Id).ToHashSet(StringComparer.Ordinal);
                return new ListenerRow(g.Key, g.Count(), Score(pairs.Where(p => ids.Contains(p.SessionId))));
            })
            .ToList();
        var bySession = pairs.ToLookup(p => p.SessionId, StringComparer.Ordinal);
        var rows = sessions.OrderBy(s => s.CreatedUtc).ThenBy(s => s.Id, StringComparer.Ordinal)
            .Select(s => new SessionRow(s.Id, s.Listener, s.CreatedUtc, s.Seed, s.ExcerptSeconds, s.PairCount, Score(bySession[s.Id])))
            .ToList();
        return new ListeningReport(Score(pairs), models, listeners, rows);
    }
}
