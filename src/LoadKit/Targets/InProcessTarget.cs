using System.Diagnostics;
using LoadKit.Workload;
using LoadKit.Targets;

namespace LoadKit;

/// <summary>Runs a plan in this process, its whole load starting now. Workers run their share through the same code.</summary>
public sealed class InProcessTarget : IRunTarget
{
    private InProcessTarget()
    {
    }

    /// <summary>The one instance: the target holds no state of its own.</summary>
    public static InProcessTarget Instance { get; } = new();

    /// <inheritdoc />
    public async Task<LoadResult> RunAsync(RunPlan plan, RunObservers observers, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(observers);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, observers.StopRequested);
        var run = new LocalRun(plan, SegmentSequence.Whole, 0, observers, incremental: false);
        observers.Started(Stopwatch.GetTimestamp());

        // No shared instant: each engine starts its clock once its pre-allocated VUs are initialised.
        var result = await run.Start(0, stop.Token).ConfigureAwait(false);

        // Stopped by an observer is not cancelled: the run ended early as if its time were up.
        return result with { Cancelled = cancellationToken.IsCancellationRequested };
    }
}
