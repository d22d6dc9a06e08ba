using System.Globalization;

namespace MusicGen.Server.Telemetry;

/// <summary>
/// Exporters of the service's OpenTelemetry traces and metrics (section <c>MusicGen:Telemetry</c>), checked at start:
/// a bad setting stops the start with a message naming it. <c>/metrics</c> (Prometheus) is always on; OTLP and the
/// console are off unless turned on here.
/// </summary>
internal sealed class TelemetryOptions
{
    /// <summary>Configuration section name.</summary>
    public const string Section = "MusicGen:Telemetry";

    /// <summary>Transport name of OTLP over gRPC (the default).</summary>
    public const string Grpc = "grpc";

    /// <summary>Transport name of OTLP over HTTP with protobuf bodies.</summary>
    public const string HttpProtobuf = "http/protobuf";

    /// <summary>
    /// Export traces and metrics over OTLP, to <see cref="OtlpEndpoint"/>, else <c>OTEL_EXPORTER_OTLP_ENDPOINT</c>,
    /// else the SDK's default (<c>http://localhost:4317</c>).
    /// </summary>
    public bool Otlp { get; set; }

    /// <summary>
    /// OTLP collector address, e.g. <c>http://collector:4317</c> (gRPC) or <c>http://collector:4318</c> with
    /// <see cref="OtlpProtocol"/> <c>http/protobuf</c> (then <c>/v1/traces</c> and <c>/v1/metrics</c> are appended,
    /// as for <c>OTEL_EXPORTER_OTLP_ENDPOINT</c>).
    /// </summary>
    public string? OtlpEndpoint { get; set; }

    /// <summary>OTLP transport: <c>grpc</c> (default) or <c>http/protobuf</c>.</summary>
    public string OtlpProtocol { get; set; } = Grpc;

    /// <summary>Write traces and metrics to standard output (the OpenTelemetry console exporter), to show and debug.</summary>
    public bool Console { get; set; }

    /// <summary>How often metrics are pushed to OTLP and the console (Prometheus pulls <c>/metrics</c> instead).</summary>
    public TimeSpan MetricExportInterval { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>Shortest <see cref="MetricExportInterval"/>.</summary>
    public static readonly TimeSpan MinExportInterval = TimeSpan.FromMilliseconds(100);

    /// <summary>Longest <see cref="MetricExportInterval"/>.</summary>
    public static readonly TimeSpan MaxExportInterval = TimeSpan.FromHours(1);

    /// <summary>The endpoint as a URI (null when unset); <see cref="Validate"/> has checked it.</summary>
    public Uri? EndpointUri => OtlpEndpoint is { Length: > 0 } e ? new Uri(e, UriKind.Absolute) : null;

    /// <summary>What is wrong with the settings, each naming its key; empty when they are fine.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (OtlpEndpoint is { Length: > 0 } e && !(Uri.TryCreate(e, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https" && uri.Host.Length > 0))
            errors.Add($"{Section}:{nameof(OtlpEndpoint)} '{e}' is not an absolute http or https URI (e.g. http://collector:4317).");
        if (OtlpProtocol is not (Grpc or HttpProtobuf))
            errors.Add($"{Section}:{nameof(OtlpProtocol)} '{OtlpProtocol}' is neither {Grpc} nor {HttpProtobuf}.");
        if (MetricExportInterval < MinExportInterval || MetricExportInterval > MaxExportInterval)
            errors.Add(string.Create(CultureInfo.InvariantCulture,
                $"{Section}:{nameof(MetricExportInterval)} must be between {MinExportInterval} and {MaxExportInterval} (got {MetricExportInterval})."));
        return errors;
    }
}
