using LoadKit.OpenTelemetry;

namespace LoadKit;

/// <summary>
/// Exports the live metrics of every run (<see cref="LoadKitMetrics"/>) over OTLP, http/protobuf, once a second
/// while the run lasts: add it to <see cref="RunOptions.Observers"/>. An export that fails is reported once (standard
/// error and a note of the run) and never fails the run.
/// </summary>
public sealed class OtlpExporter : IRunObserver
{
    /// <summary>
    /// The environment variable that names an OTLP/HTTP endpoint to export to, e.g. <c>http://127.0.0.1:4318</c>
    /// (<c>/v1/metrics</c> is appended). Takes precedence over <see cref="StandardEndpointVariable"/>.
    /// </summary>
    public const string EndpointVariable = "LOADKIT_OTLP_ENDPOINT";

    /// <summary>OpenTelemetry's own endpoint variable, honoured when <see cref="EndpointVariable"/> is not set.</summary>
    public const string StandardEndpointVariable = "OTEL_EXPORTER_OTLP_ENDPOINT";

    /// <summary>Exports to <paramref name="endpoint"/>.</summary>
    /// <exception cref="ArgumentException">Not an absolute http or https address.</exception>
    public OtlpExporter(Uri endpoint)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        Endpoint = endpoint.IsAbsoluteUri && (endpoint.Scheme == Uri.UriSchemeHttp || endpoint.Scheme == Uri.UriSchemeHttps)
            ? endpoint
            : throw new ArgumentException($"OTLP endpoint = '{endpoint}': must be an absolute http or https address, e.g. http://127.0.0.1:4318.", nameof(endpoint));
    }

    /// <summary>Where the metrics go (<c>/v1/metrics</c> is appended unless present).</summary>
    public Uri Endpoint { get; }

    /// <summary>An exporter to the endpoint in <see cref="EndpointVariable"/>, else <see cref="StandardEndpointVariable"/>; null when neither is set.</summary>
    /// <exception cref="ArgumentException">The variable holds no absolute http or https address; the message names it.</exception>
    public static OtlpExporter? FromEnvironment()
    {
        var own = Environment.GetEnvironmentVariable(EndpointVariable);
        var variable = string.IsNullOrWhiteSpace(own) ? StandardEndpointVariable : EndpointVariable;
        return Parse(Environment.GetEnvironmentVariable(variable), $"environment variable {variable}");
    }

    /// <summary>An exporter to <paramref name="endpoint"/> given as text; null when it is null or empty.</summary>
    /// <param name="endpoint">The address.</param>
    /// <param name="source">Where it came from, for the error message (e.g. <c>environment variable LOADKIT_OTLP_ENDPOINT</c>).</param>
    /// <exception cref="ArgumentException">Not an absolute http or https address; the message names the source, the value and what is allowed.</exception>
    public static OtlpExporter? Parse(string? endpoint, string source)
    {
        if (string.IsNullOrWhiteSpace(endpoint))
        {
            return null;
        }

        return Uri.TryCreate(endpoint.Trim(), UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps)
            ? new OtlpExporter(uri)
            : throw new ArgumentException($"{source} = '{endpoint}': must be an absolute http or https address, e.g. http://127.0.0.1:4318.");
    }

    /// <summary>Starts exporting for a run; the export ends with it.</summary>
    public IRunObservation Observe(RunPlan plan, RunControl control) => new OtlpExport(Endpoint);
}
