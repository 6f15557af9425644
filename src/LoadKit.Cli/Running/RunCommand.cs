using LoadKit.Cli.CommandLine;
using LoadKit.Cli.Plans;

namespace LoadKit.Cli.Running;

/// <summary>
/// <c>loadkit run PLAN</c>: compiles the plan, runs it in this process with the live progress, prints the summary
/// table, writes the reports and gives the verdict as the exit code (<see cref="ExitCode"/>), as a test run would.
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

        var plan = await PlanInput.LoadAsync(settings.PlanPath, error, "loadkit run");
        if (plan is null)
        {
            return ExitCode.BadInput;
        }

        IReadOnlyList<Scenario> scenarios;
        try
        {
            scenarios = settings.Scenarios.Count == 0 ? plan.Scenarios : [.. settings.Scenarios.Distinct().Select(plan.GetScenario)];
        }
        catch (ArgumentException exception)
        {
            return await Usage.FailAsync(error, "loadkit run", [$"option --scenario: {exception.Message.Split(" (Parameter", 2)[0]}"]);
        }

        var run = settings.Run;
        await output.WriteLineAsync($"Running {Path.GetFileName(plan.Source)}: {string.Join(", ", scenarios.Select(s => s.Name))} " +
            $"({run.Profile.ToString().ToLowerInvariant()} load{(run.LoadScale == 1 ? "" : $", scaled by {run.LoadScale:0.###}")}) in this process ...");
        LoadResult result;
        try
        {
            result = await LoadRunner.RunAsync(scenarios, run, cancellationToken);
        }
        catch (Exception exception) when (exception is ArgumentException or ScenarioValidationException)
        {
            return await Usage.FailAsync(error, "loadkit run", [exception.Message]);
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
