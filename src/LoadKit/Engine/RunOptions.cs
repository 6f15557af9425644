using System.Globalization;

namespace LoadKit;

/// <summary>Which load a run uses: a scenario's full load, or its smoke load for quick local runs.</summary>
public enum LoadProfile
{
    /// <summary>The load set with <see cref="ScenarioBuilder.WithLoad"/>.</summary>
    Full,

    /// <summary>The load set with <see cref="ScenarioBuilder.WithSmokeLoad"/>, or the full load when a scenario has none.</summary>
    Smoke,
}

/// <summary>
/// How a run treats its scenarios' load, without changing their code: which profile, and a scale for VUs, rates and
/// iteration counts. Bind it once from the environment (<see cref="FromEnvironment"/>); LoadKit.Testing also reads
/// NUnit <c>.runsettings</c> parameters.
/// </summary>
public sealed record RunOptions
{
    /// <summary>The environment variable that selects the profile: <c>smoke</c> or <c>full</c>.</summary>
    public const string ProfileVariable = "LOADKIT_PROFILE";

    /// <summary>The environment variable that scales the load: a number above 0, e.g. <c>0.1</c> or <c>4</c>.</summary>
    public const string LoadScaleVariable = "LOADKIT_LOAD_SCALE";

    /// <summary>
    /// The environment variable that names an OTLP/HTTP endpoint to export the live metrics to, e.g.
    /// <c>http://127.0.0.1:4318</c> (<c>/v1/metrics</c> is appended). Takes precedence over <see cref="StandardOtlpEndpointVariable"/>.
    /// </summary>
    public const string OtlpEndpointVariable = "LOADKIT_OTLP_ENDPOINT";

    /// <summary>OpenTelemetry's own endpoint variable, honoured when <see cref="OtlpEndpointVariable"/> is not set.</summary>
    public const string StandardOtlpEndpointVariable = "OTEL_EXPORTER_OTLP_ENDPOINT";

    /// <summary>The environment variable that selects the live progress: <c>auto</c>, <c>off</c>, <c>lines</c> or <c>live</c>.</summary>
    public const string ProgressVariable = "LOADKIT_PROGRESS";

    /// <summary>The defaults: the full load, unscaled.</summary>
    public static RunOptions Default { get; } = new();

    /// <summary>Which load the scenarios run. Default: <see cref="LoadProfile.Full"/>.</summary>
    public LoadProfile Profile { get; init; } = LoadProfile.Full;

    /// <summary>
    /// Multiplies VUs, arrival rates and iteration counts (rounded up, at least 1); durations stay.
    /// Default: 1. With several load processes the scale applies to the whole load before it is split.
    /// </summary>
    public double LoadScale { get; init; } = 1;

    /// <summary>
    /// The workers to run on; null (the default) runs in this process. Scenarios then come from factories
    /// (<see cref="LoadRunner.RunAsync(IReadOnlyList{Func{Scenario}}, RunOptions?, CancellationToken)"/>), which the
    /// workers call too.
    /// </summary>
    public ClusterOptions? Cluster { get; init; }

    /// <summary>
    /// Thresholds on the whole run, over every scenario: a step is the step of that name in whichever scenarios have
    /// it, merged; all steps are every scenario's. Scenarios declare their own with <see cref="ScenarioBuilder.WithThresholds"/>.
    /// </summary>
    public IReadOnlyList<Threshold> Thresholds { get; init; } = [];

    /// <summary>
    /// Where this process exports the live metrics (<see cref="LoadKitMetrics"/>) over OTLP, http/protobuf, once a
    /// second while a run lasts; null (the default): no export. An export that fails is reported once and never fails
    /// the run.
    /// </summary>
    public Uri? OtlpEndpoint { get; init; }

    /// <summary>
    /// Whether the run shows its progress each second (elapsed and planned time, VUs, requests per second, p95,
    /// failures). Default: <see cref="ProgressMode.Auto"/>.
    /// </summary>
    public ProgressMode Progress { get; init; } = ProgressMode.Auto;

    /// <summary>Where the progress goes; null (the default): standard output.</summary>
    public TextWriter? ProgressWriter { get; init; }

