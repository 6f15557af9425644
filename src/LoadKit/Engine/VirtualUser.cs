using System.Diagnostics;
using System.Runtime.CompilerServices;
using LoadKit.Stats;

namespace LoadKit.Engine;

/// <summary>
/// One virtual user: its session, its reusable step context, timer, mailbox and cancellation source, and the loops
/// that run its iterations (closed: while its budget allows; open: each iteration it is handed). Every outcome of
/// user code is counted here; nothing it throws leaves this class.
/// </summary>
internal sealed class VirtualUser : IDisposable
{
    private readonly Scenario _scenario;
    private readonly ScenarioStats _measured;
    private readonly ScenarioStats? _warmUp;
    private readonly StepContext _context;
    private readonly Random _random;
    private readonly PauseTimer _pause = new();
    private readonly IterationMailbox _mailbox = new();
    private readonly bool[] _preWorkDone;
    private readonly FeedRun _feeds;
    private bool _feedRanOut;
    private CancellationTokenSource _stepCancellation = new();
    private CancellationToken _stop;
    private long _iteration;
    private long _lagTicks;
    private InitState _initState;
    private int _presence;
    private int _counted;

    // The step that ends an iteration is recorded with the iteration, under the gate (see RecordGate).
    private StepRecorder? _endingStep;
    private Outcome _endingOutcome;
    private long _endingMicroseconds;
    private long _endingFromScheduled;

    /// <summary>Creates the VU with global index <paramref name="index"/> (unique across all load processes of a run).</summary>
    public VirtualUser(int index, Scenario scenario, ScenarioStats measured, ScenarioStats? warmUp, FeedRun feeds, HttpClients? http = null)
    {
        _feeds = feeds;
        _scenario = scenario;
        _measured = measured;
        _warmUp = warmUp;
        _context = new StepContext(new Session(index) { Feeds = feeds }, http);
        _random = new Random(HashCode.Combine(index, Environment.TickCount64));
        _preWorkDone = new bool[scenario.Tasks.Length];
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
    /// Closed model: runs iterations while <paramref name="budget"/> allows and the VU is not leaving. Iterations
    /// that start before <paramref name="warmUpEndTimestamp"/> count as warm-up. <paramref name="stop"/> interrupts.
    /// </summary>
    public async Task RunClosedAsync(IterationBudget budget, long warmUpEndTimestamp, CancellationToken stop)
    {
        Begin(stop);
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

                await RunIterationAsync(stats, scheduledTimestamp: pacing > 0 && slot != 0 ? slot : 0).ConfigureAwait(false);
                slot = Math.Max(slot, start) + pacing;
            }
        }
        finally
        {
            Uncount();
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
        Begin(stop);
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
                await RunIterationAsync(stats, next.Timestamp).ConfigureAwait(false);
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
            _stepCancellation.CancelAfter(timeout);
            var outcome = await RunHookAsync(_scenario.Init!, _measured.Init!, timeout, _stepCancellation.Token, _stop).ConfigureAwait(false);
            ResetStepCancellation();

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
            await RunHookAsync(_scenario.Cleanup!, _measured.Cleanup!, timeout, cancellation.Token, cancellationToken).ConfigureAwait(false);
        }

