using System.Diagnostics;
using LoadKit.Workload;
using static LoadKit.Engine.Executors.Clock;

namespace LoadKit.Engine.Executors;

/// <summary>
/// VUs over time, constant or ramping (k6's constant-vus and ramping-vus): driven by the block's user events, each of
/// which starts or stops one VU slot; a VU told to stop finishes its iteration within the graceful stop.
/// </summary>
/// <param name="block">The block to run.</param>
internal sealed class UsersExecutor(UsersBlock block) : IExecutor
{
    /// <summary>
    /// Closed model over time: VU slots start and stop at the plan's events. From an offset <paramref name="from"/>
    /// into the block, the slots running at that instant start at once, then the later events follow.
    /// </summary>
    public async Task RunAsync(ExecutorContext context, long blockStart, TimeSpan from, CancellationToken cancellationToken)
    {
        var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var start = StartOf(blockStart) - Ticks(from);
        var deadline = start + Ticks(block.Duration);
        var warmUpEnd = start + Ticks(block.WarmUpUntil);
        var running = new Dictionary<int, (VirtualUser User, Task Task, CancellationTokenSource Leave)>();
        var runs = new List<(int Local, Task Task)>();
        var measuredMarked = block.WarmUpUntil == TimeSpan.Zero || block.WarmUpUntil >= block.Duration;

        // A graceful scenario stop (a feed ran out) ends the block's waits; its VUs end their loops themselves.
        using var ending = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, context.Feeds.Stopping);
        async Task MarkMeasuredStartAsync()
        {
            // After the changes at the warm-up's end: VUs the warm-up had in excess have been told to leave.
            if (!measuredMarked && await WaitUntilAsync(warmUpEnd, cancellationToken).ConfigureAwait(false))
            {
                context.ActiveUsers.MeasuredStartsAt(Stopwatch.GetTimestamp());
                context.ActiveUsers.Sample();
                measuredMarked = true;
            }
        }

        if (from > TimeSpan.Zero && from >= block.WarmUpUntil)
        {
            // Resumed past the warm-up: the VUs about to start are the measured part's.
            await MarkMeasuredStartAsync().ConfigureAwait(false);
        }

        foreach (var change in Resume.Events(block.EventsFor(context.Share), from))
        {
            if (change.At > block.WarmUpUntil)
            {
                await MarkMeasuredStartAsync().ConfigureAwait(false);
            }

            if (!await WaitUntilAsync(start + Ticks(change.At), ending.Token).ConfigureAwait(false))
            {
                break;
            }

            var local = (int)context.Share.CountOwned(change.Slot);
            if (!change.Start)
            {
                if (running.TryGetValue(change.Slot, out var leaving))
                {
                    // The VU finishes its iteration, bounded by the graceful stop, as k6's gracefulRampDown.
                    leaving.User.Leave();
                    leaving.Leave.CancelAfter(context.Scenario.GracefulStop);
                }

                continue;
            }

            var leave = CancellationTokenSource.CreateLinkedTokenSource(stop.Token);
            Task task;
            if (running.TryGetValue(change.Slot, out var previous) && !previous.Task.IsCompleted)
            {
                // Wanted again before it left: it stays, and its forced stop is called off, unless the forced stop
                // already fired or the loop has already decided to leave; then the same VU (and session) starts
                // again once its old loop has ended, so two loops never share a VU.
                if (previous.User.Stay())
                {
                    previous.Leave.CancelAfter(Timeout.Infinite);
                    if (!previous.Leave.IsCancellationRequested)
                    {
                        leave.Dispose();
                        continue;
                    }

                    previous.User.Leave();
                }

                var again = previous.User;
                again.Arrive();
                task = previous.Task.ContinueWith(
                    _ => again.RunClosedAsync(IterationBudget.Until(deadline), warmUpEnd, leave.Token),
                    CancellationToken.None,
                    TaskContinuationOptions.None,
                    TaskScheduler.Default).Unwrap();
                running[change.Slot] = (again, task, leave);
                runs.Add((local, task));
                continue;
            }

            var user = context.Users.At(local);
            user.Arrive();
            task = user.StartClosed(IterationBudget.Until(deadline), warmUpEnd, leave.Token, firstHere: runs.Count == 0 && from == TimeSpan.Zero && change.At == TimeSpan.Zero);
            running[change.Slot] = (user, task, leave);
            runs.Add((local, task));
        }

        await MarkMeasuredStartAsync().ConfigureAwait(false);
        await WaitUntilAsync(deadline, ending.Token).ConfigureAwait(false);
        await context.Users.FinishAsync(runs, deadline + Ticks(context.Scenario.GracefulStop), stop, cancellationToken).ConfigureAwait(false);
    }
}
