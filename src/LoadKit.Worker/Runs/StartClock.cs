namespace LoadKit.Worker.Runs;

/// <summary>
/// Reaches a wall-clock instant precisely: sleeps until a few milliseconds before it, then spins on the clock.
/// A timer alone wakes milliseconds late on this kind of machine (Task.Delay overshoots by about 11 ms).
/// </summary>
internal static class StartClock
{
    /// <summary>A sleep can wake a few milliseconds late on a busy machine; spinning this long costs one core briefly.</summary>
    private static readonly TimeSpan SpinFor = TimeSpan.FromMilliseconds(3);

    private static readonly TimeSpan SleepChunk = TimeSpan.FromMilliseconds(50);

    /// <summary>Blocks the calling thread until <paramref name="instant"/> by <paramref name="now"/>; false when cancelled first.</summary>
    public static bool WaitUntil(DateTime instant, Func<DateTime> now, CancellationToken cancellationToken, out TimeSpan spun)
    {
        TimeSpan remaining;
        spun = TimeSpan.Zero;
        while ((remaining = instant - now()) > SpinFor)
        {
            if (cancellationToken.IsCancellationRequested)
            {
                return false;
            }

            Thread.Sleep(remaining - SpinFor > SleepChunk ? SleepChunk : remaining - SpinFor);
        }

        spun = remaining;
        while (now() < instant)
        {
            if (cancellationToken.IsCancellationRequested)
            {
                return false;
            }
        }

        return true;
    }
}
