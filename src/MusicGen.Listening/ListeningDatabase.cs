using System.Globalization;
using Microsoft.Data.Sqlite;

namespace MusicGen.Listening;

/// <summary>
/// The listening test's SQLite database: sessions, their pairs with the seeded assignment, and the answers. One
/// place for the schema; the service writes it, <c>musicgen eval listening</c> reads it. Each call opens its own
/// (pooled) connection, so one instance serves concurrent requests.
/// </summary>
public sealed class ListeningDatabase
{
    /// <summary>Schema version kept in <c>PRAGMA user_version</c>.</summary>
    public const int SchemaVersion = 1;

    private const string Schema = """
        CREATE TABLE IF NOT EXISTS sessions (
            id            TEXT PRIMARY KEY,
            listener      TEXT NOT NULL,
            seed          INTEGER NOT NULL,
            excerpt_seconds REAL NOT NULL,
            pair_count    INTEGER NOT NULL,
            created_utc   TEXT NOT NULL
        );
        CREATE TABLE IF NOT EXISTS pairs (
            id               TEXT PRIMARY KEY,
            session_id       TEXT NOT NULL REFERENCES sessions(id),
            position         INTEGER NOT NULL,
            model            TEXT NOT NULL,
            generation_seed  INTEGER NOT NULL,
            real_file        TEXT NOT NULL,
            real_clip        TEXT NOT NULL CHECK (real_clip IN ('A', 'B')),
            model_version    TEXT,
            served_utc       TEXT,
            choice           TEXT CHECK (choice IN ('A', 'B')),
            correct          INTEGER,
            answered_utc     TEXT,
            UNIQUE (session_id, position)
        );
        """;

    private const string PairColumns = "id, session_id, position, model, generation_seed, real_file, real_clip, model_version, served_utc, choice, answered_utc";

    private readonly string _connectionString;

    private ListeningDatabase(string path, SqliteOpenMode mode)
    {
        Path = System.IO.Path.GetFullPath(path);
        _connectionString = new SqliteConnectionStringBuilder { DataSource = Path, Mode = mode, ForeignKeys = true }.ToString();
    }

    /// <summary>Full path of the database file.</summary>
    public string Path { get; }

