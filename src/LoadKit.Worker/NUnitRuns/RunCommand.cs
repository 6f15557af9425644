using LoadKit.Cluster;

namespace LoadKit.Worker.NUnitRuns;

/// <summary>
/// <c>loadkit-worker run TESTS.dll --test NAME ...</c>: runs tests of a plain NUnit assembly as load, here or across
/// registered workers, prints the summary and returns an exit code for CI. It lives in the worker tool because the
/// people who run workers already have it installed, and because a distributed run is this same tool on both ends.
/// </summary>
internal static class RunCommand
{
    public const int Passed = 0;
    public const int GateFailed = 1;
    public const int Invalid = 2;
    public const int CouldNotRun = 3;

    public static async Task<int> RunAsync(IReadOnlyList<string> args, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        if (args is ["--help"] or ["-h"])
        {
            await output.WriteLineAsync(RunCommandOptions.Usage);
            return Passed;
        }

        var (options, problems) = RunCommandOptions.Parse(args, Environment.GetEnvironmentVariable);
        if (options is null)
        {
            await error.WriteLineAsync("loadkit-worker run: cannot run:");
            foreach (var problem in problems)
            {
                await error.WriteLineAsync("  - " + problem);
            }

            await error.WriteLineAsync();
            await error.WriteLineAsync(RunCommandOptions.Usage);
            return Invalid;
        }

        NUnitTests tests;
        try
        {
            tests = NUnitTests.Load(options.AssemblyPath);
        }
        catch (Exception exception) when (exception is ArgumentException or FileLoadException or IOException)
        {
            await error.WriteLineAsync($"loadkit-worker run: cannot run: {exception.Message}");
            return Invalid;
        }

        if (options.List)
        {
            await output.WriteLineAsync($"Tests of {Path.GetFileName(tests.AssemblyPath)} that can run as load ({tests.Names.Count}):");
            foreach (var name in tests.Names)
            {
                await output.WriteLineAsync("  " + name);
            }

            return Passed;
        }

        var where = options.Run.Target is ClusterTarget { Options: var cluster } ? $"on {cluster.Workers} worker(s) from etcd {string.Join(",", cluster.Etcd)}" : "here";
        await output.WriteLineAsync($"Running {string.Join(", ", options.Load.Tests)} of {Path.GetFileName(tests.AssemblyPath)} " +
            $"with {options.Load.Users} VU(s) {(options.Load.Iterations is { } n ? $"for {n} iteration(s) each (at most {options.Load.Duration.TotalSeconds:0.###} s)" : $"for {options.Load.Duration.TotalSeconds:0.###} s")} {where} ...");
        LoadResult result;
        try
        {
            result = await tests.RunAsync(options.Load, options.Run, cancellationToken);
        }
        catch (Exception exception) when (exception is ArgumentException or ScenarioValidationException)
        {
            await error.WriteLineAsync($"loadkit-worker run: cannot run: {exception.Message}");
            return Invalid;
        }
        catch (DistributedRunException exception)
        {
            await error.WriteLineAsync($"loadkit-worker run: the run failed: {exception.Message}");
            return CouldNotRun;
        }

        await output.WriteLineAsync(SummaryTable.Render(result));
        if (options.ResultPath is { } path)
        {
            result.WriteFile(path);
            await output.WriteLineAsync($"Result written to {path}");
        }

        var failed = result.Thresholds.Where(t => !t.Passed).ToArray();
        if (failed.Length > 0)
        {
            await output.WriteLineAsync($"FAILED: {failed.Length} of {result.Thresholds.Count} gate(s): {string.Join("; ", failed.Select(t => t.ToString()))}");
            return GateFailed;
        }

        await output.WriteLineAsync(result.Thresholds.Count > 0 ? $"PASSED: {result.Thresholds.Count} gate(s)" : "Done (no gate given: --p95, --max-failure-rate).");
        return Passed;
    }
}
