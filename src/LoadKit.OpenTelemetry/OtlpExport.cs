using OpenTelemetry;
using OpenTelemetry.Exporter;
using OpenTelemetry.Metrics;

namespace LoadKit.OpenTelemetry;

/// <summary>
/// Exports <see cref="LoadKitMetrics"/> over OTLP (http/protobuf) once a second while a run lasts, then flushes.
/// An export that fails (nothing listening, an error answer) is reported once, on standard error and as a note of the
/// run, and never fails the run: the exporter just tries again at the next interval.
/// </summary>
internal sealed class OtlpExport : IRunObservation, IDisposable
{
    /// <summary>How often the metrics go out: often enough to follow a run live.</summary>
    internal const int IntervalMilliseconds = 1000;

    private const int TimeoutMilliseconds = 5000;

    private readonly MeterProvider _provider;
    private readonly Uri _endpoint;
    private int _failures;
    private int _disposed;

    public OtlpExport(Uri endpoint)
    {
        _endpoint = MetricsUrl(endpoint);
        var exporter = new OtlpMetricExporter(new OtlpExporterOptions
        {
            Endpoint = _endpoint,
            Protocol = OtlpExportProtocol.HttpProtobuf,
            TimeoutMilliseconds = TimeoutMilliseconds,
        });
        _provider = Sdk.CreateMeterProviderBuilder()
            .AddMeter(LoadKitMetrics.MeterName)
            .AddReader(new PeriodicExportingMetricReader(new Watched(exporter, this), IntervalMilliseconds, TimeoutMilliseconds)
            {
                TemporalityPreference = MetricReaderTemporalityPreference.Cumulative,
            })
            .Build();
    }

    /// <summary>A note for the run's result when an export failed; null when every export went through.</summary>
    public string? FailureNote => Volatile.Read(ref _failures) == 0 ? null
        : $"OTLP export of the live metrics to {_endpoint} failed {Volatile.Read(ref _failures)} times (see the OpenTelemetry SDK's event source " +
          "'OpenTelemetry-Exporter-OpenTelemetryProtocol' for why); the run itself was not affected.";

    /// <summary>The export reads the meter, not the snapshots.</summary>
    public bool WantsSnapshots => false;

    /// <inheritdoc />
    public void OnStarted(long startTimestamp)
    {
    }

    /// <inheritdoc />
    public void OnSnapshot(RunSnapshot snapshot)
    {
    }

    /// <summary>Flushes the last values; the result notes a failed export.</summary>
    public LoadResult OnCompleted(LoadResult result)
    {
        Dispose();
        return FailureNote is { } note ? result with { Notes = [.. result.Notes, note] } : result;
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync()
    {
        Dispose();
        return ValueTask.CompletedTask;
    }

    /// <summary>The metrics path of an OTLP/HTTP endpoint: <c>/v1/metrics</c> appended unless the address already ends with it.</summary>
    internal static Uri MetricsUrl(Uri endpoint) =>
        endpoint.AbsolutePath.EndsWith("/v1/metrics", StringComparison.Ordinal)
            ? endpoint
            : new Uri(endpoint.GetLeftPart(UriPartial.Authority) + endpoint.AbsolutePath.TrimEnd('/') + "/v1/metrics");

    /// <summary>Flushes the last values and stops, within the export timeout.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _provider.Shutdown(TimeoutMilliseconds);
        _provider.Dispose();
    }

    private void Failed()
    {
        if (Interlocked.Increment(ref _failures) == 1)
        {
            Console.Error.WriteLine($"LoadKit: OTLP export of the live metrics to {_endpoint} failed; the run goes on, and the exporter keeps trying.");
        }
    }

    /// <summary>The OTLP exporter, with each failed export counted.</summary>
    private sealed class Watched(BaseExporter<Metric> inner, OtlpExport owner) : BaseExporter<Metric>
    {
        public override ExportResult Export(in Batch<Metric> batch)
        {
            ExportResult result;
            try
            {
                result = inner.Export(batch);
            }
            catch (Exception exception) when (exception is not OutOfMemoryException)
            {
                result = ExportResult.Failure;
            }

            if (result != ExportResult.Success)
            {
                owner.Failed();
            }

            return result;
        }

        protected override bool OnForceFlush(int timeoutMilliseconds) => inner.ForceFlush(timeoutMilliseconds);

        protected override bool OnShutdown(int timeoutMilliseconds) => inner.Shutdown(timeoutMilliseconds);

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                inner.Dispose();
            }

            base.Dispose(disposing);
        }
    }
}
