using LoadKit.Observers;
using LoadKit.Progress;

namespace LoadKit;

/// <summary>
/// Runs scenarios and returns their <see cref="LoadResult"/>: plans the run once (<see cref="RunPlan"/>), hands it to
/// the run target that <see cref="RunOptions.Target"/> chooses (this process by default, or the workers of a
/// cluster), and lets the observers (thresholds, progress, <see cref="RunOptions.Observers"/>) watch it.
/// </summary>
public static class LoadRunner
{
    /// <summary>
    /// Runs <paramref name="scenario"/>'s full load until its phases end. Cancelling
    /// <paramref name="cancellationToken"/> stops the run promptly and still returns what was measured,
    /// with <see cref="LoadResult.Cancelled"/> set.
    /// </summary>
    public static Task<LoadResult> RunAsync(Scenario scenario, CancellationToken cancellationToken = default) =>
        RunAsync([scenario], RunOptions.Default, cancellationToken);

    /// <summary>Runs <paramref name="scenario"/> with the load that <paramref name="options"/> select.</summary>
    public static Task<LoadResult> RunAsync(Scenario scenario, RunOptions options, CancellationToken cancellationToken = default) =>
        RunAsync([scenario], options, cancellationToken);

    /// <summary>
    /// Runs several scenarios at the same time, each with its own load (as k6 runs its scenarios), and returns one
    /// result with a <see cref="ScenarioResult"/> per scenario. Scenarios given as objects run in this process only:
    /// a distributed target needs their factories.
    /// </summary>
    /// <exception cref="ArgumentException">No scenario, two with the same name, or invalid run thresholds.</exception>
    public static Task<LoadResult> RunAsync(IReadOnlyList<Scenario> scenarios, RunOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= RunOptions.Default;
        return RunAsync(options.Plan(scenarios), options, cancellationToken);
    }

    /// <summary>
    /// Builds the scenarios with <paramref name="factories"/> and runs them where <paramref name="options"/> say: in
    /// this process, or on the workers of a cluster, which call the same factories in the same test assembly (each
    /// factory must then be a static method without parameters).
    /// </summary>
    /// <exception cref="ArgumentException">No factory, a null one, or the plan is not valid.</exception>
    public static Task<LoadResult> RunAsync(IReadOnlyList<Func<Scenario>> factories, RunOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= RunOptions.Default;
        return RunAsync(options.Plan(factories), options, cancellationToken);
    }

    /// <summary>Runs a plan on <paramref name="options"/>' target, watched by the built-in observers and <paramref name="options"/>' own.</summary>
    public static async Task<LoadResult> RunAsync(RunPlan plan, RunOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(options);
        // Every run has its thresholds watched, its findings noted and, as the options say, its progress shown.
        var observers = RunObservers.Observe(plan, [ThresholdWatch.Observer, FindingsNotes.Observer, new ProgressView.Observer(options.Progress, options.ProgressWriter), .. options.Observers]);
        LoadResult result;
        try
        {
            result = await (options.Target ?? InProcessTarget.Instance).RunAsync(plan, observers, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await observers.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        return await observers.CompleteAsync(result).ConfigureAwait(false);
    }
}
