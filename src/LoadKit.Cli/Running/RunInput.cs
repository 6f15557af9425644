namespace LoadKit.Cli.Running;

/// <summary>What <c>loadkit run</c> runs, once read and checked: the scenarios' names, and how to run them with the options.</summary>
/// <param name="ScenarioNames">The scenarios that run, in order.</param>
/// <param name="RunAsync">Runs them with the run options, here or on the workers the input chose.</param>
internal sealed record RunInput(IReadOnlyList<string> ScenarioNames, Func<RunOptions, CancellationToken, Task<LoadResult>> RunAsync);
