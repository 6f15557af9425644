using System.Diagnostics.Metrics;
using System.Diagnostics;
using LoadKit.Results;

namespace LoadKit;

/// <summary>
/// The live metrics every load process publishes through <see cref="System.Diagnostics.Metrics"/>, on the meter
/// named <see cref="MeterName"/>: add that name to an OpenTelemetry <c>MeterProvider</c> (or use LoadKit.OpenTelemetry's
/// <c>OtlpExporter</c>, which exports them over OTLP for the run, or its <c>PrometheusEndpoint</c>, which serves them to
/// a Prometheus scrape), and Grafana, Prometheus or <c>dotnet-counters</c> can follow a run. Nothing is recorded while
/// nobody listens.
/// </summary>
public static class LoadKitMetrics
{
    /// <summary>The meter's name: <c>LoadKit</c>.</summary>
    public const string MeterName = "LoadKit";

    /// <summary>A counter of step calls, by <see cref="ScenarioAttribute"/>, <see cref="StepAttribute"/> and <see cref="OutcomeAttribute"/>.</summary>
    public const string Requests = "loadkit.requests";

    /// <summary>A histogram of step latency in milliseconds, with the same attributes as <see cref="Requests"/>.</summary>
    public const string RequestDuration = "loadkit.request.duration";

    /// <summary>A gauge of the VUs running now, by <see cref="ScenarioAttribute"/>.</summary>
    public const string ActiveUsers = "loadkit.vus.active";

    /// <summary>A counter of iterations an open model dropped (no free VU at their time), by <see cref="ScenarioAttribute"/>.</summary>
    public const string DroppedIterations = "loadkit.iterations.dropped";

    /// <summary>
    /// A gauge of the CPU a load process used in its last whole second of a run, in % of all its machine's cores,
    /// by <see cref="ProcessAttribute"/>: the figure of the report's generator CPU chart.
    /// </summary>
    public const string GeneratorCpu = "loadkit.generator.cpu";

    /// <summary>The attribute that holds a load process's name (host name and process id), as a result's generators name it.</summary>
    public const string ProcessAttribute = "loadkit.process";

    /// <summary>The attribute that holds the scenario's name.</summary>
    public const string ScenarioAttribute = "loadkit.scenario";

    /// <summary>The attribute that holds the step's name.</summary>
    public const string StepAttribute = "loadkit.step";

    /// <summary>The attribute that holds how a call ended: <c>ok</c>, <c>failed</c>, <c>timed_out</c> or <c>cancelled</c>.</summary>
    public const string OutcomeAttribute = "loadkit.outcome";

    private static readonly Meter Meter = new(MeterName, typeof(LoadKitMetrics).Assembly.GetName().Version?.ToString());

    internal static readonly Counter<long> RequestCounter = Meter.CreateCounter<long>(Requests, "{request}", "Step calls, by scenario, step and outcome.");

    internal static readonly Histogram<double> DurationHistogram = Meter.CreateHistogram<double>(RequestDuration, "ms", "Step latency, by scenario, step and outcome.");

    /// <summary>The scenarios running in this process, for the VU gauge; an engine is in it while it runs.</summary>
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<Telemetry.UserTracking, string> Running = new();

    // Observed only when a listener collects, so it needs nothing on the hot path and is right whenever a listener attaches.
    internal static readonly ObservableGauge<int> UserGauge = Meter.CreateObservableGauge(ActiveUsers, ObserveUsers, "{vu}", "Virtual users running now, by scenario.");

    /// <summary>The health samplers of the runs in this process, for the CPU gauge: each one's latest CPU figure.</summary>
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<Telemetry.CpuTracking, string> Sampling = new();

    internal static readonly ObservableGauge<double> CpuGauge = Meter.CreateObservableGauge(GeneratorCpu, ObserveCpu, "%", "CPU of the load process in its last second, in % of all cores.");

    internal static readonly Counter<long> DroppedCounter = Meter.CreateCounter<long>(DroppedIterations, "{iteration}", "Iterations an open model could not start at their time, by scenario.");

    private static readonly KeyValuePair<string, object?>[] Outcomes =
    [
        new(OutcomeAttribute, "ok"),
        new(OutcomeAttribute, "failed"),
        new(OutcomeAttribute, "timed_out"),
        new(OutcomeAttribute, "cancelled"),
    ];

    /// <summary>Counts the VUs <paramref name="current"/> reads in the VU gauge as scenario <paramref name="scenario"/>'s until disposed.</summary>
    internal static IDisposable Track(string scenario, Func<int> current)
    {
        var tracking = new Telemetry.UserTracking(current);
        Running[tracking] = scenario;
        return tracking;
    }

    internal static void Untrack(Telemetry.UserTracking tracking) => Running.TryRemove(tracking, out _);

    /// <summary>Reads <paramref name="latest"/> (null: no sample yet) in the CPU gauge as process <paramref name="process"/>'s until disposed.</summary>
    internal static IDisposable TrackCpu(string process, Func<double?> latest)
    {
        var tracking = new Telemetry.CpuTracking(latest);
        Sampling[tracking] = process;
        return tracking;
    }

    internal static void Untrack(Telemetry.CpuTracking tracking) => Sampling.TryRemove(tracking, out _);

    private static IEnumerable<Measurement<double>> ObserveCpu() =>
        Sampling.Select(s => (Process: s.Value, Cpu: s.Key.Latest()))
            .Where(s => s.Cpu is not null)
            .Select(s => new Measurement<double>(s.Cpu!.Value, new KeyValuePair<string, object?>(ProcessAttribute, s.Process)))
            .ToArray();

    private static IEnumerable<Measurement<int>> ObserveUsers() =>
        Running.GroupBy(r => r.Value, StringComparer.Ordinal)
            .Select(g => new Measurement<int>(g.Sum(r => r.Key.Current()), new KeyValuePair<string, object?>(ScenarioAttribute, g.Key)))
            .ToArray();

    internal static KeyValuePair<string, object?> OutcomeTag(Results.Outcome outcome) => Outcomes[(int)outcome];
}
