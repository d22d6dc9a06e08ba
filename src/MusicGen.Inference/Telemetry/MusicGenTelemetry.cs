using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace MusicGen.Inference.Telemetry;

/// <summary>
/// The library's <see cref="System.Diagnostics.ActivitySource"/> and <see cref="System.Diagnostics.Metrics.Meter"/>
/// (both named <see cref="Name"/>): one span and one set of measurements per generation, named after the OpenTelemetry
/// semantic conventions for generative AI where they fit (<c>gen_ai.*</c>), <c>musicgen.*</c> for the rest. Add
/// <c>"MusicGen"</c> to a tracer provider (<c>AddSource</c>) and a meter provider (<c>AddMeter</c>) to collect them.
/// </summary>
/// <remarks>
/// Metrics: <c>gen_ai.client.operation.duration</c> (s), <c>gen_ai.client.token.usage</c> ({token}, by
/// <c>gen_ai.token.type</c> input|output), <c>gen_ai.server.time_to_first_token</c> (s, queue wait included),
/// <c>gen_ai.server.time_per_output_token</c> (s), <c>musicgen.queue.duration</c> (s, waiting for a batch slot),
/// <c>musicgen.generation.throughput</c> ({token}/s), and the counters <c>musicgen.generation.requests</c> (by
/// <c>musicgen.outcome</c> ok|cancelled|deadline|error) and <c>musicgen.generation.tokens</c> (by
/// <c>gen_ai.token.type</c>). Every measurement carries <c>gen_ai.operation.name</c>, <c>gen_ai.provider.name</c> and
/// <c>gen_ai.request.model</c>; failures also <c>error.type</c>.
/// </remarks>
public sealed class MusicGenTelemetry : IDisposable
{
    /// <summary>Name of the activity source and the meter.</summary>
    public const string Name = "MusicGen";

    private readonly bool _ownsMeter;

    /// <summary>
    /// Creates the source and the instruments. With <paramref name="meterFactory"/> (dependency injection) the meter
    /// comes from it and lives as long as the factory; without, this instance owns a meter of its own.
    /// </summary>
    public MusicGenTelemetry(IMeterFactory? meterFactory = null, string? name = null)
    {
        name ??= Name;
        var version = typeof(MusicGenTelemetry).Assembly.GetName().Version?.ToString();
        ActivitySource = new ActivitySource(name, version);
        if (meterFactory is null)
        {
            Meter = new Meter(name, version);
            _ownsMeter = true;
        }
        else
        {
            Meter = meterFactory.Create(name, version);
        }

        OperationDuration = Meter.CreateHistogram("gen_ai.client.operation.duration", "s", "Duration of a generation, from the call to the finished piece.",
            advice: Buckets([0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92]));
        TokenUsage = Meter.CreateHistogram<long>("gen_ai.client.token.usage", "{token}", "Tokens of one generation: prompt (input) and generated (output).",
            advice: new InstrumentAdvice<long> { HistogramBucketBoundaries = [1, 4, 16, 64, 256, 1024, 4096, 16384, 65536] });
        TimeToFirstToken = Meter.CreateHistogram("gen_ai.server.time_to_first_token", "s", "From the request to its first generated token (queue wait and prefill).",
            advice: Buckets([0.001, 0.002, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10]));
        TimePerOutputToken = Meter.CreateHistogram("gen_ai.server.time_per_output_token", "s", "Decode time per generated token after the first.",
            advice: Buckets([0.0001, 0.0002, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1]));
        QueueDuration = Meter.CreateHistogram("musicgen.queue.duration", "s", "Time a request waited for a batch slot.",
            advice: Buckets([0.0001, 0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60]));
        Throughput = Meter.CreateHistogram("musicgen.generation.throughput", "{token}/s", "Generated tokens per second of one generation (prefill and decode).",
            advice: Buckets([10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 25000]));
        Requests = Meter.CreateCounter<long>("musicgen.generation.requests", "{request}", "Generations by model and outcome (ok, cancelled, deadline, error).");
        Tokens = Meter.CreateCounter<long>("musicgen.generation.tokens", "{token}", "Tokens by model and type (input = prompt, output = generated).");
    }

    /// <summary>Source of the per-generation spans.</summary>
    public ActivitySource ActivitySource { get; }

    /// <summary>The meter the instruments belong to.</summary>
    public Meter Meter { get; }

    internal Histogram<double> OperationDuration { get; }
    internal Histogram<long> TokenUsage { get; }
    internal Histogram<double> TimeToFirstToken { get; }
    internal Histogram<double> TimePerOutputToken { get; }
    internal Histogram<double> QueueDuration { get; }
    internal Histogram<double> Throughput { get; }
    internal Counter<long> Requests { get; }
    internal Counter<long> Tokens { get; }

    /// <summary>
    /// Starts the span of one generation (a child of <see cref="Activity.Current"/>) and its clock. Call
    /// <see cref="GenerationScope.Succeed"/> or <see cref="GenerationScope.Fail"/> when it ends; disposing an
    /// unfinished scope records it as cancelled.
    /// </summary>
    /// <param name="model">Model name (<c>gen_ai.request.model</c>).</param>
    /// <param name="request">The request, for its settings (<c>gen_ai.request.*</c>); null when not known.</param>
    /// <param name="modelVersion">Package version (<c>musicgen.model.version</c>), when known.</param>
    public GenerationScope StartGeneration(string model, GenerationRequest? request = null, string? modelVersion = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(model);
        return new GenerationScope(this, model, request, modelVersion);
    }

    /// <summary>Disposes the activity source, and the meter when this instance created it.</summary>
    public void Dispose()
    {
        ActivitySource.Dispose();
        if (_ownsMeter) Meter.Dispose();
    }

    private static InstrumentAdvice<double> Buckets(double[] bounds) => new() { HistogramBucketBoundaries = bounds };
}
