using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using MusicGen.Inference.Telemetry;

namespace MusicGen.Inference;

/// <summary>The library's decorators for <see cref="MusicGeneratorBuilder"/>.</summary>
public static class MusicGeneratorBuilderExtensions
{
    /// <summary>
    /// Adds an <see cref="OpenTelemetryMusicGenerator"/>: a span and measurements per generation (source and meter
    /// <see cref="MusicGenTelemetry.Name"/>). The meter comes from <paramref name="meterFactory"/>, else from the
    /// <see cref="IMeterFactory"/> of the services given to <see cref="MusicGeneratorBuilder.Build"/>, else a meter of
    /// its own.
    /// </summary>
    public static MusicGeneratorBuilder UseOpenTelemetry(this MusicGeneratorBuilder builder, IMeterFactory? meterFactory = null,
        string? sourceName = null, Action<OpenTelemetryMusicGenerator>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.Use((inner, services) =>
        {
            var generator = new OpenTelemetryMusicGenerator(inner, meterFactory ?? services.GetService<IMeterFactory>(), sourceName);
            configure?.Invoke(generator);
            return generator;
        });
    }

    /// <summary>
    /// Adds a <see cref="LoggingMusicGenerator"/> (one log line per generation, category
    /// <c>MusicGen.Inference.Telemetry.LoggingMusicGenerator</c>). The logger factory is
    /// <paramref name="loggerFactory"/>, else the one of the services given to <see cref="MusicGeneratorBuilder.Build"/>;
    /// with neither, nothing is added.
    /// </summary>
    public static MusicGeneratorBuilder UseLogging(this MusicGeneratorBuilder builder, ILoggerFactory? loggerFactory = null,
        Action<LoggingMusicGenerator>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.Use((inner, services) =>
        {
            var factory = loggerFactory ?? services.GetService<ILoggerFactory>();
            if (factory is null or NullLoggerFactory) return inner;
            var generator = new LoggingMusicGenerator(inner, factory.CreateLogger<LoggingMusicGenerator>());
            configure?.Invoke(generator);
            return generator;
        });
    }

    /// <summary>The <typeparamref name="T"/> a generator holds or is (see <see cref="IMusicGenerator.GetService"/>), or null.</summary>
    public static T? GetService<T>(this IMusicGenerator generator, object? serviceKey = null) where T : class
    {
        ArgumentNullException.ThrowIfNull(generator);
        return generator.GetService(typeof(T), serviceKey) as T;
    }
}
