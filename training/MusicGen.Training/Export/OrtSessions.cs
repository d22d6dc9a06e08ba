using System.Collections.Concurrent;
using System.Globalization;
using Microsoft.ML.OnnxRuntime;

namespace MusicGen.Training.Export;

/// <summary>
/// ONNX Runtime sessions for export validation and verification: the process-wide environment's log callback
/// collects every message at warning level or above by session log id, so loading a graph with full optimizations
/// can be required to be warning-free (no unknown op, no type mismatch, no unused initializer).
/// </summary>
internal sealed class OrtSessions
{
    // ONNX Runtime's environment (and so its log callback) is one per process: so is this.
    private static readonly Lazy<OrtSessions> Shared = new(() => new OrtSessions(), LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>The process-wide instance (creates ORT's environment with the logging callback on first use).</summary>
    public static OrtSessions Instance => Shared.Value;

    private readonly ConcurrentQueue<(string LogId, string Message)> _messages = new();
    private readonly OrtEnv _env;
    private int _sessions;

    private OrtSessions()
    {
        var options = new EnvironmentCreationOptions
        {
            logId = "musicgen-train",
            logLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_WARNING,
            loggingFunction = (_, severity, _, logId, location, message) =>
            {
                if (severity >= OrtLoggingLevel.ORT_LOGGING_LEVEL_WARNING) _messages.Enqueue((logId, $"{severity}: {message} ({location})"));
            },
        };
        _env = OrtEnv.CreateInstanceWithOptions(ref options);
    }

    /// <summary>Loads a model with ORT_ENABLE_ALL and one intra-op thread; returns the warnings logged while loading.</summary>
    public InferenceSession Load(string path, out IReadOnlyList<string> warnings)
    {
        _ = _env;
        var logId = "session-" + Interlocked.Increment(ref _sessions).ToString(CultureInfo.InvariantCulture);
        using var options = new SessionOptions
        {
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
            LogId = logId,
            LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_WARNING,
            IntraOpNumThreads = 1,
        };
        var session = new InferenceSession(path, options);
        warnings = _messages.Where(m => m.LogId == logId).Select(m => m.Message).ToList();
        return session;
    }

    /// <summary>Loads every graph of a package folder and throws when one fails or logs a warning.</summary>
    public void ValidatePackage(string directory, MusicGen.Core.Packaging.ModelManifest manifest)
    {
        foreach (var g in manifest.Graphs)
        {
            using var session = Load(Path.Combine(directory, g.File), out var warnings);
            if (warnings.Count > 0)
                throw new InvalidOperationException($"ONNX Runtime logged warnings loading {g.File}:\n  " + string.Join("\n  ", warnings));
            var inputs = session.InputMetadata.Keys.ToList();
            var expected = g.Inputs.Select(i => i.Name).ToList();
            if (!inputs.SequenceEqual(expected))
                throw new InvalidOperationException($"{g.File}: inputs [{string.Join(", ", inputs)}] differ from the manifest [{string.Join(", ", expected)}].");
        }
    }
}
