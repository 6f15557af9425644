using System.Diagnostics;

namespace LoadKit.TestTargets;

/// <summary>Waits on a condition with a bound, never a fixed sleep: checks it every 20 ms until it holds or time is up.</summary>
internal static class Eventually
{
    /// <summary>Returns once <paramref name="condition"/> holds.</summary>
    /// <exception cref="TimeoutException">It did not hold within <paramref name="timeout"/>; the message is <paramref name="describe"/>'s, made then.</exception>
    public static async Task UntilAsync(Func<bool> condition, TimeSpan timeout, Func<string> describe)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            if (clock.Elapsed > timeout)
            {
                throw new TimeoutException($"Not within {timeout}: {describe()}");
            }

            await Task.Delay(20);
        }
    }
}
