using System.Diagnostics.Metrics;

namespace MusicGen.Server.Telemetry;

/// <summary>The service's OpenTelemetry instruments (meter <see cref="MeterName"/>), exported at <c>/metrics</c>.</summary>
internal sealed class ServerMetrics : IDisposable
{
    public const string MeterName = "MusicGen.Server";

    private readonly Meter _meter;
    private readonly Counter<long> _requests;
    private readonly Counter<long> _tokens;
    private readonly Histogram<double> _ttft;
    private readonly Histogram<double> _tokenLatency;
    private readonly Histogram<int> _batchSize;
    private readonly Histogram<double> _stepSeconds;
    private readonly Counter<long> _packages;
    private Func<int> _queueDepth = () => 0;
    private Func<int> _activeSequences = () => 0;
    private long _lastBatchSize;
    private Func<IEnumerable<Measurement<int>>> _versions = () => [];

    public ServerMetrics(IMeterFactory factory)
    {
        _meter = factory.Create(MeterName);
        _requests = _meter.CreateCounter<long>("musicgen.requests", "{request}", "Generation requests by model and outcome.");
        _tokens = _meter.CreateCounter<long>("musicgen.tokens.generated", "{token}", "Tokens generated (rate = tokens/s).");
        var seconds = new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.0002, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 30] };
        _ttft = _meter.CreateHistogram("musicgen.time_to_first_token", "s", "From arrival to the first generated token.", advice: seconds);
        _tokenLatency = _meter.CreateHistogram("musicgen.token.latency", "s", "Time between two tokens of one sequence (one batched step).", advice: seconds);
        _batchSize = _meter.CreateHistogram("musicgen.batch.size", "{sequence}", "Sequences in each batched decode step.",
            advice: new InstrumentAdvice<int> { HistogramBucketBoundaries = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512] });
        _stepSeconds = _meter.CreateHistogram("musicgen.step.duration", "s", "Wall time of one batched decode step.", advice: seconds);
        _packages = _meter.CreateCounter<long>("musicgen.packages", "{package}", "Packages looked at by the registry, by outcome (loaded, rejected).");
        _meter.CreateObservableGauge("musicgen.queue.depth", () => _queueDepth(), "{request}", "Requests waiting for a batch slot.");
        _meter.CreateObservableGauge("musicgen.batch.active", () => _activeSequences(), "{sequence}", "Sequences holding a batch slot now.");
        _meter.CreateObservableGauge("musicgen.batch.last_size", () => Interlocked.Read(ref _lastBatchSize), "{sequence}", "Size of the most recent decode step.");
        _meter.CreateObservableGauge("musicgen.model.versions", () => _versions(), "{version}", "Loaded model versions by name and state.");
    }

    /// <summary>Where the queue depth and the active sequences are read (the generation loop).</summary>
    public void SetLoadSource(Func<int> queueDepth, Func<int> activeSequences)
    {
        _queueDepth = queueDepth;
        _activeSequences = activeSequences;
    }

    public void SetVersionSource(Func<IEnumerable<Measurement<int>>> source) => _versions = source;

    public void Request(string model, string outcome) =>
        _requests.Add(1, new KeyValuePair<string, object?>("model", model), new KeyValuePair<string, object?>("outcome", outcome));

    public void Step(string model, int batch, double seconds)
    {
        var tag = new KeyValuePair<string, object?>("model", model);
        Interlocked.Exchange(ref _lastBatchSize, batch);
        _batchSize.Record(batch, tag);
        _stepSeconds.Record(seconds, tag);
        _tokenLatency.Record(seconds, tag);
        _tokens.Add(batch, tag);
    }

    public void FirstToken(string model, double seconds) =>
        _ttft.Record(seconds, new KeyValuePair<string, object?>("model", model));

    public void Package(string outcome) => _packages.Add(1, new KeyValuePair<string, object?>("outcome", outcome));

    public void Dispose() => _meter.Dispose();
}
