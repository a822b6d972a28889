using System.Runtime.CompilerServices;
using DataExchangeTasker.Configuration;
using DataExchangeTasker.Pipeline;
using OpenTelemetry;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace DataExchangeTasker.Hosting;

/// <summary>
/// The OTLP export of task spans, built only when <c>TASKER_OTLP_ENDPOINT</c> is set. A method of its own (never
/// inlined) so that a tasker without it does not load the OpenTelemetry assemblies at all: the JIT resolves every
/// type a method mentions when it compiles it, and the worker's start-up method is compiled whether or not it exports.
/// </summary>
internal static class TracingExport
{
    /// <summary>The exporting tracer provider (dispose it at shutdown), or null when no endpoint is configured.</summary>
    public static IDisposable? Start(TaskerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return options.OtlpEndpoint is { } otlp ? Build(otlp, options.TaskerId) : null;
    }

    // IDisposable, not TracerProvider: a caller compiled against this signature must not need the OpenTelemetry assemblies.
    [MethodImpl(MethodImplOptions.NoInlining)]
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Performance", "CA1859", Justification = "The interface keeps OpenTelemetry out of the callers' signatures.")]
    private static IDisposable Build(Uri endpoint, string taskerId) =>
        Sdk.CreateTracerProviderBuilder()
            .ConfigureResource(r => r.AddService("dataexchange-tasker", serviceVersion: ThisAssembly.Version, serviceInstanceId: taskerId))
            .AddSource(TaskTracing.SourceName)
            .AddOtlpExporter(o => o.Endpoint = endpoint)
            .Build();
}
