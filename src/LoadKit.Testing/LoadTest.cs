using FluentAssertions.Execution;
using NUnit.Framework;

namespace LoadKit.Testing;

/// <summary>
/// Runs load scenarios from an NUnit test: it honours the test's cancellation token (NUnit's
/// <c>[CancelAfter]</c>), applies the run options of this test run (<see cref="Options"/>), writes the summary
/// table to the test's output, and gives the verdict: a crossed threshold fails the test (its message names the
/// threshold, the figure, the limit and the step table), and a run in which no step call succeeded is an error
/// (<see cref="NoLoadException"/>), not a crossed threshold. When asked, a run that passes this verdict is saved as the
/// next baseline (<see cref="BaselineSaveVariable"/>).
/// </summary>
public static partial class LoadTest
{
    /// <summary>The NUnit run parameter (<c>.runsettings</c> <c>TestRunParameters</c>) that selects the profile.</summary>
    public const string ProfileParameter = "LoadKit.Profile";

    /// <summary>The NUnit run parameter that scales the load.</summary>
    public const string LoadScaleParameter = "LoadKit.LoadScale";

    /// <summary>The environment variable (or, as <c>LoadKit.ReportDir</c>, the NUnit run parameter) naming the folder reports go to.</summary>
    public const string ReportDirectoryVariable = "LOADKIT_REPORT_DIR";

    /// <summary>
    /// The environment variable (or, as <c>LoadKit.LiveView</c>, the NUnit run parameter) that opens the control page's
    /// live view of this test run's load tests at an address, <c>IP:PORT</c> (e.g. <c>127.0.0.1:5665</c>; port 0 takes a
    /// free one). The test project must reference LoadKit.ControlPage, which serves it.
    /// </summary>
    public const string LiveViewVariable = "LOADKIT_LIVE_VIEW";

    private static readonly Lazy<RunOptions> BoundOptions = new(() => Bind(TestContext.Progress));

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
    /// <exception cref="NoLoadException">No step call succeeded.</exception>
    public static async Task<LoadResult> RunAsync(params Func<Scenario>[] scenarioFactories) =>
        await JudgeAsync(await LoadRunner.RunAsync(scenarioFactories, Options, TestContext.CurrentContext.CancellationToken).ConfigureAwait(false)).ConfigureAwait(false);

    /// <summary>Runs the scenarios at the same time, each with its own load, and writes the summary to the test output.</summary>
    /// <exception cref="NoLoadException">No step call succeeded.</exception>
    public static async Task<LoadResult> RunAsync(params Scenario[] scenarios) =>
        await JudgeAsync(await LoadRunner.RunAsync(scenarios, Options, TestContext.CurrentContext.CancellationToken).ConfigureAwait(false)).ConfigureAwait(false);

    /// <summary>The NUnit run parameter that stands for a LoadKit environment variable: LOADKIT_WORKER_WAIT → LoadKit.WorkerWait.</summary>
    public static string ParameterFor(string variable)
    {
        ArgumentNullException.ThrowIfNull(variable);
        return "LoadKit." + string.Concat(variable.Replace("LOADKIT_", "", StringComparison.Ordinal)
            .Split('_', StringSplitOptions.RemoveEmptyEntries)
            .Select(w => w[..1] + w[1..].ToLowerInvariant()));
    }

    /// <summary>
    /// Where each run's reports go: a folder per run below <see cref="ReportDirectoryVariable"/> (or the run
    /// parameter <c>LoadKit.ReportDir</c>), by default below the test's work directory, in <c>loadkit-reports</c>.
    /// </summary>
    public static string ReportDirectory =>
        Environment.GetEnvironmentVariable(ReportDirectoryVariable) is { Length: > 0 } fromEnvironment ? fromEnvironment
        : TestContext.Parameters.Get(ParameterFor(ReportDirectoryVariable)) is { Length: > 0 } fromRunSettings ? fromRunSettings
        : Path.Combine(TestContext.CurrentContext.WorkDirectory, "loadkit-reports");

