using System.Diagnostics.Metrics;
using System.Reflection;
using Microsoft.Extensions.Options;
using MusicGen.Inference.Telemetry;
using OpenTelemetry.Exporter;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace MusicGen.Server.Telemetry;

/// <summary>The service's OpenTelemetry pipeline: what is traced and measured, and where it goes.</summary>
internal static class TelemetrySetup
{
    /// <summary>Service name on every span and metric (<c>service.name</c>).</summary>
    public const string ServiceName = "musicgen-server";

    /// <summary>ASP.NET Core's own meters, exported beside the service's and the library's.</summary>
    private static readonly string[] AspNetCoreMeters = ["Microsoft.AspNetCore.Hosting", "Microsoft.AspNetCore.Server.Kestrel", "Microsoft.AspNetCore.RateLimiting"];

    /// <summary>
    /// Traces: ASP.NET Core's request spans and, under them, the library's <c>generate_content</c> spans (source
    /// <see cref="MusicGenTelemetry.Name"/>). Metrics: the service's meter, the library's (gen_ai.* names) and ASP.NET
    /// Core's, at <c>/metrics</c> always and on the exporters <see cref="TelemetryOptions"/> turns on. Bad settings
    /// stop the start with an <see cref="OptionsValidationException"/> naming them.
    /// </summary>
    public static void AddMusicGenTelemetry(this WebApplicationBuilder builder)
    {
        var options = builder.Configuration.GetSection(TelemetryOptions.Section).Get<TelemetryOptions>() ?? new TelemetryOptions();
        var errors = options.Validate();
        if (errors.Count > 0) throw new OptionsValidationException(TelemetryOptions.Section, typeof(TelemetryOptions), errors);

        // The library's source and meter, for the service's generate_content spans (ServiceJob).
        builder.Services.AddSingleton(sp => new MusicGenTelemetry(sp.GetRequiredService<IMeterFactory>()));
        var version = typeof(TelemetrySetup).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion;
        builder.Services.AddOpenTelemetry()
            .ConfigureResource(r => r.AddService(ServiceName, serviceVersion: version))
            .WithTracing(t =>
            {
                t.AddSource(MusicGenTelemetry.Name)
                    .AddAspNetCoreInstrumentation(o => o.Filter = ctx => !IsProbe(ctx.Request.Path));
                if (options.Otlp) t.AddOtlpExporter(o => Configure(o, options, "v1/traces"));
                if (options.Console) t.AddConsoleExporter();
            })
            .WithMetrics(m =>
            {
                m.AddMeter([ServerMetrics.MeterName, MusicGenTelemetry.Name, .. AspNetCoreMeters]).AddPrometheusExporter();
                var interval = (int)options.MetricExportInterval.TotalMilliseconds;
                if (options.Otlp)
                {
                    m.AddOtlpExporter((o, reader) =>
                    {
                        Configure(o, options, "v1/metrics");
                        reader.PeriodicExportingMetricReaderOptions.ExportIntervalMilliseconds = interval;
                    });
                }
                if (options.Console) m.AddConsoleExporter((_, reader) => reader.PeriodicExportingMetricReaderOptions.ExportIntervalMilliseconds = interval);
            });
    }

    /// <summary>Scrapes and health probes, which come every few seconds: not traced.</summary>
    private static bool IsProbe(PathString path) =>
        path.StartsWithSegments("/metrics") || path.StartsWithSegments("/healthz") || path.StartsWithSegments("/readyz");

    /// <summary>
    /// The configured endpoint and transport. Over http/protobuf the endpoint is the collector's base address and the
    /// signal's path is appended, as the SDK does for <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> (an endpoint set in code is
    /// taken as the full address).
    /// </summary>
    private static void Configure(OtlpExporterOptions o, TelemetryOptions options, string signalPath)
    {
        var http = options.OtlpProtocol == TelemetryOptions.HttpProtobuf;
        o.Protocol = http ? OtlpExportProtocol.HttpProtobuf : OtlpExportProtocol.Grpc;
        if (options.EndpointUri is not { } endpoint) return;
        o.Endpoint = http ? new Uri(endpoint.AbsoluteUri.TrimEnd('/') + "/" + signalPath) : endpoint;
    }
}
