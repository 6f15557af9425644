namespace LoadKit;

/// <summary>
/// Where a run executes: this process (<see cref="InProcessTarget"/>) or a fleet of workers (LoadKit.Cluster's
/// <c>ClusterTarget</c>). A target runs the plan it is given, reports the start and the merged statistics to the
/// observers, stops when they ask, and returns one <see cref="LoadResult"/> whose meaning does not depend on where it ran.
/// </summary>
public interface IRunTarget
{
    /// <summary>Runs <paramref name="plan"/> until its load ends, <paramref name="observers"/> stop it, or <paramref name="cancellationToken"/> is cancelled.</summary>
    /// <returns>What was measured; cancelled runs return what they measured, with <see cref="LoadResult.Cancelled"/> set.</returns>
    Task<LoadResult> RunAsync(RunPlan plan, RunObservers observers, CancellationToken cancellationToken);
}
