using NUnit.Framework;

namespace LoadKit.Testing;

/// <summary>
/// Runs load scenarios from an NUnit test: it honours the test's cancellation token (NUnit's
/// <c>[CancelAfter]</c>), applies the run options of this test run (<see cref="Options"/>), and writes the summary
/// table to the test's output. When asked, it also saves each result as the next baseline (<see cref="BaselineSaveVariable"/>).
/// </summary>
public static partial class LoadTest
{
    /// <summary>The NUnit run parameter (<c>.runsettings</c> <c>TestRunParameters</c>) that selects the profile.</summary>
    public const string ProfileParameter = "LoadKit.Profile";

    /// <summary>The NUnit run parameter that scales the load.</summary>
    public const string LoadScaleParameter = "LoadKit.LoadScale";

    private static readonly Lazy<RunOptions> BoundOptions = new(Bind);

    /// <summary>
    /// The options of every run in this test process, bound once: the NUnit run parameters
    /// <see cref="ProfileParameter"/> and <see cref="LoadScaleParameter"/>, overridden by the environment variables
    /// <see cref="RunOptions.ProfileVariable"/> and <see cref="RunOptions.LoadScaleVariable"/>, so a CI job can
    /// select the full load without touching the checked-in <c>.runsettings</c>.
    /// </summary>
    public static RunOptions Options => BoundOptions.Value;

    /// <summary>
    /// Builds the scenario with <paramref name="scenarioFactory"/> and runs it: here, or on the workers when the run
    /// settings name etcd (<see cref="ClusterOptions.EtcdVariable"/> or the <c>LoadKit.Etcd</c> run parameter).
    /// </summary>
    /// <param name="scenarioFactory">A static method that returns the scenario, e.g. a <c>static Scenario Checkout()</c> of the test class.</param>
    public static Task<LoadResult> RunAsync(Func<Scenario> scenarioFactory)
    {
        ArgumentNullException.ThrowIfNull(scenarioFactory);
        return RunAsync([scenarioFactory]);
    }

    /// <summary>Builds the scenarios with their factories and runs them at the same time, each with its own load.</summary>
    public static async Task<LoadResult> RunAsync(params Func<Scenario>[] scenarioFactories)
    {
        var result = await LoadRunner.RunAsync(scenarioFactories, Options, TestContext.CurrentContext.CancellationToken).ConfigureAwait(false);
        await TestContext.Out.WriteLineAsync(SummaryTable.Render(result)).ConfigureAwait(false);
        SaveBaselineIfAsked(result);
        return result;
    }

    /// <summary>Runs the scenarios at the same time, each with its own load, and writes the summary to the test output.</summary>
    public static async Task<LoadResult> RunAsync(params Scenario[] scenarios)
    {
        var result = await LoadRunner.RunAsync(scenarios, Options, TestContext.CurrentContext.CancellationToken).ConfigureAwait(false);
        await TestContext.Out.WriteLineAsync(SummaryTable.Render(result)).ConfigureAwait(false);
        SaveBaselineIfAsked(result);
        return result;
    }

    /// <summary>The NUnit run parameter that stands for a LoadKit environment variable: LOADKIT_WORKER_WAIT → LoadKit.WorkerWait.</summary>
    public static string ParameterFor(string variable)
    {
        ArgumentNullException.ThrowIfNull(variable);
        return "LoadKit." + string.Concat(variable.Replace("LOADKIT_", "", StringComparison.Ordinal)
            .Split('_', StringSplitOptions.RemoveEmptyEntries)
            .Select(w => w[..1] + w[1..].ToLowerInvariant()));
    }

    private static RunOptions Bind()
    {
        var parameters = TestContext.Parameters;
        var fromRunSettings = RunOptions.Parse(
            parameters.Get(ProfileParameter), $"NUnit run parameter {ProfileParameter}",
            parameters.Get(LoadScaleParameter), $"NUnit run parameter {LoadScaleParameter}",
            RunOptions.Default);
        var options = RunOptions.FromEnvironment(fromRunSettings);

        // The cluster: each setting from the environment, else from the run parameter of the same name.
        var cluster = ClusterOptions.Parse(
            name => Environment.GetEnvironmentVariable(name) is { Length: > 0 } value ? value : parameters.Get(ParameterFor(name)),
            name => Environment.GetEnvironmentVariable(name) is { Length: > 0 } ? $"environment variable {name}" : $"NUnit run parameter {ParameterFor(name)}");
        return cluster is null ? options : options with { Cluster = cluster };
    }
}
