using System.Diagnostics;

namespace MusicGen.Inference.Telemetry;

/// <summary>What one finished generation used and where its time went, for <see cref="GenerationScope.Succeed"/>.</summary>
/// <param name="InputTokens">Prompt tokens (BOS, primer, prefix).</param>
/// <param name="OutputTokens">Generated tokens.</param>
/// <param name="FinishReason">Why it stopped, as <see cref="FinishReasons.ToFinishReason"/> spells it (<c>eos</c>, <c>max_tokens</c>, ...).</param>
public readonly record struct GenerationUsage(int InputTokens, int OutputTokens, string FinishReason)
{
    /// <summary>Time spent waiting for a batch slot.</summary>
    public TimeSpan? Queued { get; init; }

    /// <summary>From the request to its first generated token (queue wait and prefill included).</summary>
    public TimeSpan? TimeToFirstToken { get; init; }

    /// <summary>From the first generated token to the last.</summary>
    public TimeSpan? Decode { get; init; }

    /// <summary>The seed used (drawn when the request had none).</summary>
    public long? Seed { get; init; }

    /// <summary>The usage of an engine result.</summary>
    public static GenerationUsage From(GenerationResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        var t = result.Timing;
        return new GenerationUsage(result.PromptTokenCount, t.GeneratedTokens, result.StopReason.ToFinishReason())
        {
            Queued = t.Queued, TimeToFirstToken = t.Queued + t.Prefill, Decode = t.Decode, Seed = result.Seed,
        };
    }
}

/// <summary>
/// The span and measurements of one generation, from <see cref="MusicGenTelemetry.StartGeneration"/> to
/// <see cref="Succeed"/> or <see cref="Fail"/> (the first of them counts; later calls are ignored). Thread-safe: it
/// may end on another thread than the one that started it.
/// </summary>
public sealed class GenerationScope : IDisposable
{
    /// <summary><c>gen_ai.operation.name</c> of a generation.</summary>
    public const string OperationName = "generate_content";

    /// <summary><c>gen_ai.provider.name</c> of this library.</summary>
    public const string ProviderName = "musicgen";

    private readonly MusicGenTelemetry _telemetry;
    private readonly string _model;
    private readonly long _started;
    private int _ended;

    internal GenerationScope(MusicGenTelemetry telemetry, string model, GenerationRequest? request, string? modelVersion)
    {
        _telemetry = telemetry;
        _model = model;
        _started = Stopwatch.GetTimestamp();
        var parent = Activity.Current;
        Activity = telemetry.ActivitySource.StartActivity($"{OperationName} {model}", ActivityKind.Internal);
        if (Activity is null) return;
        Activity.SetTag("gen_ai.operation.name", OperationName);
        Activity.SetTag("gen_ai.provider.name", ProviderName);
        Activity.SetTag("gen_ai.request.model", model);
        if (modelVersion is not null) Activity.SetTag("musicgen.model.version", modelVersion);
        if (request is not null && Activity.IsAllDataRequested)
        {
            if (request.MaxTokens is { } max) Activity.SetTag("gen_ai.request.max_tokens", max);
            if (request.Seed is { } seed) Activity.SetTag("gen_ai.request.seed", seed);
            if (request.Bars is { } bars) Activity.SetTag("musicgen.request.bars", bars);
            if (request.Seconds is { } seconds) Activity.SetTag("musicgen.request.seconds", seconds);
            if (request.Sampling is { } s)
            {
                if (s.Greedy) Activity.SetTag("musicgen.request.greedy", true);
                else Activity.SetTag("gen_ai.request.temperature", (double)s.Temperature);
                if (s.TopK > 0) Activity.SetTag("gen_ai.request.top_k", s.TopK);
                if (s.TopP < 1) Activity.SetTag("gen_ai.request.top_p", (double)s.TopP);
                if (s.MinP > 0) Activity.SetTag("musicgen.request.min_p", (double)s.MinP);
                if (s.RepetitionPenalty != 1) Activity.SetTag("musicgen.request.repetition_penalty", (double)s.RepetitionPenalty);
            }
        }
        // Starting a span makes it current; the caller decides what runs inside it, so the ambient span stays.
        Activity.Current = parent;
    }

    /// <summary>The span (null when nobody listens to <see cref="MusicGenTelemetry.Name"/>).</summary>
    public Activity? Activity { get; }

    /// <summary>Time since the scope started.</summary>
    public TimeSpan Elapsed => Stopwatch.GetElapsedTime(_started);

