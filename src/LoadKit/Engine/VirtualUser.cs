using System.Diagnostics;
using LoadKit.Feeds;
using LoadKit.HttpSteps;
using LoadKit.HttpWire;
using LoadKit.Results;
using LoadKit.Stats;

namespace LoadKit.Engine;

/// <summary>
/// One virtual user: its session, its reusable step context, timer, mailbox and cancellation source, its init and
/// cleanup, whether it is wanted and counted as active, and the loops that run its iterations (closed: while its
/// budget allows, paced if the scenario says so; open: each iteration it is handed). What one iteration does is
/// <see cref="IterationRunner"/>'s. Every outcome of user code is counted; nothing it throws leaves the VU.
/// </summary>
internal sealed class VirtualUser : IDisposable
{
    private readonly Scenario _scenario;
    private readonly ScenarioStats _measured;
    private readonly ScenarioStats? _warmUp;
    private readonly StepContext _context;
    private readonly PauseTimer _pause = new();
    private readonly IterationMailbox _mailbox = new();
    private readonly StepCancellation _cancellation = new();
    private readonly IterationRunner _iterations;
    private readonly FeedRun _feeds;
    private InitState _initState;
    private int _presence;
    private int _counted;

    /// <summary>Creates the VU with global index <paramref name="index"/> (unique across all load processes of a run).</summary>
    public VirtualUser(int index, Scenario scenario, ScenarioStats measured, ScenarioStats? warmUp, FeedRun feeds, HttpClients? http = null)
    {
        _feeds = feeds;
        _scenario = scenario;
        _measured = measured;
        _warmUp = warmUp;
        _context = new StepContext(new Session(index) { Feeds = feeds }, http);
        _iterations = new IterationRunner(index, scenario, _context, _pause, _cancellation, feeds, measured.ActiveUsers);
    }

    private enum InitState
    {
        NotRun,
        Ready,
        Failed,
    }

    /// <summary>Whether a closed-model VU is wanted: changed only by compare-exchange, so a stay and a leave cannot cross.</summary>
    private enum Presence
    {
        Running,
        Leaving,
        Left,
    }

    /// <summary>Whether the VU's init succeeded (or it has none) and it has a cleanup to run.</summary>
    public bool NeedsCleanup => _initState == InitState.Ready && _scenario.Cleanup is not null;

    /// <summary>Marks the VU as wanted, before a closed-model loop is started for it.</summary>
    public void Arrive() => Volatile.Write(ref _presence, (int)Presence.Running);

    /// <summary>
    /// Asks a closed-model loop to stop after its current iteration (ramping down). The VU stops counting as active
    /// at once: it is finishing, not wanted.
    /// </summary>
    public void Leave()
    {
        if (Interlocked.CompareExchange(ref _presence, (int)Presence.Leaving, (int)Presence.Running) == (int)Presence.Running)
        {
            Uncount();
        }
    }

    /// <summary>Takes back <see cref="Leave"/>; false when the loop has already decided to leave.</summary>
    public bool Stay()
    {
        if (Interlocked.CompareExchange(ref _presence, (int)Presence.Running, (int)Presence.Leaving) != (int)Presence.Leaving)
        {
            return false;
        }

        Count();
        return true;
    }

    private void Count()
    {
        if (Interlocked.Exchange(ref _counted, 1) == 0)
        {
            _measured.ActiveUsers.Started();
        }
    }

    private void Uncount()
    {
        if (Interlocked.Exchange(ref _counted, 0) == 1)
        {
            _measured.ActiveUsers.Stopped();
        }
    }

    /// <summary>True once the loop commits to leaving (after which <see cref="Stay"/> fails).</summary>
    private bool HasLeft() =>
        Volatile.Read(ref _presence) != (int)Presence.Running
        && Interlocked.CompareExchange(ref _presence, (int)Presence.Left, (int)Presence.Leaving) != (int)Presence.Running;

