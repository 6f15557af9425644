using System.Diagnostics;
using LoadKit.Stats;
using LoadKit.Workload;

namespace LoadKit.Engine;

/// <summary>
/// Starts an open-model block's iterations at their scheduled instants, on a thread of its own so that a busy
/// thread pool cannot delay the schedule. It wakes about once a millisecond (Thread.Sleep(1)) and hands every
/// iteration that is due to an idle VU; how late that is, is measured as the scheduling lag. It begins with the
/// share's iteration number <paramref name="firstOwned"/> (not 0 when the block is resumed part-way).
/// The start of each iteration (up to the step's first await) runs on this thread, which saves a thread-pool wake
/// per iteration, until <see cref="SlowStartsAllowed"/> starts have taken 1 ms or more (<see cref="SlowStart"/>): a step
/// that blocks before its first await would hold up the schedule, so from then on the block's iterations start on the
/// thread pool. (The first starts compile code, and a busy machine can preempt any one: a single slow start is no sign.)
/// </summary>
internal sealed class ArrivalScheduler(
    ArrivalBlock block, SegmentShare share, long firstOwned, long startTimestamp, CancellationToken stop, ScenarioGauges measured, ScenarioGauges? warmUp)
{
    /// <summary>How many slow starts move starts to the thread pool.</summary>
    private const int SlowStartsAllowed = 3;

    /// <summary>A start that kept this thread this long (1 ms, in Stopwatch ticks) is slow.</summary>
    private static readonly long SlowStart = Stopwatch.Frequency / 1000;

    public Task RunAsync(ArrivalPool pool, Func<VirtualUser?> createUser)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var thread = new Thread(() =>
        {
            try
            {
                Schedule(pool, createUser);
                done.SetResult();
            }
            catch (Exception exception)
            {
                done.SetException(exception);
            }
        })
        {
            IsBackground = true,
            Name = "LoadKit arrival scheduler",
        };
        thread.Start();
        return done.Task;
    }

    private void Schedule(ArrivalPool pool, Func<VirtualUser?> createUser)
    {
        var total = block.TotalIterations;
        var warmUpEnd = startTimestamp + (long)(block.WarmUpUntil.TotalSeconds * Stopwatch.Frequency);
        var slowStarts = 0;
        for (var owned = firstOwned; !stop.IsCancellationRequested; owned++)
        {
            var global = share.NthOwned(owned);
            if (global >= total)
            {
                return;
            }

            var due = startTimestamp + (long)(block.ScheduledAt(global).TotalSeconds * Stopwatch.Frequency);
            while (Stopwatch.GetTimestamp() < due)
            {
                if (stop.IsCancellationRequested)
                {
                    return;
                }

                Thread.Sleep(1);
            }

            var isWarmUp = due < warmUpEnd;
            if (pool.TryRent(out var user) || (user = createUser()) is not null)
            {
                var posted = Stopwatch.GetTimestamp();
                user.Post(new ScheduledIteration(due, isWarmUp), inline: slowStarts < SlowStartsAllowed);
                if (Stopwatch.GetTimestamp() - posted >= SlowStart)
                {
                    slowStarts++;
                }
            }
            else
            {
                (isWarmUp ? warmUp! : measured).IterationDropped();
            }
        }
    }
}