    /// <summary>Ends the generation as a success: span attributes, histograms, counters.</summary>
    public void Succeed(GenerationUsage usage)
    {
        if (Interlocked.Exchange(ref _ended, 1) != 0) return;
        var duration = Elapsed.TotalSeconds;
        var tags = BaseTags();
        var t = _telemetry;
        t.OperationDuration.Record(duration, tags);
        t.TokenUsage.Record(usage.InputTokens, With(tags, "gen_ai.token.type", "input"));
        t.TokenUsage.Record(usage.OutputTokens, With(tags, "gen_ai.token.type", "output"));
        t.Tokens.Add(usage.InputTokens, With(tags, "gen_ai.token.type", "input"));
        t.Tokens.Add(usage.OutputTokens, With(tags, "gen_ai.token.type", "output"));
        t.Requests.Add(1, With(tags, "musicgen.outcome", "ok"));
        if (usage.Queued is { } queued) t.QueueDuration.Record(queued.TotalSeconds, tags);
        if (usage.TimeToFirstToken is { } ttft && usage.OutputTokens > 0) t.TimeToFirstToken.Record(ttft.TotalSeconds, tags);
        if (usage.Decode is { } decode && usage.OutputTokens > 1) t.TimePerOutputToken.Record(decode.TotalSeconds / (usage.OutputTokens - 1), tags);
        var active = usage.TimeToFirstToken is { } first && usage.Decode is { } d
            ? first - (usage.Queued ?? TimeSpan.Zero) + d
            : TimeSpan.FromSeconds(duration) - (usage.Queued ?? TimeSpan.Zero);
        if (active > TimeSpan.Zero && usage.OutputTokens > 0) t.Throughput.Record(usage.OutputTokens / active.TotalSeconds, tags);

        if (Activity is { } a)
        {
            a.SetTag("gen_ai.response.model", _model);
            a.SetTag("gen_ai.usage.input_tokens", usage.InputTokens);
            a.SetTag("gen_ai.usage.output_tokens", usage.OutputTokens);
            a.SetTag("gen_ai.response.finish_reasons", new[] { usage.FinishReason });
            if (usage.Seed is { } seed && a.GetTagItem("gen_ai.request.seed") is null) a.SetTag("gen_ai.request.seed", seed);
            if (usage.Queued is { } q) a.SetTag("musicgen.queue.duration", q.TotalSeconds);
            if (usage.TimeToFirstToken is { } f) a.SetTag("musicgen.time_to_first_token", f.TotalSeconds);
            a.SetTag("musicgen.outcome", "ok");
            Stop(a);
        }
    }

    /// <summary>
    /// Ends the generation as a failure: <see cref="OperationCanceledException"/> counts as <c>cancelled</c>, a
    /// <see cref="TimeoutException"/> as <c>deadline</c>, anything else as <c>error</c> (span status Error).
    /// </summary>
    public void Fail(Exception error)
    {
        ArgumentNullException.ThrowIfNull(error);
        if (Interlocked.Exchange(ref _ended, 1) != 0) return;
        var outcome = OutcomeOf(error);
        var errorType = error.GetType().FullName ?? error.GetType().Name;
        var tags = BaseTags();
        tags.Add("error.type", errorType);
        _telemetry.OperationDuration.Record(Elapsed.TotalSeconds, tags);
        _telemetry.Requests.Add(1, With(tags, "musicgen.outcome", outcome));
        if (Activity is { } a)
        {
            a.SetTag("error.type", errorType);
            a.SetTag("musicgen.outcome", outcome);
            if (outcome != "cancelled") a.SetStatus(ActivityStatusCode.Error, error.Message);
            Stop(a);
        }
    }

    /// <summary>Ends an unfinished generation as cancelled.</summary>
    public void Dispose()
    {
        if (Volatile.Read(ref _ended) == 0) Fail(new OperationCanceledException("the generation ended without a result"));
    }

    /// <summary><c>musicgen.outcome</c> of a failure: cancelled, deadline or error.</summary>
    public static string OutcomeOf(Exception error) => error switch
    {
        OperationCanceledException => "cancelled",
        TimeoutException => "deadline",
        _ => "error",
    };

    private TagList BaseTags() => new()
    {
        { "gen_ai.operation.name", OperationName },
        { "gen_ai.provider.name", ProviderName },
        { "gen_ai.request.model", _model },
    };

    private static TagList With(TagList tags, string key, object? value)
    {
        var copy = tags;
        copy.Add(key, value);
        return copy;
    }

    private static void Stop(Activity activity)
    {
        // Stop() makes the span's parent current on this thread; keep whatever was current here (another request's
        // thread or the decode loop) as it was.
        var ambient = Activity.Current;
        activity.Stop();
        if (ambient != activity) Activity.Current = ambient;
    }
}

/// <summary>The wire names of <see cref="StopReason"/> (<c>gen_ai.response.finish_reasons</c>, the service's <c>finishReason</c>).</summary>
public static class FinishReasons
{
    /// <summary><c>max_tokens</c>, <c>eos</c>, <c>bars</c>, <c>seconds</c>, <c>context</c>, <c>cancelled</c> (or the lower-case name).</summary>
    public static string ToFinishReason(this StopReason reason) => reason switch
    {
        StopReason.MaxTokens => "max_tokens",
        StopReason.EndOfSequence => "eos",
        StopReason.Bars => "bars",
        StopReason.Seconds => "seconds",
        StopReason.ContextFull => "context",
        StopReason.Cancelled => "cancelled",
        var other => other.ToString().ToLowerInvariant(),
    };
}