    /// <summary>
    /// Writes the summary and the reports (attached to the test; the Markdown also to a GitHub Actions job summary),
    /// then fails the test on no load or a crossed threshold; a run that passes is saved as the next baseline when asked.
    /// </summary>
    private static async Task<LoadResult> JudgeAsync(LoadResult result)
    {
        await TestContext.Out.WriteLineAsync(SummaryTable.Render(result)).ConfigureAwait(false);
        var test = string.Concat(TestContext.CurrentContext.Test.Name.Select(c => char.IsLetterOrDigit(c) || c is '-' or '_' ? c : '_'));
        var folder = Path.Combine(ReportDirectory, $"{test}-{result.StartedAt.UtcDateTime:yyyyMMdd-HHmmss-fff}");
        var files = await Report.WriteAsync(result, folder).ConfigureAwait(false);
        TestContext.AddTestAttachment(files.Html, "LoadKit report (HTML)");
        TestContext.AddTestAttachment(files.Markdown, "LoadKit summary (Markdown)");
        await TestContext.Out.WriteLineAsync($"Report: {files.Html}").ConfigureAwait(false);
        if (Environment.GetEnvironmentVariable("GITHUB_STEP_SUMMARY") is { Length: > 0 } jobSummary)
        {
            await File.AppendAllTextAsync(jobSummary, Report.Markdown(result)).ConfigureAwait(false);
        }

        if (!result.Cancelled && result.Scenarios.SelectMany(s => s.Steps).Sum(s => s.Ok) == 0)
        {
            throw new NoLoadException(result);
        }

        var crossed = result.Thresholds.Where(t => !t.Passed).ToArray();
        Execute.Assertion
            .ForCondition(crossed.Length == 0)
            .FailWith(AssertionFailureMessage.Build(
                $"Expected every threshold to pass, but {crossed.Length} of {result.Thresholds.Count} crossed its limit",
                ":" + string.Concat(crossed.Select(t => Environment.NewLine + "  " + t)),
                SummaryTable.Render(result)));
        SaveBaselineIfAsked(result);
        return result;
    }

    /// <summary>Binds the options from the run settings and the environment; a live view it opens says where on <paramref name="announce"/>.</summary>
    internal static RunOptions Bind(TextWriter announce)
    {
        var parameters = TestContext.Parameters;
        var fromRunSettings = RunOptions.Parse(
            parameters.Get(ProfileParameter), $"NUnit run parameter {ProfileParameter}",
            parameters.Get(LoadScaleParameter), $"NUnit run parameter {LoadScaleParameter}",
            RunOptions.Default);
        var options = RunOptions.FromEnvironment(fromRunSettings);

        // Progress and the OTLP endpoint: the environment, else the run parameters LoadKit.Progress and
        // LoadKit.OtlpEndpoint. Progress goes to NUnit's live output, so it shows while the test runs.
        string? FromRunSettings(string variable, params string[] overriddenBy) =>
            overriddenBy.Any(v => Environment.GetEnvironmentVariable(v) is { Length: > 0 }) ? null : parameters.Get(ParameterFor(variable));
        options = RunOptions.ParseProgress(
            FromRunSettings(RunOptions.ProgressVariable, RunOptions.ProgressVariable), $"NUnit run parameter {ParameterFor(RunOptions.ProgressVariable)}",
            options) with { ProgressWriter = TestContext.Progress };
        var exporter = OtlpExporter.FromEnvironment() ?? OtlpExporter.Parse(
            FromRunSettings(OtlpExporter.EndpointVariable, OtlpExporter.EndpointVariable, OtlpExporter.StandardEndpointVariable),
            $"NUnit run parameter {ParameterFor(OtlpExporter.EndpointVariable)}");
        if (exporter is not null)
        {
            options = options with { Observers = [.. options.Observers, exporter] };
        }

        // The Prometheus endpoint: LOADKIT_PROMETHEUS, else the run parameter LoadKit.Prometheus. It stays open for the
        // test process once a run opened it (one per address), so runs of later tests add to the same counters.
        var prometheus = PrometheusEndpoint.FromEnvironment() ?? PrometheusEndpoint.Parse(
            FromRunSettings(PrometheusEndpoint.AddressVariable, PrometheusEndpoint.AddressVariable),
            $"NUnit run parameter {ParameterFor(PrometheusEndpoint.AddressVariable)}");
        if (prometheus is not null)
        {
            options = options with { Observers = [.. options.Observers, prometheus] };
        }

        // The cluster and the live view: each setting from the environment, else from the run parameter of the same name.
        string? Setting(string name) => Environment.GetEnvironmentVariable(name) is { Length: > 0 } value ? value : parameters.Get(ParameterFor(name));
        string SourceOf(string name) => Environment.GetEnvironmentVariable(name) is { Length: > 0 } ? $"environment variable {name}" : $"NUnit run parameter {ParameterFor(name)}";
        var cluster = ClusterOptions.Parse(Setting, SourceOf);

        // One live view for every run of this test process (the options are bound once), closed when the process ends.
        if (LiveViewSetting.Open(Setting, SourceOf, announce) is { } liveView)
        {
            options = options with { Observers = [.. options.Observers, liveView] };
        }

        return cluster is null ? options : options with { Target = new ClusterTarget(cluster) };
    }
}
