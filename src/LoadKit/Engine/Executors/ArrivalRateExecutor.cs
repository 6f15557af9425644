using LoadKit.Workload;

using static LoadKit.Engine.Executors.Clock;

namespace LoadKit.Engine.Executors;

/// <summary>
/// Iterations at a rate, constant or ramping (k6's constant-arrival-rate and ramping-arrival-rate): an open model,
/// whose iterations start on schedule whether or not earlier ones have finished.
/// </summary>
/// <param name="block">The block to run.</param>
internal sealed class ArrivalRateExecutor(ArrivalBlock block) : IExecutor
{
    /// <summary>
    /// Open model: a scheduler thread starts each iteration this segment owns at its time on an idle VU, grows the
    /// pool up to its maximum, and counts an iteration that finds no VU as dropped. From an offset
    /// <paramref name="from"/> into the block, only the iterations scheduled at or after it run.
    /// </summary>
    public async Task RunAsync(ExecutorContext context, long blockStart, TimeSpan from, CancellationToken cancellationToken)
    {
        var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var maxUsers = (int)context.Share.CountOwned(block.MaxPoolUsers);
        var pool = new ArrivalPool(maxUsers);
        var runs = new List<(int Local, Task Task)>();

        Task StartUser(int local, bool joinPool, out VirtualUser user)
        {
            var started = context.Users.At(local);
            started.OpenMailbox();
            var initialised = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            runs.Add((local, Task.Run(() => started.RunScheduledAsync(pool, joinPool, initialised, stop.Token), CancellationToken.None)));
            user = started;
            return initialised.Task;
        }

        // Pre-allocated VUs initialise before the schedule's clock starts, as k6 does; an init that hangs holds the
        // clock for at most the hook timeout, and a cancelled run does not wait for it at all.
        var initialised = Enumerable.Range(0, (int)context.Share.CountOwned(block.PreAllocatedUsers)).Select(local => StartUser(local, joinPool: true, out _)).ToArray();
        await CompletesWithinAsync(Task.WhenAll(initialised), context.Scenario.HookTimeout, cancellationToken).ConfigureAwait(false);

        var start = StartOf(blockStart) - Ticks(from);
        var firstOwned = from == TimeSpan.Zero ? 0 : context.Share.CountOwned(block.FirstAtOrAfter(from));
        // A graceful scenario stop ends the schedule; iterations already started finish.
        using var scheduling = CancellationTokenSource.CreateLinkedTokenSource(stop.Token, context.Feeds.Stopping);
        var scheduler = new ArrivalScheduler(block, context.Share, firstOwned, start, scheduling.Token, context.Measured.Gauges, context.WarmUp?.Gauges);
        await scheduler.RunAsync(
            pool,
            createUser: () =>
            {
                if (runs.Count >= maxUsers)
                {
                    return null;
                }

                StartUser(runs.Count, joinPool: false, out var user);
                return user;
            }).ConfigureAwait(false);

        foreach (var (local, _) in runs)
        {
            context.Users[local].CloseMailbox();
        }

        await context.Users.FinishAsync(runs, start + Ticks(block.Duration + context.Scenario.GracefulStop), stop, cancellationToken).ConfigureAwait(false);
    }
}
