using System.Diagnostics;

namespace LoadKit.Engine.Executors;

/// <summary>The engine's time arithmetic on <see cref="Stopwatch"/> timestamps, and its bounded waits.</summary>
internal static class Clock
{
    /// <summary>A block's clock: the given timestamp, or now when it is 0.</summary>
    public static long StartOf(long blockStart) => blockStart != 0 ? blockStart : Stopwatch.GetTimestamp();

    /// <summary><paramref name="duration"/> in timestamp ticks; a year or more counts as never (no overflow when added).</summary>
    public static long Ticks(TimeSpan duration) =>
        duration >= TimeSpan.FromDays(365) ? long.MaxValue / 2 : (long)(duration.TotalSeconds * Stopwatch.Frequency);

    /// <summary>
    /// The wall-clock time (UTC) of a <see cref="Stopwatch"/> timestamp. The wall clock is read between two timestamps,
    /// again if the thread was preempted in between (on a busy machine that gap reached tens of milliseconds, and would
    /// shift every time derived from it).
    /// </summary>
    public static DateTimeOffset UtcAt(long timestamp)
    {
        var closeEnough = Stopwatch.Frequency / 20_000; // 50 µs
        for (var attempt = 0; ; attempt++)
        {
            var before = Stopwatch.GetTimestamp();
            var utc = DateTimeOffset.UtcNow;
            var after = Stopwatch.GetTimestamp();
            if (after - before <= closeEnough || attempt == 20)
            {
                return utc - Stopwatch.GetElapsedTime(timestamp, before + ((after - before) / 2));
            }
        }
    }

    /// <summary>Waits until a <see cref="Stopwatch"/> timestamp; false when cancelled first.</summary>
    public static async Task<bool> WaitUntilAsync(long timestamp, CancellationToken cancellationToken)
    {
        // Timers may fire a little early; a phase must never end before its time, so wait again for the rest.
        long remaining;
        while ((remaining = timestamp - Stopwatch.GetTimestamp()) > 0)
        {
            try
            {
                var milliseconds = Math.Ceiling(remaining * 1000.0 / Stopwatch.Frequency);
                await Task.Delay(TimeSpan.FromMilliseconds(milliseconds), cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return false;
            }
        }

        return !cancellationToken.IsCancellationRequested;
    }

    /// <summary>Waits for <paramref name="task"/> at most <paramref name="timeout"/>; false when it did not complete in time or the wait was cancelled.</summary>
    public static async Task<bool> CompletesWithinAsync(Task task, TimeSpan timeout, CancellationToken cancellationToken)
    {
        try
        {
            await task.WaitAsync(timeout, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (TimeoutException)
        {
            return false;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return false;
        }
    }
}
