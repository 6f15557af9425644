using LoadKit.Workload;

using static LoadKit.Engine.Executors.Clock;

namespace LoadKit.Engine.Executors;

/// <summary>
/// Iterations by count, per VU or shared by the VUs (k6's per-vu-iterations and shared-iterations), bounded by the
/// block's maximum duration.
/// </summary>
/// <param name="index">The block's index in the plan, for progress reports.</param>
/// <param name="block">The block to run.</param>
/// <param name="resumedIterations">
/// When the block is resumed part-way: how many of its iterations to run, as one budget shared by this share's VUs;
/// null: the share's whole part of the block.
/// </param>
internal sealed class IterationsExecutor(int index, IterationsBlock block, long? resumedIterations) : IExecutor
{
    /// <summary>
    /// Closed model by count: the VU slots this segment owns run their iterations at once. From an offset
    /// <paramref name="from"/> into the block (a take-over), they run the count given at construction, if any, as one
    /// shared budget, until the block's deadline counted from the plan's original start.
    /// </summary>
    public async Task RunAsync(ExecutorContext context, long blockStart, TimeSpan from, CancellationToken cancellationToken)
    {
        var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var start = StartOf(blockStart) - Ticks(from);
        var deadline = start + Ticks(block.Duration);
        var warmUpEnd = block.WarmUpUntil == TimeSpan.Zero ? 0 : long.MaxValue;
        var users = (int)context.Share.CountOwned(block.Users);
        var resumed = from > TimeSpan.Zero ? resumedIterations : null;
        var shared = new IterationBudget(resumed ?? block.IterationsFor(context.Share), deadline);
        var recorder = (warmUpEnd == 0 ? context.Measured : context.WarmUp!).Iterations;

        // The VUs of earlier blocks have all returned (or were abandoned): what they recorded is the baseline.
        context.Progress.Started(context.Collector, index, recorder);
        var runs = new List<(int Local, Task Task)>();
        for (var local = 0; local < users; local++)
        {
            var user = context.Users.At(local);
            var budget = block.Shared || resumed is not null ? shared : new IterationBudget(block.Iterations, deadline);
            user.Arrive();
            runs.Add((local, user.StartClosed(budget, warmUpEnd, stop.Token, firstHere: local == 0 && from == TimeSpan.Zero)));
        }

        await context.Users.FinishAsync(runs, deadline + Ticks(context.Scenario.GracefulStop), stop, cancellationToken).ConfigureAwait(false);

        // Its VUs have returned (abandoned ones aside): its count is final, whatever later blocks record.
        context.Progress.Ended(context.Collector, recorder);
    }
}
