using Microsoft.Data.Sqlite;
using MusicGen.Listening;

namespace MusicGen.Listening.Tests;

public sealed class DatabaseTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), $"musicgen-listening-{Guid.NewGuid():N}");

    public DatabaseTests() => Directory.CreateDirectory(_dir);

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    private static readonly DateTimeOffset T0 = new(2026, 1, 2, 3, 4, 5, TimeSpan.Zero);

    private static (ListeningSession, List<ListeningPair>) Session(string id, string listener, params (string Model, char Real)[] pairs) =>
        (new ListeningSession(id, listener, 7, 4.5, pairs.Length, T0),
         [.. pairs.Select((p, i) => new ListeningPair($"{id}-p{i}", id, i, p.Model, 100 + i, $"real/{i}.mid", p.Real))]);

    [Fact]
    public async Task Answers_are_stored_once_and_reported_per_model_listener_and_session()
    {
        var ct = CancellationToken.None;
        var path = Path.Combine(_dir, "answers.db");
        var db = await ListeningDatabase.CreateAsync(path, ct);
        var (s1, p1) = Session("s1", "alice", ("m1", 'A'), ("m1", 'B'), ("m2", 'A'), ("m2", 'B'));
        var (s2, p2) = Session("s2", "bob", ("m1", 'A'), ("m2", 'B'));
        await db.AddSessionAsync(s1, p1, ct);
        await db.AddSessionAsync(s2, p2, ct);

        Assert.Equal(AnswerOutcome.NotServed, await db.AnswerAsync("s1-p0", 'A', T0, ct));
        foreach (var p in p1.Concat(p2)) await db.MarkServedAsync(p.Id, "3", T0, ct);
        // alice: right, wrong, right, right; bob: wrong, (unanswered)
        Assert.Equal(AnswerOutcome.Stored, await db.AnswerAsync("s1-p0", 'A', T0, ct));
        Assert.Equal(AnswerOutcome.Stored, await db.AnswerAsync("s1-p1", 'A', T0, ct));
        Assert.Equal(AnswerOutcome.Stored, await db.AnswerAsync("s1-p2", 'A', T0, ct));
        Assert.Equal(AnswerOutcome.Stored, await db.AnswerAsync("s1-p3", 'B', T0, ct));
        Assert.Equal(AnswerOutcome.Stored, await db.AnswerAsync("s2-p0", 'B', T0, ct));
        Assert.Equal(AnswerOutcome.AlreadyAnswered, await db.AnswerAsync("s1-p0", 'B', T0, ct));
        Assert.Equal(AnswerOutcome.UnknownPair, await db.AnswerAsync("nope", 'B', T0, ct));

        Assert.Equal(new SessionProgress("s1", 4, 4, 3), await db.ProgressAsync("s1", ct));
        Assert.Equal(new SessionProgress("s2", 2, 1, 0), await db.ProgressAsync("s2", ct));
        Assert.Null(await db.ProgressAsync("s3", ct));

        var report = await ListeningReport.LoadAsync(await ListeningDatabase.OpenReadOnlyAsync(path, ct), ct);
        Assert.Equal((3, 5), (report.Overall.Successes, report.Overall.Trials));
        Assert.Equal(["m1", "m2"], report.Models.Select(m => m.Model));
        Assert.Equal((1, 3, 3), (report.Models[0].Accuracy.Successes, report.Models[0].Accuracy.Trials, report.Models[0].Pairs));
        Assert.Equal((2, 2, 3), (report.Models[1].Accuracy.Successes, report.Models[1].Accuracy.Trials, report.Models[1].Pairs));
        Assert.Equal(["3"], report.Models[0].Versions);
        Assert.Equal(["alice", "bob"], report.Listeners.Select(l => l.Listener));
        Assert.Equal((3, 4), (report.Listeners[0].Accuracy.Successes, report.Listeners[0].Accuracy.Trials));
        Assert.Equal((0, 1), (report.Listeners[1].Accuracy.Successes, report.Listeners[1].Accuracy.Trials));
        Assert.Equal(["s1", "s2"], report.Sessions.Select(s => s.Id));
        Assert.Equal(Proportion.Of(3, 4), report.Sessions[0].Accuracy);
    }

    [Fact]
    public async Task Reading_a_missing_or_foreign_file_says_what_is_wrong()
    {
        var ct = CancellationToken.None;
        var missing = Path.Combine(_dir, "none.db");
        var e1 = await Assert.ThrowsAsync<FileNotFoundException>(() => ListeningDatabase.OpenReadOnlyAsync(missing, ct));
        Assert.Contains(missing, e1.Message);
        Assert.False(File.Exists(missing)); // a report never creates the file it was pointed at

        var text = Path.Combine(_dir, "text.db");
        await File.WriteAllTextAsync(text, "not a database at all, just some text that is long enough to have a header", ct);
        var e2 = await Assert.ThrowsAsync<InvalidDataException>(() => ListeningDatabase.OpenReadOnlyAsync(text, ct));
        Assert.Contains(text, e2.Message);

        var e3 = await Assert.ThrowsAsync<IOException>(() => ListeningDatabase.CreateAsync(Path.Combine(_dir, "no", "such", "dir", "a.db"), ct));
        Assert.Contains("a.db", e3.Message);
    }
}
