using System.Diagnostics;

namespace LoadKit.TestTargets;

/// <summary>Waits on a condition with a bound, never a fixed sleep: checks it every 20 ms until it holds or time is up.</summary>
internal static class Eventually
{
    /// <summary>Returns once <paramref name="condition"/> holds.</summary>
    /// <exception cref="TimeoutException">It did not hold within <paramref name="timeout"/>; the message is <paramref name="describe"/>'s, made then.</exception>
    public static Task UntilAsync(Func<bool> condition, TimeSpan timeout, Func<string> describe) =>
        UntilAsync(() => Task.FromResult(condition()), timeout, describe);

    /// <summary>Returns once <paramref name="condition"/> (a question asked over the network, say) holds.</summary>
    /// <exception cref="TimeoutException">It did not hold within <paramref name="timeout"/>; the message is <paramref name="describe"/>'s, made then.</exception>
    public static async Task UntilAsync(Func<Task<bool>> condition, TimeSpan timeout, Func<string> describe)
    {
        var clock = Stopwatch.StartNew();
        while (!await condition())
        {
            if (clock.Elapsed > timeout)
            {
                throw new TimeoutException($"Not within {timeout}: {describe()}");
            }

            await Task.Delay(20);
        }
    }
}
