using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace LoadKit.Worker.Runs;

/// <summary>The moment a start wait ended: the same instant on the monotonic and on the worker's wall clock.</summary>
/// <param name="Timestamp">A <see cref="Stopwatch"/> timestamp.</param>
/// <param name="WallTicks">The worker's wall clock, in UTC ticks.</param>
/// <param name="Spun">How long the wait spun before the instant (negative: the sleep woke after it).</param>
/// <param name="RealTime">Whether the last milliseconds ran at real-time priority.</param>
/// <param name="Collections">Garbage collections during those milliseconds: each one suspended the start thread.</param>
internal readonly record struct StartReached(long Timestamp, long WallTicks, TimeSpan Spun, bool RealTime, int Collections);

/// <summary>
/// Reaches a wall-clock instant precisely: sleeps until a few milliseconds before it, then spins on the clock.
/// A timer alone wakes milliseconds late on this kind of machine (Task.Delay overshoots by about 11 ms), and a spinning
/// thread of normal priority can be preempted for a whole time slice (measured: 0.8–9.6 ms late with 2 workers on 2
/// cores). So the last stretch runs at real-time priority where the process may (root or CAP_SYS_NICE on Linux).
/// </summary>
internal static partial class StartClock
{
    /// <summary>A sleep can wake a few milliseconds late on a busy machine; spinning this long costs one core briefly.</summary>
    private static readonly TimeSpan SpinFor = TimeSpan.FromMilliseconds(3);

    /// <summary>From this long before the instant the thread runs at real-time priority: it wakes from its sleep at once.</summary>
    private static readonly TimeSpan RealTimeFor = TimeSpan.FromMilliseconds(20);

    private static readonly TimeSpan SleepChunk = TimeSpan.FromMilliseconds(50);

    /// <summary>
    /// Blocks the calling thread until <paramref name="instant"/> by <paramref name="now"/>, then calls
    /// <paramref name="start"/> still at real-time priority (dropping it first let the work that waited for this core run
    /// before the start: measured 0.5-4 ms); null when cancelled first.
    /// </summary>
    public static T? RunAt<T>(DateTime instant, Func<DateTime> now, CancellationToken cancellationToken, Func<StartReached, T> start)
        where T : class
    {
        // Compiled now, not after the instant: the start itself (a lambda is compiled on its first call) and the few
        // members the start reads.
        RuntimeHelpers.PrepareMethod(start.Method.MethodHandle);
        var reached = new StartReached(Stopwatch.GetTimestamp(), now().Ticks, TimeSpan.Zero, RealTime: false, Collections: 0);
        _ = (reached.Timestamp, reached.WallTicks, reached.Spun, reached.RealTime, reached.Collections);
        using (RealTimePriority.Enter())
        {
        }

        if (!SleepUntil(instant - RealTimeFor, now, cancellationToken))
        {
            return null;
        }

        using var realTime = RealTimePriority.Enter();
        var collections = GC.CollectionCount(0);
        TimeSpan spun, left;
        do
        {
            if (!SleepUntil(instant - SpinFor, now, cancellationToken))
            {
                return null;
            }

            // A spin at real-time priority holds a core: it ends at the instant, or sleeps again if the wall clock
            // was stepped back meanwhile.
            spun = instant - now();
            while ((left = instant - now()) > TimeSpan.Zero && left <= SpinFor)
            {
                if (cancellationToken.IsCancellationRequested)
                {
                    return null;
                }

                // Another worker's start thread, at the same real-time priority, may have woken on this core: without
                // a yield it would wait for the end of this spin and start that much late (measured 0.3-0.9 ms).
                Thread.Yield();
            }
        }
        while (left > TimeSpan.Zero);

        // Both clocks read at once, at real-time priority: a reschedule between them would show as a late start.
        return start(new StartReached(Stopwatch.GetTimestamp(), now().Ticks, spun, realTime.Entered, GC.CollectionCount(0) - collections));
    }

    private static bool SleepUntil(DateTime until, Func<DateTime> now, CancellationToken cancellationToken)
    {
        TimeSpan remaining;
        while ((remaining = until - now()) > TimeSpan.Zero)
        {
            if (cancellationToken.IsCancellationRequested)
            {
                return false;
            }

            Thread.Sleep(remaining > SleepChunk ? SleepChunk : remaining);
        }

        return !cancellationToken.IsCancellationRequested;
    }

    /// <summary>SCHED_FIFO for the calling thread while in scope, and the thread's own policy back after.</summary>
    private readonly partial struct RealTimePriority : IDisposable
    {
        private const int SchedFifo = 1;

        /// <summary>Low among real-time priorities: above every normal thread, below the kernel's own.</summary>
        private const int FifoPriority = 10;

        private readonly int _policy;
        private readonly SchedParam _parameter;

        private RealTimePriority(int policy, SchedParam parameter)
        {
            _policy = policy;
            _parameter = parameter;
            Entered = true;
        }

        public bool Entered { get; }

        public static RealTimePriority Enter()
        {
            if (!OperatingSystem.IsLinux())
            {
                return default;
            }

            // Thread 0 is the calling thread: on Linux a scheduling policy belongs to a thread, not to the process.
            var policy = SchedGetScheduler(0);
            if (policy < 0 || SchedGetParam(0, out var parameter) != 0)
            {
                return default;
            }

            var fifo = new SchedParam { Priority = FifoPriority };
            return SchedSetScheduler(0, SchedFifo, in fifo) == 0 ? new RealTimePriority(policy, parameter) : default;
        }

        public void Dispose()
        {
            if (Entered)
            {
                _ = SchedSetScheduler(0, _policy, in _parameter);
            }
        }

        [LibraryImport("libc", EntryPoint = "sched_getscheduler")]
        private static partial int SchedGetScheduler(int pid);

        [LibraryImport("libc", EntryPoint = "sched_getparam")]
        private static partial int SchedGetParam(int pid, out SchedParam parameter);

        [LibraryImport("libc", EntryPoint = "sched_setscheduler")]
        private static partial int SchedSetScheduler(int pid, int policy, in SchedParam parameter);
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct SchedParam
    {
        public int Priority;
    }
}
