using System.Net;
using OpenTelemetry;
using OpenTelemetry.Metrics;

namespace LoadKit.OpenTelemetry;

/// <summary>
/// The process's Prometheus endpoints: per address, a meter provider over <see cref="LoadKitMetrics"/> whose reader is
/// OpenTelemetry's Prometheus exporter on its own HttpListener. Open for the life of the process once opened.
/// </summary>
internal static class PrometheusScrape
{
    /// <summary>
    /// Bucket bounds of the latency histogram, in ms: finer than OpenTelemetry's default (which starts at 5 ms and
    /// jumps from 10 to 25), so that <c>histogram_quantile</c> gives usable p50/p95/p99 of fast calls too.
    /// </summary>
    internal static readonly double[] LatencyBuckets = [0.25, 0.5, 1, 2, 3, 5, 7.5, 10, 15, 20, 30, 50, 75, 100, 150, 200, 300, 500, 750, 1000, 2000, 5000, 10000, 30000, 60000];

    private static readonly Lock Gate = new();
    private static readonly Dictionary<IPEndPoint, MeterProvider> Providers = [];

    /// <summary>Opens the endpoint at <paramref name="address"/> unless it is open.</summary>
    /// <exception cref="InvalidOperationException">It cannot listen there; the message names the address and the variable.</exception>
    public static void Open(IPEndPoint address)
    {
        lock (Gate)
        {
            if (Providers.ContainsKey(address))
            {
                return;
            }

            var prefix = Prefix(address);
            try
            {
                Providers[address] = Sdk.CreateMeterProviderBuilder()
                    .AddMeter(LoadKitMetrics.MeterName)
                    .AddView(LoadKitMetrics.RequestDuration, new ExplicitBucketHistogramConfiguration { Boundaries = LatencyBuckets })
                    .AddPrometheusHttpListener(options =>
                    {
                        options.Host = Host(address);
                        options.Port = address.Port;
                    })
                    .Build();
            }
            catch (Exception exception) when (exception is not OutOfMemoryException)
            {
                throw new InvalidOperationException(
                    $"The Prometheus endpoint cannot listen on {prefix} ({(exception.InnerException ?? exception).Message}); " +
                    $"give {PrometheusEndpoint.AddressVariable} a free port of this machine, e.g. 127.0.0.1:{PrometheusEndpoint.DefaultPort}.", exception);
            }
        }
    }

    /// <summary>Closes the endpoint at <paramref name="address"/> (tests, so a test process's later runs record nothing for it).</summary>
    internal static void Close(IPEndPoint address)
    {
        lock (Gate)
        {
            if (Providers.Remove(address, out var provider))
            {
                provider.Dispose();
            }
        }
    }

    /// <summary>The HttpListener host: <c>+</c> for every interface, else the address itself (IPv6 in brackets).</summary>
    private static string Host(IPEndPoint address) =>
        address.Address.Equals(IPAddress.Any) || address.Address.Equals(IPAddress.IPv6Any) ? "+"
        : address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? $"[{address.Address}]"
        : address.Address.ToString();

    private static string Prefix(IPEndPoint address) => $"http://{Host(address)}:{address.Port}/";
}

/// <summary>A run's view of the endpoint: opens it at the start; a failure to listen becomes a note of the run, not a failed run.</summary>
internal sealed class PrometheusObservation : IRunObservation
{
    private readonly string? _failure;

    public PrometheusObservation(IPEndPoint address)
    {
        try
        {
            PrometheusScrape.Open(address);
        }
        catch (InvalidOperationException exception)
        {
            _failure = exception.Message + " The run went on without it.";
            Console.Error.WriteLine("LoadKit: " + _failure);
        }
    }

    /// <summary>The endpoint reads the meter, not the snapshots.</summary>
    public bool WantsSnapshots => false;

    public void OnStarted(long startTimestamp)
    {
    }

    public void OnSnapshot(RunSnapshot snapshot)
    {
    }

    public LoadResult OnCompleted(LoadResult result) =>
        _failure is null ? result : result with { Notes = [.. result.Notes, _failure] };

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
