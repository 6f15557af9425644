using System.Diagnostics;
using LoadKit.Feeds;
using LoadKit.HttpSteps;
using LoadKit.Workload;

namespace LoadKit.Engine.Executors;

/// <summary>
/// The VUs of one engine, by segment-local index, created on first use and kept from block to block (a VU keeps its
/// session and init), and the rules every executor ends its block by: VUs get until the graceful stop, are then
/// cancelled, and a VU that ignores cancellation is abandoned (and replaced) <see cref="AbandonAfter"/> later, so a
/// run always ends by itself. Cleanup, after the last block, follows the same rule.
/// </summary>
internal sealed class VirtualUsers(Scenario scenario, SegmentShare share, ScenarioStats measured, ScenarioStats? warmUp, FeedRun feeds, HttpClients http)
{
    /// <summary>How long cancelled VUs get to return before they are given up on.</summary>
    public static readonly TimeSpan AbandonAfter = TimeSpan.FromSeconds(5);

    private readonly List<VirtualUser> _users = [];
    private int _abandoned;

    /// <summary>VUs given up on: cancelled ones that did not return, cleanups that ignored their token.</summary>
    public int Abandoned => _abandoned;

    /// <summary>The VU with this segment-local index, created on first use.</summary>
    public VirtualUser At(int local)
    {
        while (_users.Count <= local)
        {
            _users.Add(NewUser(_users.Count));
        }

        return _users[local];
    }

    /// <summary>The VU with this segment-local index, already created.</summary>
    public VirtualUser this[int local] => _users[local];

    /// <summary>
    /// Waits for the VUs of a block until <paramref name="graceEndTimestamp"/>, then cancels them, then abandons
    /// (and replaces) any that still run <see cref="AbandonAfter"/> later.
    /// </summary>
    public async Task FinishAsync(List<(int Local, Task Task)> runs, long graceEndTimestamp, CancellationTokenSource stop, CancellationToken cancellationToken)
    {
        var all = Task.WhenAll(runs.Select(r => r.Task));
        try
        {
            var grace = TimeSpan.FromTicks(Math.Max(0, graceEndTimestamp - Stopwatch.GetTimestamp()) * TimeSpan.TicksPerSecond / Stopwatch.Frequency);
            if (!await Clock.CompletesWithinAsync(all, grace, cancellationToken).ConfigureAwait(false))
            {
                // Not awaited: callbacks that user code registered on step tokens run on the thread pool and
                // must not hold up the stop; a VU they block is abandoned like any other.
                _ = stop.CancelAsync();
                if (!await Clock.CompletesWithinAsync(all, AbandonAfter, CancellationToken.None).ConfigureAwait(false))
                {
                    foreach (var (local, task) in runs.Where(r => !r.Task.IsCompleted).DistinctBy(r => r.Local))
                    {
                        _users[local] = NewUser(local);
                        _abandoned++;
                    }

                    // Abandoned VUs still hold the stop token: the source is left to the garbage collector.
                    return;
                }
            }

            await all.ConfigureAwait(false);
            stop.Dispose();
        }
        catch
        {
            // An engine fault in one VU must not leave the others generating load.
            _ = stop.CancelAsync();
            throw;
        }
    }

    /// <summary>
    /// Before the run's start: creates the VUs with segment-local indices below <paramref name="count"/> and runs their
    /// init, all at once, bounded by the hook timeout (an init that overruns it fails as it would in the run), then
    /// lets their preparable steps prepare them.
    /// </summary>
    public Task PrepareAsync(int count, CancellationToken cancellationToken) =>
        Task.WhenAll(Enumerable.Range(0, count).Select(local => At(local).PrepareAsync(cancellationToken)));

    /// <summary>Runs every VU's cleanup, bounded by the hook timeout, then disposes the VUs.</summary>
    public async Task CleanupAsync(CancellationToken cancellationToken)
    {
        var cleanups = _users.Select(u => u.CleanupAsync(scenario.HookTimeout, cancellationToken)).ToArray();
        if (await Clock.CompletesWithinAsync(Task.WhenAll(cleanups), scenario.HookTimeout + AbandonAfter, CancellationToken.None).ConfigureAwait(false))
        {
            foreach (var user in _users)
            {
                user.Dispose();
            }

            return;
        }

        // A cleanup that ignores its token is left running; its VU is counted as abandoned and not disposed.
        _abandoned += cleanups.Count(c => !c.IsCompleted);
    }

    private VirtualUser NewUser(int local) => new((int)share.NthOwned(local), scenario, measured, warmUp, feeds, http);
}
