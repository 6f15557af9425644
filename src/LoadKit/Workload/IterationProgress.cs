namespace LoadKit.Workload;

/// <summary>
/// How far an engine has got through the last iteration-counted block it started: the block's index in the plan and
/// how many of its iterations have completed (any outcome) in the statistics taken at the same instant. A lost
/// worker's last report of it tells the survivors how many of the block's iterations are left.
/// </summary>
/// <param name="Block">The block's index in the scenario's plan; -1: no iteration-counted block started yet.</param>
/// <param name="Completed">Its iterations counted in those statistics.</param>
internal readonly record struct IterationProgress(int Block, long Completed)
{
    /// <summary>No iteration-counted block started yet.</summary>
    public static IterationProgress None { get; } = new(-1, 0);

    /// <summary>
    /// How many of block <paramref name="block"/>'s <paramref name="owned"/> iterations were not completed: all of them
    /// when it had not started, none when a later one had.
    /// </summary>
    public long RemainingOf(int block, long owned) =>
        Block < block ? owned : Block > block ? 0 : Math.Max(0, owned - Completed);
}
