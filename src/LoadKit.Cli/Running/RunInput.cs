namespace LoadKit.Cli.Running;

/// <summary>What <c>loadkit run</c> runs, once read and checked: the scenarios' names, and how to run them with the options.</summary>
/// <param name="ScenarioNames">The scenarios that run, in order.</param>
/// <param name="Run">Runs them with the run options (whose target is already chosen).</param>
internal sealed record RunInput(IReadOnlyList<string> ScenarioNames, Func<RunOptions, CancellationToken, Task<LoadResult>> Run)
{
    public Task<LoadResult> RunAsync(RunOptions options, CancellationToken cancellationToken) => Run(options, cancellationToken);
}