        await _context.Session.DisposeResourcesAsync().ConfigureAwait(false);
    }

    public void Dispose()
    {
        _context.ReleaseHttp();
        _pause.Dispose();
        _stepCancellation.Dispose();
    }

    private void Begin(CancellationToken stop)
    {
        _stop = stop;
        _stepCancellation.Dispose();
        _stepCancellation = CancellationTokenSource.CreateLinkedTokenSource(stop);
    }

    private async Task<Outcome> RunHookAsync(
        Func<Session, CancellationToken, ValueTask> hook,
        StepRecorder recorder,
        TimeSpan timeout,
        CancellationToken token,
        CancellationToken stop)
    {
        var start = Stopwatch.GetTimestamp();
        Outcome outcome;
        try
        {
            await hook(_context.Session, token).ConfigureAwait(false);
            outcome = Returned(start, timeout, token.IsCancellationRequested, stop.IsCancellationRequested);
            if (outcome == Outcome.TimedOut)
            {
                recorder.RecordError(TimeoutMessage(timeout));
            }
        }
        catch (Exception exception)
        {
            outcome = Classify(exception, start, timeout, token.IsCancellationRequested, stop.IsCancellationRequested);
            RecordError(recorder, outcome, exception, timeout);
        }

        recorder.Record(outcome, Histograms.Microseconds(start, Stopwatch.GetTimestamp()));
        return outcome;
    }

    /// <summary>Runs one iteration of a task picked by weight; <paramref name="scheduledTimestamp"/> is when it was due, or 0.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask RunIterationAsync(ScenarioStats stats, long scheduledTimestamp)
    {
        var start = Stopwatch.GetTimestamp();
        _lagTicks = scheduledTimestamp == 0 ? 0 : Math.Max(0, start - scheduledTimestamp);
        if (scheduledTimestamp != 0)
        {
            stats.Gauges.Lag.Record(Outcome.Ok, Histograms.Microseconds(scheduledTimestamp, Math.Max(start, scheduledTimestamp)));
        }

        _context.Iteration = _iteration++;
        var taskIndex = PickTask();
        var task = _scenario.Tasks[taskIndex];
        var outcome = Outcome.Ok;
        if (task.PreWork is not null && !_preWorkDone[taskIndex])
        {
            outcome = await RunPreWorkAsync(task.PreWork, stats.PreWork[taskIndex]!).ConfigureAwait(false);
            _preWorkDone[taskIndex] = outcome == Outcome.Ok;
        }

        var thinkTimes = task.ThinkTimeBefore;

        // Nothing comes between the last step and the iteration's end: its record joins the iteration's.
        var lastEnds = thinkTimes[task.StepCount] is null && task.FeedsBefore[task.StepCount] is null;
        for (var i = 0; i < task.StepCount && outcome == Outcome.Ok; i++)
        {
            if (thinkTimes[i] is { } thinkTime && !await _pause.WaitAsync(thinkTime.Next(_random), _stop).ConfigureAwait(false))
            {
                outcome = Outcome.Cancelled;
                break;
            }

            if (task.FeedsBefore[i] is { } feeds && !ReadFeeds(feeds))
            {
                return;
            }

            outcome = await RunStepAsync(stats.Steps[task.FirstStep + i], task.FirstStep + i, endsIfOk: lastEnds && i == task.StepCount - 1).ConfigureAwait(false);
        }

        if (_feedRanOut || (outcome == Outcome.Ok && task.FeedsBefore[task.StepCount] is { } lastFeeds && !ReadFeeds(lastFeeds)))
        {
            // A feed ran out (the scenario stops): the iteration ends here, counted neither as done nor as failed.
            _feedRanOut = false;
            RecordEnd(stats, null);
            return;
        }

        if (outcome == Outcome.Ok && thinkTimes[task.StepCount] is { } lastThinkTime)
        {
            // The iteration's work is done; a stop during this pause does not undo it.
            await _pause.WaitAsync(lastThinkTime.Next(_random), _stop).ConfigureAwait(false);
        }

        var end = Stopwatch.GetTimestamp();
        RecordEnd(stats, (outcome, Histograms.Microseconds(start, end), Histograms.Microseconds(start - _lagTicks, end), taskIndex));
    }

    /// <summary>
    /// Records the step that ended the iteration, if it waits, and the iteration (null: not counted) at one instant for
    /// the collector. Not async: the gate is a lock.
    /// </summary>
    private void RecordEnd(ScenarioStats stats, (Outcome Outcome, long Microseconds, long FromScheduled, int Task)? iteration)
    {
        using (stats.Gate.Enter())
        {
            if (_endingStep is { } step)
            {
                step.Record(_endingOutcome, _endingMicroseconds, _endingFromScheduled);
                _endingStep = null;
            }

            if (iteration is var (outcome, microseconds, fromScheduled, task))
            {
                stats.Iterations.Record(outcome, microseconds, fromScheduled);
                stats.Tasks?[task].Record(outcome, microseconds, fromScheduled);
            }
        }
    }

    /// <summary>Reads a record of each feed into the session; false when one ran out.</summary>
    private bool ReadFeeds(DataFeed[] feeds)
    {
        foreach (var feed in feeds)
        {
            if (!_feeds.TryRead(feed, _context.Session))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>A task by weight, from this VU's random source (no allocation).</summary>
    private int PickTask()
    {
        var tasks = _scenario.Tasks;
        if (tasks.Length == 1)
        {
            return 0;
        }

        var pick = _random.NextDouble() * _scenario.TotalWeight;
        var last = 0;
        for (var i = 0; i < tasks.Length; i++)
        {
            if (tasks[i].Weight > 0)
            {
                last = i;
                pick -= tasks[i].Weight;
                if (pick < 0)
                {
                    return i;
                }
            }
        }

        // Rounding left a sliver: the last task with a weight takes it.
        return last;
    }

    private async Task<Outcome> RunPreWorkAsync(Func<Session, CancellationToken, ValueTask> preWork, StepRecorder recorder)
    {
        _stepCancellation.CancelAfter(_scenario.HookTimeout);
        var outcome = await RunHookAsync(preWork, recorder, _scenario.HookTimeout, _stepCancellation.Token, _stop).ConfigureAwait(false);
        ResetStepCancellation();
        return outcome;
    }

    /// <param name="recorder">The step's statistics.</param>
    /// <param name="index">The step's index in the scenario.</param>
    /// <param name="endsIfOk">
    /// Whether the iteration ends right after this step when it succeeds (it ends after any step that does not): then
    /// the step's record waits for the iteration's (<see cref="RecordEnd"/>).
    /// </param>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<Outcome> RunStepAsync(StepRecorder recorder, int index, bool endsIfOk)
    {
        var step = _scenario.Steps[index];
        _context.BeginStep(step.Name, _stepCancellation.Token, recorder);
        var start = Stopwatch.GetTimestamp();
        _stepCancellation.CancelAfter(step.Timeout);
        Outcome outcome;
        try
        {
            await step.Action(_context).ConfigureAwait(false);
            outcome = Returned(start, step.Timeout, _stepCancellation.IsCancellationRequested, _stop.IsCancellationRequested);
            if (outcome == Outcome.TimedOut)
            {
                recorder.RecordError(TimeoutMessage(step.Timeout));
            }
            else if (outcome == Outcome.Ok && _context.FailureReason is { } reason)
            {
                outcome = Outcome.Failed;
                recorder.RecordError(reason);
            }
        }
        catch (FeedExhaustedException)
        {
            // DataFeed.ReadInto found a unique feed empty: not a failure; the iteration ends uncounted.
            outcome = Outcome.Cancelled;
            _feedRanOut = true;
        }
        catch (Exception exception)
        {
            outcome = Classify(exception, start, step.Timeout, _stepCancellation.IsCancellationRequested, _stop.IsCancellationRequested);
            RecordError(recorder, outcome, exception, step.Timeout);
        }

        var end = Stopwatch.GetTimestamp();
        ResetStepCancellation();
        if (_feedRanOut)
        {
            return outcome;
        }

        if (endsIfOk || outcome != Outcome.Ok)
        {
            (_endingStep, _endingOutcome, _endingMicroseconds, _endingFromScheduled) =
                (recorder, outcome, Histograms.Microseconds(start, end), Histograms.Microseconds(start - _lagTicks, end));
            return outcome;
        }

        recorder.Record(outcome, Histograms.Microseconds(start, end), Histograms.Microseconds(start - _lagTicks, end));
        return outcome;
    }

    /// <summary>
    /// The outcome of a call that returned: a call whose token fired returned because of it (a step may catch the
    /// cancellation or check the token and return), so it stopped or timed out rather than succeeded.
    /// </summary>
    private static Outcome Returned(long start, TimeSpan timeout, bool tokenCancelled, bool stopRequested)
    {
        if (tokenCancelled)
        {
            return stopRequested ? Outcome.Cancelled : Outcome.TimedOut;
        }

        return Stopwatch.GetElapsedTime(start) > timeout ? Outcome.TimedOut : Outcome.Ok;
    }

    private static Outcome Classify(Exception exception, long start, TimeSpan timeout, bool tokenCancelled, bool stopRequested)
    {
        if (stopRequested)
        {
            return Outcome.Cancelled;
        }

        // Our timeout fired, the call outlived it, or the callee reports a timeout of its own
        // (HttpClient.Timeout throws TaskCanceledException wrapping a TimeoutException).
        var timedOut = tokenCancelled
            || Stopwatch.GetElapsedTime(start) >= timeout
            || exception is TimeoutException
            || exception.InnerException is TimeoutException;
        return timedOut ? Outcome.TimedOut : Outcome.Failed;
    }

    private static void RecordError(StepRecorder recorder, Outcome outcome, Exception exception, TimeSpan timeout)
    {
        switch (outcome)
        {
            case Outcome.Failed:
                recorder.RecordError($"{exception.GetType().Name}: {exception.Message}");
                break;
            case Outcome.TimedOut:
                // A callee's own time limit (an HTTP request's) names itself; otherwise the step's timeout fired.
                recorder.RecordError(exception is TimeoutException { Message.Length: > 0 } own ? own.Message : TimeoutMessage(timeout));
                break;
        }
    }

    private static string TimeoutMessage(TimeSpan timeout) => $"timed out after {Format.Duration(timeout)}";

    private void ResetStepCancellation()
    {
        // TryReset stops the timeout timer and keeps the source for the next step; it fails only once the
        // source was cancelled (timeout or stop), and then a fresh one is linked to the stop token.
        if (!_stepCancellation.TryReset())
        {
            _stepCancellation.Dispose();
            _stepCancellation = CancellationTokenSource.CreateLinkedTokenSource(_stop);
        }
    }
}