    /// <summary>
    /// Starts <see cref="RunClosedAsync"/> on the thread pool, or with <paramref name="firstHere"/> its first iteration on
    /// the calling thread (up to the iteration's first wait) and the rest on the thread pool: a block's first VU, started
    /// by a worker's start thread at the instant, sends its first request without a hop to the pool (measured 1-3 ms on
    /// 2 cores) and does not hold that thread after its first iteration.
    /// </summary>
    public Task StartClosed(IterationBudget budget, long warmUpEndTimestamp, CancellationToken stop, bool firstHere) =>
        firstHere ? RunClosedAsync(budget, warmUpEndTimestamp, stop, leaveAfterFirst: true) : Task.Run(() => RunClosedAsync(budget, warmUpEndTimestamp, stop), CancellationToken.None);

    /// <summary>
    /// Closed model: runs iterations while <paramref name="budget"/> allows and the VU is not leaving. Iterations
    /// that start before <paramref name="warmUpEndTimestamp"/> count as warm-up. <paramref name="stop"/> interrupts.
    /// With <paramref name="leaveAfterFirst"/> the loop moves to the thread pool after its first iteration (a step that
    /// never waits would otherwise keep the caller's thread for the whole block).
    /// </summary>
    public async Task RunClosedAsync(IterationBudget budget, long warmUpEndTimestamp, CancellationToken stop, bool leaveAfterFirst = false)
    {
        _cancellation.Begin(stop);
        if (Volatile.Read(ref _presence) == (int)Presence.Running)
        {
            Count();
        }

        try
        {
            if (!await EnsureInitializedAsync().ConfigureAwait(false))
            {
                return;
            }

            var pacing = _scenario.Pacing is { } interval ? (long)(interval.TotalSeconds * Stopwatch.Frequency) : 0;
            long slot = 0;
            while (!HasLeft() && !stop.IsCancellationRequested && !budget.Exhausted && !_feeds.IsStopping)
            {
                // With pacing, an iteration waits for its slot; one whose slot has passed (the last one overran)
                // starts at once and is late. Slots follow actual starts, so a late VU does not burst to catch up.
                var late = false;
                if (pacing > 0 && slot != 0)
                {
                    var wait = slot - Stopwatch.GetTimestamp();
                    late = wait <= 0;
                    if (!late && !await _pause.WaitAsync(TimeSpan.FromSeconds((double)wait / Stopwatch.Frequency), stop).ConfigureAwait(false))
                    {
                        break;
                    }
                }

                if (HasLeft() || _feeds.IsStopping || !budget.TryTake())
                {
                    break;
                }

                var start = Stopwatch.GetTimestamp();
                var stats = start < warmUpEndTimestamp ? _warmUp! : _measured;
                if (late)
                {
                    stats.Gauges.IterationLate();
                }

                await _iterations.RunAsync(stats, scheduledTimestamp: pacing > 0 && slot != 0 ? slot : 0).ConfigureAwait(false);
                slot = Math.Max(slot, start) + pacing;
                if (leaveAfterFirst)
                {
                    // Off the caller's thread, if the iteration did not leave it by itself.
                    leaveAfterFirst = false;
                    await Task.Yield();
                }
            }
        }
        finally
        {
            Uncount();
            if (SocketThread.IsCurrent)
            {
                await Task.Yield(); // what awaits the VU (the engine, then the caller's code) goes on off the socket thread
            }
        }
    }