    /// <summary>
    /// Reads <see cref="ProfileVariable"/>, <see cref="LoadScaleVariable"/> and the cluster settings
    /// (<see cref="ClusterOptions.EtcdVariable"/> and the others), <see cref="ProgressVariable"/> and the OTLP endpoint
    /// (<see cref="OtlpEndpointVariable"/>, else <see cref="StandardOtlpEndpointVariable"/>) over <paramref name="fallback"/> (default <see cref="Default"/>).
    /// </summary>
    /// <exception cref="ArgumentException">A variable holds a value that is not allowed; the message names it.</exception>
    public static RunOptions FromEnvironment(RunOptions? fallback = null)
    {
        var options = Parse(Environment.GetEnvironmentVariable(ProfileVariable), ProfileVariable,
              Environment.GetEnvironmentVariable(LoadScaleVariable), LoadScaleVariable, fallback ?? Default);
        var cluster = ClusterOptions.Parse(Environment.GetEnvironmentVariable, name => $"environment variable {name}");
        options = ObservationFromEnvironment(options);
        return cluster is null ? options : options with { Cluster = cluster };
    }

    /// <summary>Reads <see cref="ProgressVariable"/> and the OTLP endpoint variables over <paramref name="fallback"/>.</summary>
    internal static RunOptions ObservationFromEnvironment(RunOptions fallback)
    {
        var own = Environment.GetEnvironmentVariable(OtlpEndpointVariable);
        var endpointVariable = string.IsNullOrWhiteSpace(own) ? StandardOtlpEndpointVariable : OtlpEndpointVariable;
        return ParseObservation(
            Environment.GetEnvironmentVariable(ProgressVariable), $"environment variable {ProgressVariable}",
            Environment.GetEnvironmentVariable(endpointVariable), $"environment variable {endpointVariable}",
            fallback);
    }

    /// <summary>Applies a progress mode and an OTLP endpoint given as text (null or empty: keep <paramref name="fallback"/>'s), naming their source in errors.</summary>
    /// <exception cref="ArgumentException">A value is not allowed; the message names its source, the value and what is allowed.</exception>
    public static RunOptions ParseObservation(string? progress, string progressSource, string? otlpEndpoint, string otlpEndpointSource, RunOptions fallback)
    {
        ArgumentNullException.ThrowIfNull(fallback);
        var options = fallback;
        if (!string.IsNullOrWhiteSpace(progress))
        {
            options = options with
            {
                Progress = progress.Trim().ToLowerInvariant() switch
                {
                    "auto" => ProgressMode.Auto,
                    "off" => ProgressMode.Off,
                    "lines" => ProgressMode.Lines,
                    "live" => ProgressMode.Live,
                    _ => throw new ArgumentException($"{progressSource} = '{progress}': allowed values are 'auto', 'off', 'lines' and 'live'."),
                },
            };
        }

        if (!string.IsNullOrWhiteSpace(otlpEndpoint))
        {
            if (!Uri.TryCreate(otlpEndpoint.Trim(), UriKind.Absolute, out var endpoint) || (endpoint.Scheme != Uri.UriSchemeHttp && endpoint.Scheme != Uri.UriSchemeHttps))
            {
                throw new ArgumentException($"{otlpEndpointSource} = '{otlpEndpoint}': must be an absolute http or https address, e.g. http://127.0.0.1:4318.");
            }

            options = options with { OtlpEndpoint = endpoint };
        }

        return options;
    }

    /// <summary>Applies a profile and a scale given as text (null or empty: keep <paramref name="fallback"/>'s), naming their source in errors.</summary>
    public static RunOptions Parse(string? profile, string profileSource, string? loadScale, string loadScaleSource, RunOptions fallback)
    {
        ArgumentNullException.ThrowIfNull(fallback);
        var options = fallback;
        if (!string.IsNullOrWhiteSpace(profile))
        {
            options = options with
            {
                Profile = profile.Trim().ToLowerInvariant() switch
                {
                    "full" => LoadProfile.Full,
                    "smoke" => LoadProfile.Smoke,
                    _ => throw new ArgumentException($"{profileSource} = '{profile}': allowed values are 'smoke' and 'full'."),
                },
            };
        }

        if (!string.IsNullOrWhiteSpace(loadScale))
        {
            if (!double.TryParse(loadScale, NumberStyles.Float, CultureInfo.InvariantCulture, out var scale) || !(scale > 0) || double.IsInfinity(scale))
            {
                throw new ArgumentException($"{loadScaleSource} = '{loadScale}': must be a number greater than 0, e.g. 0.1 or 2.");
            }

            options = options with { LoadScale = scale };
        }

        return options;
    }
}
