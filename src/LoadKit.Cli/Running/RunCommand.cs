using LoadKit.Cli.CommandLine;

namespace LoadKit.Cli.Running;

/// <summary>
/// <c>loadkit run PLAN|TESTS.dll</c>: compiles the plan (or loads the test assembly's scenario factories), runs it in
/// this process or on the workers with the live progress, prints the summary table, writes the reports and gives the
/// verdict as the exit code (<see cref="ExitCode"/>), as a test run would.
/// </summary>
internal static class RunCommand
{
    public static async Task<int> RunAsync(IReadOnlyList<string> args, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        var arguments = CommandArguments.Parse("loadkit run", args, RunSettings.Options);
        if (arguments.Help)
        {
            await output.WriteLineAsync(RunSettings.Usage);
            return ExitCode.Passed;
        }

        var (settings, problems) = RunSettings.Parse(arguments, Environment.GetEnvironmentVariable);
        if (settings is null)
        {
            return await Usage.FailAsync(error, "loadkit run", problems);
        }

        var input = settings.IsTestAssembly
            ? await AssemblyInput.LoadAsync(settings, error)
            : await PlanRunInput.LoadAsync(settings, error);
        if (input is null)
        {
            return ExitCode.BadInput;
        }

        var run = settings.Run;
        var where = settings.Cluster is { } cluster
            ? $"on {cluster.Workers} worker{(cluster.Workers == 1 ? "" : "s")} from etcd {string.Join(",", cluster.Etcd)} (prefix {cluster.Prefix})"
            : "in this process";
        await output.WriteLineAsync($"Running {Path.GetFileName(settings.PlanPath)}: {string.Join(", ", input.ScenarioNames)} " +
            $"({run.Profile.ToString().ToLowerInvariant()} load{(run.LoadScale == 1 ? "" : $", scaled by {run.LoadScale:0.###}")}) {where} ...");
        LoadResult result;
        try
        {
            result = await input.RunAsync(run, cancellationToken);
        }
        catch (Exception exception) when (exception is ArgumentException or ScenarioValidationException)
        {
            return await Usage.FailAsync(error, "loadkit run", [exception.Message]);
        }
        catch (DistributedRunException exception)
        {
            await error.WriteLineAsync($"loadkit run: the run on the workers failed: {exception.Message}");
            return ExitCode.RunError;
        }
        catch (Exception exception)
        {
            await error.WriteLineAsync($"loadkit run: the run failed: {exception.GetType().Name}: {exception.Message}");
            return ExitCode.RunError;
        }

        await output.WriteLineAsync(SummaryTable.Render(result));
        try
        {
            var files = await Report.WriteAsync(result, settings.ReportDirectory, CancellationToken.None);
            await output.WriteLineAsync($"Reports: {files.Html}, {Path.GetFileName(files.Markdown)}, {Path.GetFileName(files.Json)}, " +
                $"{Path.GetFileName(files.StepsCsv)}, {Path.GetFileName(files.TimelineCsv)}");
            if (Environment.GetEnvironmentVariable("GITHUB_STEP_SUMMARY") is { Length: > 0 } jobSummary)
            {
                await File.AppendAllTextAsync(jobSummary, Report.Markdown(result), CancellationToken.None);
            }
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            await error.WriteLineAsync($"loadkit run: the reports could not be written to '{settings.ReportDirectory}': {exception.Message}");
            return ExitCode.RunError;
        }

        return await VerdictAsync(result, output, error);
    }

    /// <summary>As a test judges a run: nothing succeeded is an error, not a verdict; then the thresholds.</summary>
    private static async Task<int> VerdictAsync(LoadResult result, TextWriter output, TextWriter error)
    {
        var crossed = result.Thresholds.Where(t => !t.Passed).ToArray();
        if (result.Scenarios.SelectMany(s => s.Steps).Sum(s => s.Ok) == 0 && !result.Cancelled)
        {
            await error.WriteLineAsync("loadkit run: no step call succeeded, so the run says nothing about the target: is it up, and is the plan's address right?");
            return ExitCode.RunError;
        }

        if (crossed.Length > 0)
        {
            await output.WriteLineAsync($"FAILED: {crossed.Length} of {result.Thresholds.Count} threshold(s) crossed:" +
                string.Concat(crossed.Select(t => Environment.NewLine + "  " + t)));
            return ExitCode.ThresholdFailed;
        }

        if (result.Cancelled)
        {
            await error.WriteLineAsync("loadkit run: the run was stopped before its end; what ran is in the reports.");
            return ExitCode.RunError;
        }

        await output.WriteLineAsync(result.Thresholds.Count > 0 ? $"PASSED: {result.Thresholds.Count} threshold(s)" : "Done (the plan has no thresholds).");
        return ExitCode.Passed;
    }
}
