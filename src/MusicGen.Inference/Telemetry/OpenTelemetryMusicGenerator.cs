using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Runtime.CompilerServices;

namespace MusicGen.Inference.Telemetry;

/// <summary>
/// Traces and measures every generation of the inner generator with <see cref="MusicGenTelemetry"/> (source and
/// meter <c>MusicGen</c>): a span per request, current while the request runs, and the histograms and counters listed
/// there. Add it with <c>UseOpenTelemetry()</c> on a <see cref="MusicGeneratorBuilder"/>.
/// </summary>
public sealed class OpenTelemetryMusicGenerator : DelegatingMusicGenerator
{
    private readonly MusicGenTelemetry _telemetry;

    /// <summary>Wraps <paramref name="innerGenerator"/>; the meter comes from <paramref name="meterFactory"/> when given.</summary>
    /// <param name="innerGenerator">The generator to trace.</param>
    /// <param name="meterFactory">Factory of the meter (dependency injection's); null makes a meter this instance owns.</param>
    /// <param name="sourceName">Name of the activity source and meter (default <see cref="MusicGenTelemetry.Name"/>).</param>
    public OpenTelemetryMusicGenerator(IMusicGenerator innerGenerator, IMeterFactory? meterFactory = null, string? sourceName = null)
        : base(innerGenerator)
    {
        _telemetry = new MusicGenTelemetry(meterFactory, sourceName);
    }

    /// <summary>
    /// Model name on spans and measurements (<c>gen_ai.request.model</c>); default: the package's name. Set it to the
    /// key of a keyed registration to tell two registrations of one package apart.
    /// </summary>
    public string? ModelName { get; set; }

    /// <inheritdoc />
    public override async Task<GenerationResult> GenerateAsync(GenerationRequest request, CancellationToken cancellationToken = default)
    {
        using var scope = Start(request);
        if (scope.Activity is { } span) Activity.Current = span; // restored for the caller when this method returns
        try
        {
            var result = await base.GenerateAsync(request, cancellationToken).ConfigureAwait(false);
            scope.Succeed(GenerationUsage.From(result));
            return result;
        }
        catch (Exception e)
        {
            scope.Fail(e);
            throw;
        }
    }

    /// <inheritdoc />
    public override async IAsyncEnumerable<GenerationEvent> StreamAsync(GenerationRequest request, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        using var scope = Start(request); // disposed unfinished when the consumer stops early: recorded as cancelled
        IAsyncEnumerator<GenerationEvent> events;
        try
        {
            events = base.StreamAsync(request, cancellationToken).GetAsyncEnumerator(cancellationToken);
        }
        catch (Exception e)
        {
            scope.Fail(e);
            throw;
        }
        await using (events.ConfigureAwait(false))
        {
            while (true)
            {
                GenerationEvent current;
                try
                {
                    if (!await events.MoveNextAsync().ConfigureAwait(false)) break;
                    current = events.Current;
                }
                catch (Exception e)
                {
                    scope.Fail(e);
                    throw;
                }
                if (current is { Kind: GenerationEventKind.Completed, Result: { } result }) scope.Succeed(GenerationUsage.From(result));
                yield return current;
            }
        }
    }

    /// <inheritdoc />
    public override object? GetService(Type serviceType, object? serviceKey = null)
    {
        ArgumentNullException.ThrowIfNull(serviceType);
        if (serviceKey is null && serviceType == typeof(MusicGenTelemetry)) return _telemetry;
        if (serviceKey is null && serviceType == typeof(ActivitySource)) return _telemetry.ActivitySource;
        return base.GetService(serviceType, serviceKey);
    }

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (disposing) _telemetry.Dispose();
        base.Dispose(disposing);
    }

    private GenerationScope Start(GenerationRequest request)
    {
        var package = Package;
        return _telemetry.StartGeneration(ModelName ?? package.Name, request, package.Version);
    }
}
