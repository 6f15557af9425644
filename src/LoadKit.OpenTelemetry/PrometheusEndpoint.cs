using System.Globalization;
using System.Net;
using LoadKit.OpenTelemetry;

namespace LoadKit;

/// <summary>
/// Serves the live metrics of every run (<see cref="LoadKitMetrics"/>, the meter and instruments <see cref="OtlpExporter"/>
/// sends) to a Prometheus scrape at <c>http://ADDRESS/metrics</c>: add it to <see cref="RunOptions.Observers"/>. The
/// endpoint opens with the first run it observes and stays open for the life of the process (the counters go on
/// across runs, as Prometheus expects of a process), so a scrape after a run still sees the run's last figures. One
/// endpoint per address and process: endpoints of the same address share it.
/// </summary>
public sealed class PrometheusEndpoint : IRunObserver
{
    /// <summary>
    /// The environment variable that opens the endpoint: a port (<c>9464</c>, on 127.0.0.1) or an address and port
    /// (<c>127.0.0.1:9464</c>, <c>0.0.0.0:9464</c> for every interface, <c>[::1]:9464</c>).
    /// </summary>
    public const string AddressVariable = "LOADKIT_PROMETHEUS";

    /// <summary>The port of OpenTelemetry's Prometheus exporter, 9464.</summary>
    public const int DefaultPort = 9464;

    private const string Example = "e.g. 9464 (on 127.0.0.1), 127.0.0.1:9464, 0.0.0.0:9464 (every interface) or [::1]:9464";

    /// <summary>Serves on <paramref name="address"/>.</summary>
    /// <exception cref="ArgumentException">Port 0: Prometheus needs to know the port.</exception>
    public PrometheusEndpoint(IPEndPoint address)
    {
        ArgumentNullException.ThrowIfNull(address);
        Address = address.Port != 0 ? address
            : throw new ArgumentException($"Prometheus endpoint = '{address}': needs a port of its own (1 to 65535), {Example}.", nameof(address));
    }

    /// <summary>Where the endpoint listens.</summary>
    public IPEndPoint Address { get; }

    /// <summary>The address Prometheus scrapes (<c>/metrics</c>); for 0.0.0.0 or [::] it names the loopback address.</summary>
    public Uri MetricsUrl => new($"http://{Reachable(Address)}/metrics");

    /// <summary>An endpoint at the address in <see cref="AddressVariable"/>; null when it is not set.</summary>
    /// <exception cref="ArgumentException">The variable holds no port or address and port; the message names it.</exception>
    public static PrometheusEndpoint? FromEnvironment() =>
        Parse(Environment.GetEnvironmentVariable(AddressVariable), $"environment variable {AddressVariable}");

    /// <summary>An endpoint at <paramref name="address"/> given as text (a port, or an address and port); null when it is null or empty.</summary>
    /// <param name="address">The port (on 127.0.0.1) or address and port.</param>
    /// <param name="source">Where it came from, for the error message (e.g. <c>environment variable LOADKIT_PROMETHEUS</c>).</param>
    /// <exception cref="ArgumentException">Not a port or an address and port; the message names the source, the value and what is allowed.</exception>
    public static PrometheusEndpoint? Parse(string? address, string source)
    {
        if (string.IsNullOrWhiteSpace(address))
        {
            return null;
        }

        var text = address.Trim();
        static bool IsPort(string text, out int port) =>
            int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out port) && port is > 0 and <= IPEndPoint.MaxPort;
        var parsed = IsPort(text, out var port) ? new IPEndPoint(IPAddress.Loopback, port)
            : text.StartsWith("localhost:", StringComparison.OrdinalIgnoreCase) && IsPort(text["localhost:".Length..], out port) ? new IPEndPoint(IPAddress.Loopback, port)
            : IPEndPoint.TryParse(text, out var endpoint) ? endpoint
            : null;
        return parsed is { Port: > 0 }
            ? new PrometheusEndpoint(parsed)
            : throw new ArgumentException($"{source} = '{address}': must be a port or an IP address and port to serve Prometheus on, {Example}.");
    }

    /// <summary>Opens the endpoint now, if this process has not opened it yet (a run opens it too).</summary>
    /// <exception cref="InvalidOperationException">The address cannot be listened on (in use, not this machine's); the message says which.</exception>
    public void Open() => PrometheusScrape.Open(Address);

    /// <summary>Opens the endpoint for the run (once per process); a failure to listen is reported, never fatal.</summary>
    public IRunObservation Observe(RunPlan plan, RunControl control) => new PrometheusObservation(Address);

    private static string Reachable(IPEndPoint address) =>
        address.Address.Equals(IPAddress.Any) ? $"127.0.0.1:{address.Port}"
        : address.Address.Equals(IPAddress.IPv6Any) ? $"[::1]:{address.Port}"
        : address.ToString();
}
