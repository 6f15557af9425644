using System.Diagnostics;

namespace LoadKit.Engine;

/// <summary>
/// Runs one scenario in this process: its phases one after the other, each VU as an async loop, then cleanup.
/// Every phase is bounded by its duration plus the graceful stop; VUs still busy then are cancelled, and a VU
/// whose step ignores cancellation is abandoned after a short wait, so a run always ends by itself.
/// </summary>
internal sealed class ScenarioEngine(Scenario scenario)
{
    /// <summary>How long cancelled VUs get to return before they are given up on.</summary>
    internal static readonly TimeSpan AbandonAfter = TimeSpan.FromSeconds(5);

    private readonly ScenarioStats _stats = new(scenario);
    private readonly List<VirtualUser> _users = [];
    private int _abandoned;

    public async Task<ScenarioResult> RunAsync(CancellationToken cancellationToken)
    {
        var startedAt = DateTimeOffset.UtcNow;
        var start = Stopwatch.GetTimestamp();
        var collector = new StatsCollector([.. _stats.All]);
        collector.Start();
        TimeSpan duration;
        try
        {
            foreach (var phase in scenario.Load)
            {
                if (cancellationToken.IsCancellationRequested)
                {
                    break;
                }

                await RunPhaseAsync(phase, cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            // Cleanup is not part of the measured duration, but its calls are part of the result.
            duration = Stopwatch.GetElapsedTime(start);
            await CleanupAsync(cancellationToken).ConfigureAwait(false);
            await collector.StopAsync().ConfigureAwait(false);
        }

        return new ScenarioResult(
            scenario.Name,
            startedAt,
            duration,
            scenario.Load.Max(p => p.Users),
            _stats.Steps.Select(r => r.ToStats(duration)).ToArray(),
            _stats.Iterations.ToStats(duration),
            _stats.Init?.ToStats(duration),
            _stats.Cleanup?.ToStats(duration),
            _abandoned);
    }

    private async Task RunPhaseAsync(LoadPhase phase, CancellationToken cancellationToken)
    {
        while (_users.Count < phase.Users)
        {
            _users.Add(new VirtualUser(_users.Count, scenario, _stats));
        }

        var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var deadline = Stopwatch.GetTimestamp() + (long)(phase.Duration.TotalSeconds * Stopwatch.Frequency);
        var iterations = phase.IterationsPerUser;
        var runs = new Task[phase.Users];
        for (var i = 0; i < runs.Length; i++)
        {
            var user = _users[i];
            runs[i] = Task.Run(() => user.RunAsync(iterations, deadline, stop.Token), CancellationToken.None);
        }

        var all = Task.WhenAll(runs);
        try
        {
            if (!await CompletesWithinAsync(all, phase.Duration + scenario.GracefulStop, cancellationToken).ConfigureAwait(false))
            {
                // Not awaited: callbacks that user code registered on step tokens run on the thread pool and
                // must not hold up the stop; a VU they block is abandoned like any other.
                _ = stop.CancelAsync();
                if (!await CompletesWithinAsync(all, AbandonAfter, CancellationToken.None).ConfigureAwait(false))
                {
                    for (var i = 0; i < runs.Length; i++)
                    {
                        if (!runs[i].IsCompleted)
                        {
                            _users[i] = new VirtualUser(i, scenario, _stats);
                            _abandoned++;
                        }
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

    private async Task CleanupAsync(CancellationToken cancellationToken)
    {
        var cleanups = _users.Select(u => u.CleanupAsync(scenario.HookTimeout, cancellationToken)).ToArray();
        if (await CompletesWithinAsync(Task.WhenAll(cleanups), scenario.HookTimeout + AbandonAfter, CancellationToken.None).ConfigureAwait(false))
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

    private static async Task<bool> CompletesWithinAsync(Task task, TimeSpan timeout, CancellationToken cancellationToken)
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
