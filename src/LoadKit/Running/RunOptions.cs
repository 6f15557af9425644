using System.Globalization;

namespace LoadKit;

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
    /// Where the run executes; null (the default): in this process (<see cref="InProcessTarget"/>). LoadKit.Cluster's
    /// <c>ClusterTarget</c> runs it on workers, which build the scenarios with the same factories
    /// (<see cref="LoadRunner.RunAsync(IReadOnlyList{Func{Scenario}}, RunOptions?, CancellationToken)"/>).
    /// </summary>
    public IRunTarget? Target { get; init; }

    /// <summary>
    /// Observers of every run besides the built-in thresholds and progress, e.g. LoadKit.OpenTelemetry's OTLP
    /// exporter. Default: none. A failing observer is reported in the result's notes and never fails the run.
    /// </summary>
    public IReadOnlyList<IRunObserver> Observers { get; init; } = [];

    /// <summary>
    /// Thresholds on the whole run, over every scenario: a step is the step of that name in whichever scenarios have
    /// it, merged; all steps are every scenario's. Scenarios declare their own with <see cref="ScenarioBuilder.WithThresholds"/>.
    /// </summary>
    public IReadOnlyList<Threshold> Thresholds { get; init; } = [];

    /// <summary>
    /// Whether the run shows its progress each second (elapsed and planned time, VUs, requests per second, p95,
    /// failures). Default: <see cref="ProgressMode.Auto"/>.
    /// </summary>
    public ProgressMode Progress { get; init; } = ProgressMode.Auto;

    /// <summary>Where the progress goes; null (the default): standard output.</summary>
    public TextWriter? ProgressWriter { get; init; }

    /// <summary>
    /// Reads <see cref="ProfileVariable"/>, <see cref="LoadScaleVariable"/> and <see cref="ProgressVariable"/> over
    /// <paramref name="fallback"/> (default <see cref="Default"/>). Distributed runs and metrics exporters read their
    /// own settings (LoadKit.Cluster, LoadKit.OpenTelemetry; LoadKit.Testing binds them all).
    /// </summary>
    /// <exception cref="ArgumentException">A variable holds a value that is not allowed; the message names it.</exception>
    public static RunOptions FromEnvironment(RunOptions? fallback = null)
    {
        var options = Parse(Environment.GetEnvironmentVariable(ProfileVariable), ProfileVariable,
              Environment.GetEnvironmentVariable(LoadScaleVariable), LoadScaleVariable, fallback ?? Default);
        return ParseProgress(Environment.GetEnvironmentVariable(ProgressVariable), $"environment variable {ProgressVariable}", options);
    }

    /// <summary>Applies a progress mode given as text (null or empty: keep <paramref name="fallback"/>'s), naming its source in errors.</summary>
    /// <exception cref="ArgumentException">The value is not allowed; the message names its source, the value and what is allowed.</exception>
    public static RunOptions ParseProgress(string? progress, string progressSource, RunOptions fallback)
    {
        ArgumentNullException.ThrowIfNull(fallback);
        return string.IsNullOrWhiteSpace(progress) ? fallback : fallback with
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

    /// <summary>Plans a run of <paramref name="scenarios"/>, given as objects (they can run in this process only), under these options.</summary>
    /// <exception cref="ArgumentException">Every problem found: no scenario, duplicate names, invalid run thresholds.</exception>
    public RunPlan Plan(IReadOnlyList<Scenario> scenarios) =>
        RunPlan.Create(scenarios, Profile, LoadScale, Thresholds, origin: null);

    /// <summary>
    /// Plans a run of the scenarios that <paramref name="factories"/> build, under these options. Factories that are
    /// static methods without parameters of one assembly let other processes build the same scenarios (a distributed run).
    /// </summary>
    /// <exception cref="ArgumentException">No factory, a null one, or every problem of the plan.</exception>
    public RunPlan Plan(IReadOnlyList<Func<Scenario>> factories)
    {
        ArgumentNullException.ThrowIfNull(factories);
        if (factories.Count == 0 || factories.Any(f => f is null))
        {
            throw new ArgumentException("Give at least one scenario factory, and no null ones.", nameof(factories));
        }

        return RunPlan.Create([.. factories.Select(f => f())], Profile, LoadScale, Thresholds, Plans.ScenarioOrigin.TryOf(factories));
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
