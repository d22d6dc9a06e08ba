using Microsoft.Extensions.Logging;

namespace MusicGen.Inference.Tests;

/// <summary>Collects log lines (a real logger implementation, not a mock).</summary>
internal sealed class ListLogger : ILogger
{
    public List<string> Lines { get; } = [];
    public List<string> Warnings { get; } = [];

    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        var line = formatter(state, exception);
        lock (Lines)
        {
            Lines.Add(line);
            if (logLevel == LogLevel.Warning) Warnings.Add(line);
        }
    }
}