    /// <summary>
    /// Open model: runs each iteration posted with <see cref="Post"/> and hands itself back to
    /// <paramref name="pool"/> after each, until <see cref="CloseMailbox"/>. The VU initialises first (under
    /// <paramref name="stop"/>), then signals <paramref name="initialised"/>; a pre-allocated VU then joins the pool
    /// (<paramref name="joinPool"/>), while one created for a due iteration already holds it. A VU whose init fails
    /// drops what it was given and stays out of the pool.
    /// </summary>
    public async Task RunScheduledAsync(ArrivalPool pool, bool joinPool, TaskCompletionSource initialised, CancellationToken stop)
    {
        _cancellation.Begin(stop);
        var ready = await EnsureInitializedAsync().ConfigureAwait(false);
        initialised.TrySetResult();
        if (ready && joinPool)
        {
            pool.Return(this);
        }

        while (true)
        {
            var next = await _mailbox.ReceiveAsync().ConfigureAwait(false);
            if (next.Closed)
            {
                return;
            }

            var stats = next.WarmUp ? _warmUp! : _measured;
            if (ready && _feeds.IsStopping)
            {
                // The scenario stops gracefully (a feed ran out): an iteration handed over just before is not started.
                pool.Return(this);
                continue;
            }

            if (!ready || stop.IsCancellationRequested)
            {
                stats.Gauges.IterationDropped();
                continue;
            }

            Count();
            try
            {
                await _iterations.RunAsync(stats, next.Timestamp).ConfigureAwait(false);
            }
            finally
            {
                Uncount();
            }

            pool.Return(this);
        }
    }

    /// <summary>Hands this VU an open-model iteration (it must be idle or just created).</summary>
    public void Post(ScheduledIteration iteration, bool inline) => _mailbox.Post(iteration, inline);

    /// <summary>Ends <see cref="RunScheduledAsync"/> once the VU has finished what it was given.</summary>
    public void CloseMailbox() => _mailbox.Close();

    /// <summary>Opens the mailbox before <see cref="RunScheduledAsync"/> starts for a new block.</summary>
    public void OpenMailbox() => _mailbox.Open();

    /// <summary>
    /// Before the run's start: runs init, then lets the scenario's preparable steps prepare this VU (open its
    /// connections), so that the first iteration waits for neither. A preparation that fails is left to the run.
    /// </summary>
    public async Task PrepareAsync(CancellationToken cancellationToken)
    {
        if (!await EnsureInitializedAsync().ConfigureAwait(false))
        {
            return;
        }

        _context.CancellationToken = cancellationToken;
        foreach (var step in _scenario.PreparableSteps)
        {
            try
            {
                await step.PrepareAsync(_context).ConfigureAwait(false);
            }
            catch (Exception) when (!cancellationToken.IsCancellationRequested)
            {
                // The first call meets the failure and counts it.
            }
        }

        _context.CancellationToken = default;
    }

    /// <summary>Runs init now if it has not run; returns whether the VU can run iterations.</summary>
    private async Task<bool> EnsureInitializedAsync()
    {
        if (_initState == InitState.NotRun && _scenario.Init is null)
        {
            _initState = InitState.Ready;
        }
        else if (_initState == InitState.NotRun)
        {
            var timeout = _scenario.HookTimeout;
            _cancellation.CancelAfter(timeout);
            var outcome = await Calls.RunHookAsync(_scenario.Init!, _context.Session, _measured.Init!, timeout, _cancellation.Token, _cancellation.Stop).ConfigureAwait(false);
            _cancellation.Reset();

            // An init interrupted by a stop has not failed: a later phase tries again.
            _initState = outcome switch
            {
                Outcome.Ok => InitState.Ready,
                Outcome.Cancelled => InitState.NotRun,
                _ => InitState.Failed,
            };
        }

        return _initState == InitState.Ready;
    }

    /// <summary>
    /// Runs the scenario's cleanup for this VU, bounded by <paramref name="timeout"/>, then disposes what LoadKit
    /// kept in its session (WebSocket connections), which the cleanup may still have used.
    /// </summary>
    public async Task CleanupAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        if (NeedsCleanup)
        {
            using var cancellation = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            cancellation.CancelAfter(timeout);
            await Calls.RunHookAsync(_scenario.Cleanup!, _context.Session, _measured.Cleanup!, timeout, cancellation.Token, cancellationToken).ConfigureAwait(false);
        }

        await _context.Session.DisposeResourcesAsync().ConfigureAwait(false);
    }

    public void Dispose()
    {
        _context.ReleaseHttp();
        _pause.Dispose();
        _cancellation.Dispose();
    }
}
