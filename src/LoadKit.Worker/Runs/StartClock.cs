namespace LoadKit.Worker.Runs;

/// <summary>
/// Reaches a wall-clock instant precisely: sleeps until a few milliseconds before it, then spins on the clock.
/// A timer alone wakes milliseconds late on this kind of machine (Task.Delay overshoots by about 11 ms).
/// </summary>
internal static class StartClock
{
    private static readonly TimeSpan SpinFor = TimeSpan.FromMilliseconds(3);

    /// <summary>Blocks the calling thread until <paramref name="instant"/> by <paramref name="now"/>; false when cancelled first.</summary>
    public static bool WaitUntil(DateTime instant, Func<DateTime> now, CancellationToken cancellationToken)
    {
        TimeSpan remaining;
        while ((remaining = instant - now()) > SpinFor)
        {
            if (cancellationToken.WaitHandle.WaitOne(remaining - SpinFor > TimeSpan.FromMilliseconds(100) ? TimeSpan.FromMilliseconds(100) : remaining - SpinFor))
            {
                return false;
            }
        }

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
