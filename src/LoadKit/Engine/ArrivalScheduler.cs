using System.Diagnostics;
using LoadKit.Stats;
using LoadKit.Workload;

namespace LoadKit.Engine;

/// <summary>
/// Starts an open-model block's iterations at their scheduled instants, on a thread of its own so that a busy
/// thread pool cannot delay the schedule. It sleeps until the next iteration is due (<see cref="PreciseWait"/>: to the
/// microsecond on Linux, no spinning; several due within <see cref="ShareWindow"/> share a wake-up) and hands every
/// iteration that is due to an idle VU; how late that is, is measured as the scheduling lag. It begins with the share's
/// iteration number <paramref name="firstOwned"/> (not 0 when the block is resumed part-way).
/// The start of each iteration (up to the step's first await) runs on this thread, which saves a thread-pool wake
/// per iteration, until <see cref="SlowStartsAllowed"/> starts among <see cref="SlowStartWindow"/> were slow: took 1 ms
/// or more (<see cref="SlowStart"/>) and, where the thread's usage can be read (<see cref="ThreadUsage"/>), blocked or
/// computed for it. A step that blocks or computes before its first await would hold up the schedule, so then the
/// block's iterations start on the thread pool, for 1 s at first and twice as long after each return that found slow
/// starts again (at most a minute); then starts on this thread are tried again. A start that only took long because
/// another thread had the core (on a fixed-rate bench on 2 cores, 3–8 ms now and then) is no sign, and the first starts'
/// compiling and tier-ups, which make a few slow in the first second, move starts away for a while only (when any three
/// slow starts moved them for good, a bench run had every start from its 45th to its 40,000th on the thread pool).
/// </summary>
internal sealed class ArrivalScheduler(
    ArrivalBlock block, SegmentShare share, long firstOwned, long startTimestamp, CancellationToken stop, ScenarioGauges measured, ScenarioGauges? warmUp)
{
    /// <summary>How many slow starts within <see cref="SlowStartWindow"/> starts move starts to the thread pool.</summary>
    private const int SlowStartsAllowed = 3;

    /// <summary>The starts within which <see cref="SlowStartsAllowed"/> slow ones move starts to the thread pool.</summary>
    private const long SlowStartWindow = 100;

    /// <summary>How long starts go to the thread pool after the first slow ones; doubled each time, up to a minute.</summary>
    private static readonly long FirstOffload = Stopwatch.Frequency;

    private static readonly long LongestOffload = 60 * Stopwatch.Frequency;

    /// <summary>A start that kept this thread this long (1 ms, in Stopwatch ticks) is slow.</summary>
    private static readonly long SlowStart = Stopwatch.Frequency / 1000;

    /// <summary>
    /// How long a start may wait for later ones to share its wake-up (0.6 ms): the scheduler sleeps until the last start
    /// due within this window after the next one, so that a high rate does not cost a wake-up per start, while a start
    /// with none due soon after it is woken for at its own instant. At 2,000/s (LoadKit's engine with responses on the
    /// socket thread, nginx on the same 2 cores) the lag p99 was 0.60-0.87 ms in 5 runs, against 1.09-1.87 ms on the
    /// Thread.Sleep(1) steps before, at the same CPU; without a window (a wake-up per start) the CPU was about 10 % more.
    /// </summary>
    private static readonly long ShareWindow = Stopwatch.Frequency * 6 / 10_000;

    /// <summary>How many later starts <see cref="ShareWindow"/> looks at, at most.</summary>
    private const int ShareLookAhead = 64;

    /// <summary>The longest single wait (20 ms), so that a stopped run is seen soon when the next start is far off.</summary>
    private static readonly long LongestWait = Stopwatch.Frequency / 50;

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
        var slowAt = new long[SlowStartsAllowed]; // the last slow starts' numbers, a ring
        var inline = true;
        var offload = FirstOffload;
        var inlineAgainAt = 0L;
        var usage = ThreadUsage.Now(); // read after each sleep: what the starts since used
        PreciseWait.TightenTimerSlack();
        for (var owned = firstOwned; !stop.IsCancellationRequested; owned++)
        {
            var global = share.NthOwned(owned);
            if (global >= total)
            {
                return;
            }

            var due = DueAt(global);
            var now = Stopwatch.GetTimestamp();
            if (now < due)
            {
                for (var wake = LastDueSharing(owned, due, total); now < wake; now = Stopwatch.GetTimestamp())
                {
                    if (stop.IsCancellationRequested)
                    {
                        return;
                    }

                    PreciseWait.Until(Math.Min(wake, now + LongestWait));
                }

                usage = default;
            }

            if (!inline && Stopwatch.GetTimestamp() >= inlineAgainAt)
            {
                (inline, slowStarts, usage) = (true, 0, default);
            }

            if (inline && !usage.Known)
            {
                usage = ThreadUsage.Now();
            }

            var isWarmUp = due < warmUpEnd;
            if (pool.TryRent(out var user) || (user = createUser()) is not null)
            {
                var posted = Stopwatch.GetTimestamp();
                user.Post(new ScheduledIteration(due, isWarmUp), inline);
                if (inline && Stopwatch.GetTimestamp() - posted >= SlowStart && HeldTheThread(ref usage))
                {
                    slowAt[slowStarts++ % SlowStartsAllowed] = owned;
                    inline = slowStarts < SlowStartsAllowed || owned - slowAt[slowStarts % SlowStartsAllowed] >= SlowStartWindow;
                    if (!inline)
                    {
                        inlineAgainAt = Stopwatch.GetTimestamp() + offload;
                        offload = Math.Min(offload * 2, LongestOffload);
                    }
                }
            }
            else
            {
                (isWarmUp ? warmUp! : measured).IterationDropped();
            }
        }
    }

    private long DueAt(long global) => startTimestamp + (long)(block.ScheduledAt(global).TotalSeconds * Stopwatch.Frequency);

    /// <summary>When to wake for the start <paramref name="owned"/>, due at <paramref name="due"/>: at the last start due within <see cref="ShareWindow"/> after it.</summary>
    private long LastDueSharing(long owned, long due, long total)
    {
        var wake = due;
        for (var later = owned + 1; later <= owned + ShareLookAhead; later++)
        {
            var global = share.NthOwned(later);
            if (global >= total)
            {
                break;
            }

            var next = DueAt(global);
            if (next > due + ShareWindow)
            {
                break;
            }

            wake = next;
        }

        return wake;
    }

    /// <summary>
    /// Whether the starts since <paramref name="since"/> blocked or computed for a slow start's time (1 ms; unknown: yes);
    /// <paramref name="since"/> becomes now.
    /// </summary>
    private static bool HeldTheThread(ref ThreadUsage since)
    {
        var now = ThreadUsage.Now();
        var held = !now.Known || !since.Known || now.Blocked > since.Blocked || now.CpuMicroseconds - since.CpuMicroseconds >= 1_000;
        since = now;
        return held;
    }
}