    /// <summary>
    /// Opens (creating when missing) the database for writing and makes sure the schema is there; throws with the
    /// path when the file cannot be created or written, or holds another schema version.
    /// </summary>
    public static async Task<ListeningDatabase> CreateAsync(string path, CancellationToken cancel)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var db = new ListeningDatabase(path, SqliteOpenMode.ReadWriteCreate);
        try
        {
            await using var c = await db.OpenAsync(cancel);
            var version = Convert.ToInt32(await Scalar(c, "PRAGMA user_version", cancel), CultureInfo.InvariantCulture);
            if (version != 0 && version != SchemaVersion)
                throw new InvalidDataException($"listening database {db.Path} has schema version {version}; this build reads version {SchemaVersion}");
            await using var tx = (SqliteTransaction)await c.BeginTransactionAsync(cancel);
            await Execute(c, tx, Schema + $"PRAGMA user_version = {SchemaVersion};", cancel);
            await tx.CommitAsync(cancel);
        }
        catch (SqliteException ex)
        {
            throw new IOException($"cannot create or write the listening database {db.Path}: {ex.Message}", ex);
        }
        return db;
    }

    /// <summary>Opens an existing database read-only (for reports); throws with the path when it is missing or not one.</summary>
    public static async Task<ListeningDatabase> OpenReadOnlyAsync(string path, CancellationToken cancel)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var db = new ListeningDatabase(path, SqliteOpenMode.ReadOnly);
        if (!File.Exists(db.Path)) throw new FileNotFoundException($"no listening database at {db.Path}", db.Path);
        try
        {
            await using var c = await db.OpenAsync(cancel);
            var version = Convert.ToInt32(await Scalar(c, "PRAGMA user_version", cancel), CultureInfo.InvariantCulture);
            if (version != SchemaVersion)
                throw new InvalidDataException($"{db.Path} is not a listening database of schema version {SchemaVersion} (user_version {version})");
        }
        catch (SqliteException ex)
        {
            throw new InvalidDataException($"{db.Path} is not a readable SQLite database: {ex.Message}", ex);
        }
        return db;
    }

    /// <summary>Stores a new session and its assigned pairs (one transaction).</summary>
    public async Task AddSessionAsync(ListeningSession session, IReadOnlyList<ListeningPair> pairs, CancellationToken cancel)
    {
        ArgumentNullException.ThrowIfNull(session);
        ArgumentNullException.ThrowIfNull(pairs);
        await using var c = await OpenAsync(cancel);
        await using var tx = (SqliteTransaction)await c.BeginTransactionAsync(cancel);
        await Execute(c, tx, "INSERT INTO sessions (id, listener, seed, excerpt_seconds, pair_count, created_utc) VALUES ($id, $listener, $seed, $seconds, $count, $created)", cancel,
            ("$id", session.Id), ("$listener", session.Listener), ("$seed", session.Seed), ("$seconds", session.ExcerptSeconds),
            ("$count", session.PairCount), ("$created", Time(session.CreatedUtc)));
        foreach (var p in pairs)
        {
            await Execute(c, tx, "INSERT INTO pairs (id, session_id, position, model, generation_seed, real_file, real_clip) VALUES ($id, $session, $position, $model, $seed, $file, $real)", cancel,
                ("$id", p.Id), ("$session", session.Id), ("$position", p.Position), ("$model", p.Model), ("$seed", p.GenerationSeed),
                ("$file", p.RealFile), ("$real", p.RealClip.ToString()));
        }
        await tx.CommitAsync(cancel);
    }

    /// <summary>The pair with this id, or null.</summary>
    public async Task<ListeningPair?> FindPairAsync(string id, CancellationToken cancel)
    {
        await using var c = await OpenAsync(cancel);
        await using var cmd = Command(c, null, $"SELECT {PairColumns} FROM pairs WHERE id = $id", ("$id", id));
        await using var r = await cmd.ExecuteReaderAsync(cancel);
        return await r.ReadAsync(cancel) ? ReadPair(r) : null;
    }

    /// <summary>The pairs of a session in order (empty for an unknown session).</summary>
    public async Task<IReadOnlyList<ListeningPair>> SessionPairsAsync(string sessionId, CancellationToken cancel)
    {
        await using var c = await OpenAsync(cancel);
        await using var cmd = Command(c, null, $"SELECT {PairColumns} FROM pairs WHERE session_id = $id ORDER BY position", ("$id", sessionId));
        return await ReadPairs(cmd, cancel);
    }

    /// <summary>Records that a pair's clips were sent, and by which model version (the latest serve wins).</summary>
    public async Task MarkServedAsync(string pairId, string modelVersion, DateTimeOffset whenUtc, CancellationToken cancel)
    {
        await using var c = await OpenAsync(cancel);
        await Execute(c, null, "UPDATE pairs SET model_version = $version, served_utc = COALESCE(served_utc, $when) WHERE id = $id AND choice IS NULL", cancel,
            ("$id", pairId), ("$version", modelVersion), ("$when", Time(whenUtc)));
    }

    /// <summary>Stores the listener's pick ('A' or 'B'); an answer is final.</summary>
    public async Task<AnswerOutcome> AnswerAsync(string pairId, char choice, DateTimeOffset whenUtc, CancellationToken cancel)
    {
        if (choice is not ('A' or 'B')) throw new ArgumentOutOfRangeException(nameof(choice), choice, "choice must be 'A' or 'B'");
        await using var c = await OpenAsync(cancel);
        var changed = await Execute(c, null,
            "UPDATE pairs SET choice = $choice, correct = (real_clip = $choice), answered_utc = $when WHERE id = $id AND choice IS NULL AND served_utc IS NOT NULL", cancel,
            ("$id", pairId), ("$choice", choice.ToString()), ("$when", Time(whenUtc)));
        if (changed == 1) return AnswerOutcome.Stored;
        await using var cmd = Command(c, null, "SELECT served_utc IS NOT NULL, choice IS NOT NULL FROM pairs WHERE id = $id", ("$id", pairId));
        await using var r = await cmd.ExecuteReaderAsync(cancel);
        if (!await r.ReadAsync(cancel)) return AnswerOutcome.UnknownPair;
        return r.GetBoolean(1) ? AnswerOutcome.AlreadyAnswered : AnswerOutcome.NotServed;
    }

    /// <summary>Pairs, answers and correct answers of a session, or null for an unknown session.</summary>
    public async Task<SessionProgress?> ProgressAsync(string sessionId, CancellationToken cancel)
    {
        await using var c = await OpenAsync(cancel);
        await using var cmd = Command(c, null,
            "SELECT s.pair_count, COUNT(p.choice), COALESCE(SUM(p.correct), 0) FROM sessions s LEFT JOIN pairs p ON p.session_id = s.id WHERE s.id = $id GROUP BY s.id",
            ("$id", sessionId));
        await using var r = await cmd.ExecuteReaderAsync(cancel);
        return await r.ReadAsync(cancel) ? new SessionProgress(sessionId, r.GetInt32(0), r.GetInt32(1), r.GetInt32(2)) : null;
    }

    /// <summary>Every session and every pair (for reports).</summary>
    public async Task<(IReadOnlyList<ListeningSession> Sessions, IReadOnlyList<ListeningPair> Pairs)> ReadAllAsync(CancellationToken cancel)
    {
        await using var c = await OpenAsync(cancel);
        var sessions = new List<ListeningSession>();
        await using (var cmd = Command(c, null, "SELECT id, listener, seed, excerpt_seconds, pair_count, created_utc FROM sessions ORDER BY created_utc, id"))
        await using (var r = await cmd.ExecuteReaderAsync(cancel))
        {
            while (await r.ReadAsync(cancel))
                sessions.Add(new ListeningSession(r.GetString(0), r.GetString(1), r.GetInt32(2), r.GetDouble(3), r.GetInt32(4), ParseTime(r.GetString(5))));
        }
        await using var pairs = Command(c, null, $"SELECT {PairColumns} FROM pairs ORDER BY session_id, position");
        return (sessions, await ReadPairs(pairs, cancel));
    }

    private async Task<SqliteConnection> OpenAsync(CancellationToken cancel)
    {
        var c = new SqliteConnection(_connectionString);
        await c.OpenAsync(cancel);
        return c;
    }

    private static async Task<IReadOnlyList<ListeningPair>> ReadPairs(SqliteCommand cmd, CancellationToken cancel)
    {
        var list = new List<ListeningPair>();
        await using var r = await cmd.ExecuteReaderAsync(cancel);
        while (await r.ReadAsync(cancel)) list.Add(ReadPair(r));
        return list;
    }

    private static ListeningPair ReadPair(SqliteDataReader r) => new(
        r.GetString(0), r.GetString(1), r.GetInt32(2), r.GetString(3), r.GetInt64(4), r.GetString(5), r.GetString(6)[0],
        r.IsDBNull(7) ? null : r.GetString(7),
        r.IsDBNull(8) ? null : ParseTime(r.GetString(8)),
        r.IsDBNull(9) ? null : r.GetString(9)[0],
        r.IsDBNull(10) ? null : ParseTime(r.GetString(10)));

    private static SqliteCommand Command(SqliteConnection c, SqliteTransaction? tx, string sql, params (string Name, object Value)[] parameters)
    {
        var cmd = c.CreateCommand();
        cmd.CommandText = sql;
        cmd.Transaction = tx;
        foreach (var (name, value) in parameters) cmd.Parameters.AddWithValue(name, value);
        return cmd;
    }

    private static async Task<int> Execute(SqliteConnection c, SqliteTransaction? tx, string sql, CancellationToken cancel, params (string Name, object Value)[] parameters)
    {
        await using var cmd = Command(c, tx, sql, parameters);
        return await cmd.ExecuteNonQueryAsync(cancel);
    }

    private static async Task<object?> Scalar(SqliteConnection c, string sql, CancellationToken cancel)
    {
        await using var cmd = Command(c, null, sql);
        return await cmd.ExecuteScalarAsync(cancel);
    }

    private static string Time(DateTimeOffset t) => t.ToUniversalTime().ToString("O", CultureInfo.InvariantCulture);

    private static DateTimeOffset ParseTime(string s) => DateTimeOffset.Parse(s, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind);
}
