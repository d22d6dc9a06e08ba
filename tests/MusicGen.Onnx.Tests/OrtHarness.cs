using System.Collections.Concurrent;
using System.Globalization;
using Microsoft.ML.OnnxRuntime;

namespace MusicGen.Onnx.Tests;

/// <summary>
/// ONNX Runtime sessions for the tests: one process-wide environment whose log callback collects every message at
/// warning level or above, tagged with the session's log id, so a test can assert that its session loaded with full
/// graph optimizations and no warning (unknown op, type mismatch, unused initializer, ...).
/// </summary>
internal static class OrtHarness
{
    private static readonly ConcurrentQueue<(string LogId, OrtLoggingLevel Severity, string Message)> Messages = new();
    private static readonly Lazy<OrtEnv> Env = new(CreateEnv, LazyThreadSafetyMode.ExecutionAndPublication);
    private static readonly object CreateLock = new();
    private static int _sessions;

    private static OrtEnv CreateEnv()
    {
        var options = new EnvironmentCreationOptions
        {
            logId = "musicgen-onnx-tests",
            logLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_WARNING,
            loggingFunction = (_, severity, _, logId, location, message) => Messages.Enqueue((logId, severity, $"{location}: {message}")),
        };
        return OrtEnv.CreateInstanceWithOptions(ref options);
    }

    /// <summary>Creates a session (ORT_ENABLE_ALL, 1 intra-op thread) and returns the warnings it logged while loading.</summary>
    public static InferenceSession Create(byte[] model, out IReadOnlyList<string> warnings, GraphOptimizationLevel level = GraphOptimizationLevel.ORT_ENABLE_ALL) =>
        Create(options => new InferenceSession(model, options), out warnings, level);

    /// <summary>Creates a session from a model file (external data resolves beside it) and returns the warnings it logged while loading.</summary>
    public static InferenceSession Create(string path, out IReadOnlyList<string> warnings) =>
        Create(options => new InferenceSession(path, options), out warnings, GraphOptimizationLevel.ORT_ENABLE_ALL);

    /// <summary>Creates a session from a model file and asserts that loading logged no warning.</summary>
    public static InferenceSession CreateClean(string path)
    {
        var s = Create(path, out var warnings);
        Assert.True(warnings.Count == 0, $"ORT logged warnings while loading {path}:\n" + string.Join("\n", warnings));
        return s;
    }

    private static InferenceSession Create(Func<SessionOptions, InferenceSession> create, out IReadOnlyList<string> warnings, GraphOptimizationLevel level)
    {
        _ = Env.Value;
        var logId = "session-" + Interlocked.Increment(ref _sessions).ToString(CultureInfo.InvariantCulture);
        using var options = new SessionOptions
        {
            GraphOptimizationLevel = level,
            LogId = logId,
            LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_WARNING,
            IntraOpNumThreads = 1,
            InterOpNumThreads = 1,
        };
        InferenceSession session;
        // Concurrent session creation has been racy in ORT: one at a time.
        lock (CreateLock) session = create(options);
        warnings = Messages.Where(m => m.LogId == logId && m.Severity >= OrtLoggingLevel.ORT_LOGGING_LEVEL_WARNING)
            .Select(m => m.Message).ToList();
        return session;
    }

    /// <summary>Creates a session and asserts that loading logged no warning.</summary>
    public static InferenceSession CreateClean(byte[] model)
    {
        var s = Create(model, out var warnings);
        Assert.True(warnings.Count == 0, "ORT logged warnings while loading:\n" + string.Join("\n", warnings));
        return s;
    }

    /// <summary>Every message any session logged (for diagnostics).</summary>
    public static IEnumerable<string> AllMessages => Messages.Select(m => $"[{m.LogId} {m.Severity}] {m.Message}");
}
