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
    /// Reads <see cref="ProfileVariable"/>, <see cref="LoadScaleVariable"/> and the cluster settings
    /// (<see cref="ClusterOptions.EtcdVariable"/> and the others) over <paramref name="fallback"/> (default <see cref="Default"/>).
    /// </summary>
    /// <exception cref="ArgumentException">A variable holds a value that is not allowed; the message names it.</exception>
    public static RunOptions FromEnvironment(RunOptions? fallback = null)
    {
        var options = Parse(Environment.GetEnvironmentVariable(ProfileVariable), ProfileVariable,
              Environment.GetEnvironmentVariable(LoadScaleVariable), LoadScaleVariable, fallback ?? Default);
        var cluster = ClusterOptions.Parse(Environment.GetEnvironmentVariable, name => $"environment variable {name}");
        return cluster is null ? options : options with { Cluster = cluster };
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
