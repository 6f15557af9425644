using System.Diagnostics;
using LoadKit.Stats;

namespace LoadKit.Engine;

/// <summary>
/// Runs one scenario's part of the load (its segment; the whole load in a local run) in this process: the plan's
/// blocks one after the other, then cleanup. Every block is bounded by its duration plus the graceful stop; VUs
/// still busy then are cancelled, and a VU that ignores cancellation is abandoned after a short wait, so a run
/// always ends by itself. An engine can also resume the plan part-way (taking over a lost process's segment): it
/// then runs what remains as if it had started that long ago.
/// </summary>
internal sealed class ScenarioEngine
{
    /// <summary>How long cancelled VUs get to return before they are given up on.</summary>
    internal static readonly TimeSpan AbandonAfter = TimeSpan.FromSeconds(5);

    private readonly Scenario _scenario;
    private readonly LoadPlan _plan;
    private readonly SegmentShare _share;
    private readonly TimeSpan _resumeAt;
    private readonly ScenarioStats _measured;
    private readonly ScenarioStats? _warmUp;
    private readonly ActiveUsers _activeUsers;
    private readonly List<VirtualUser> _users = [];
    private readonly Action<ScenarioResult, IterationProgress>? _onSnapshot;
    private readonly long? _resumedIterations;
    private readonly FeedRun _feeds;
    private readonly HttpClients _http;
    private int _abandoned;
    private Func<string?>[] _requirementNotes = [];
    private StatsCollector? _collector;

    // The last iteration-counted block started, for progress reports: written under the collector's lock, read by the collector.
    private IterationProgress _started = IterationProgress.None;
    private StepRecorder? _startedRecorder;
    private long _recordedBeforeStart;
    private long _recordedInBlock = long.MaxValue;

    /// <param name="scenario">The scenario to run.</param>
    /// <param name="plan">Its load, for the run's options.</param>
    /// <param name="share">The part of the load this process owns.</param>
    /// <param name="resumeAt">
    /// Where in the plan to begin (zero: at its start). The engine then runs what remains of the plan as if it had
    /// started this long ago: blocks that ended before are skipped, the block under way starts at its state at this
    /// offset, and the timeline's seconds are those of the original start. The result's <c>StartedAt</c> and
    /// <c>Duration</c> stay those of this engine's own run.
    /// </param>
    /// <param name="onSnapshot">
    /// Called once a second, on the collector, with the statistics so far (cleanup excluded) and how far the
    /// iteration-counted block under way has got in those very statistics; a worker streams them.
    /// </param>
    /// <param name="resumedIterations">
    /// For an iteration-counted block under way at <paramref name="resumeAt"/>: how many of its iterations to run, as
    /// one budget shared by this share's VUs of the block, also for iterations per user (a lost process's remaining
    /// iterations are a total, not a count per VU). Null: the share's whole part of the block, as if it were starting.
    /// Either way the block's maximum duration counts from the plan's original start.
    /// </param>
    public ScenarioEngine(
        Scenario scenario,
        LoadPlan plan,
        SegmentShare share,
        TimeSpan resumeAt = default,
        Action<ScenarioResult, IterationProgress>? onSnapshot = null,
        long? resumedIterations = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(resumeAt, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfNegative(resumedIterations ?? 0, nameof(resumedIterations));
        _onSnapshot = onSnapshot;
        _resumedIterations = resumedIterations;
        _http = new HttpClients(scenario.Http);
        _scenario = scenario;
        _plan = plan;
        _share = share;
        _resumeAt = resumeAt;
        _feeds = new FeedRun(scenario.Feeds, scenario.Name, share);
        _activeUsers = new ActiveUsers();
        _measured = new ScenarioStats(scenario, _activeUsers, isWarmUp: false);
        _warmUp = BlocksToRun().Any(b => b.Block.WarmUpUntil > b.From) ? new ScenarioStats(scenario, _activeUsers, isWarmUp: true, _measured.Gate) : null;
        CheckRequirements();
    }

    /// <summary>Refuses, before anything starts, a share this process cannot run (no browser here, too many browser users).</summary>
    private void CheckRequirements()
    {
        if (_scenario.Requirements.IsEmpty)
        {
            return;
        }

        var users = Math.Max(PlannedUsers(warmUp: true), PlannedUsers(warmUp: false));
        var problems = _scenario.Requirements.Select(r => r.Check(users)).OfType<string>().ToArray();
        if (problems.Length > 0)
        {
            throw new ScenarioRequirementException($"Scenario '{_scenario.Name}' cannot run in this process ({Environment.MachineName}, pid {Environment.ProcessId}): {string.Join(" ", problems)}");
        }

        _requirementNotes = [.. _scenario.Requirements.Select(r => r.Watch?.Invoke()).OfType<Func<string?>>()];
    }

    /// <summary>
    /// What the run's notes must say about this scenario: why it stopped early (a unique feed ran out), and that its
    /// HTTP latency excludes the network (requests went to an in-process handler).
    /// </summary>
    internal IReadOnlyList<string> Notes =>
        new[] { _feeds.Note, _http.Note(_scenario.Name) }.Concat(_requirementNotes.Select(n => n())).OfType<string>().ToArray();

    /// <summary>
    /// Whether the snapshot of a second is wanted (null: always); a snapshot costs a copy of every histogram, so a
    /// progress view that shows nothing yet skips it.
    /// </summary>
    internal Func<bool>? SnapshotWanted { get; init; }

    /// <summary>The feeds bound to this engine's share.</summary>
    internal FeedRun Feeds => _feeds;

    /// <summary>Runs the plan, then cleanup, and returns what was measured.</summary>
    /// <param name="cancellationToken">Stops the run promptly; the result covers what ran until then.</param>
    /// <param name="startTimestamp">
    /// A <see cref="Stopwatch"/> timestamp at which the plan's clock starts (a distributed run's shared instant, just
    /// passed); 0: now. Whatever delays the first block after it (JIT, init) shows as scheduling lag.
    /// </param>
    public async Task<ScenarioResult> RunAsync(CancellationToken cancellationToken, long startTimestamp = 0)
    {
        var now = Stopwatch.GetTimestamp();
        var start = startTimestamp is > 0 && startTimestamp <= now ? startTimestamp : now;
        var startedAt = DateTimeOffset.UtcNow - Stopwatch.GetElapsedTime(start, now);
        _feeds.Started(start);
        using var published = LoadKitMetrics.Track(_scenario.Name, _activeUsers);
        var collector = new StatsCollector(
            [.. _measured.IntervalSources, .. _warmUp?.IntervalSources ?? []],
            _onSnapshot is null ? null : () =>
            {
                if (SnapshotWanted?.Invoke() != false)
                {
                    _onSnapshot(ToResult(startedAt, start, Stopwatch.GetElapsedTime(start)), Progress());
                }
            },
            _resumeAt,
            _measured.Gate);
        _collector = collector;
        collector.Start();
        TimeSpan duration;
        try
        {
            // In a distributed run the first block's clock is the shared instant; otherwise each block's clock starts
            // when the block is reached (an open model's after its pre-allocated VUs' init, as k6 does).
            var blockStart = startTimestamp > 0 ? start : 0;
            foreach (var (index, block, from) in BlocksToRun())
            {
                if (cancellationToken.IsCancellationRequested || _feeds.IsStopping)
                {
                    break;
                }

                // The measured part begins where the warm-up ends: at a block without warm-up, or inside one (a users
                // block marks it itself, once it has let the warm-up's extra VUs go).
                if (block.WarmUpUntil <= from || (block is not UsersBlock && block.WarmUpUntil < block.Duration))
                {
                    _activeUsers.MeasuredStartsAt(Stopwatch.GetTimestamp() + Ticks(block.WarmUpUntil > from ? block.WarmUpUntil - from : TimeSpan.Zero));
                }

                await (block switch
                {
                    UsersBlock users => RunUsersAsync(users, blockStart, from, cancellationToken),
                    ArrivalBlock arrivals => RunArrivalsAsync(arrivals, blockStart, from, cancellationToken),
                    IterationsBlock iterations => RunIterationsAsync(index, iterations, blockStart, from, cancellationToken),
                    _ => throw new InvalidOperationException($"Unknown plan block {block.GetType().Name}."),
                }).ConfigureAwait(false);
                blockStart = 0;
            }
        }
        finally
        {
            // Cleanup is not part of the measured duration, but its calls are part of the result.
            duration = Stopwatch.GetElapsedTime(start);
            await CleanupAsync(cancellationToken).ConfigureAwait(false);
            _http.Dispose();
            await collector.StopAsync().ConfigureAwait(false);
        }

        return ToResult(startedAt, start, duration);
    }

    /// <summary>The statistics collected so far, for a run that started at <paramref name="start"/> and has lasted <paramref name="duration"/>.</summary>
    private ScenarioResult ToResult(DateTimeOffset startedAt, long start, TimeSpan duration)
    {
        var measuredStart = _activeUsers.MeasuredStart;
        var warmUpDuration = measuredStart == 0 ? duration : TimeSpan.FromSeconds((double)Math.Max(0, measuredStart - start) / Stopwatch.Frequency);
        if (warmUpDuration > duration)
        {
            warmUpDuration = duration;
        }

        var warmUp = _warmUp?.ToResult(_scenario.Name, startedAt, warmUpDuration, PlannedUsers(warmUp: true), 0, null);
        return _measured.ToResult(
            _scenario.Name, startedAt + warmUpDuration, duration - warmUpDuration, PlannedUsers(warmUp: false), _abandoned, warmUp);
    }

    /// <summary>
    /// The most VUs this process plans at once in the warm-up or the measured part (ownership counts are monotone,
    /// so the share of each block's maximum is this process's maximum). A block resumed part-way counts with its
    /// whole maximum, which may be more than its remaining part reaches.
    /// </summary>
    private int PlannedUsers(bool warmUp) => BlocksToRun()
        .Where(b => warmUp ? b.Block.WarmUpUntil > b.From : b.Block.WarmUpUntil < b.Block.Duration)
        .Select(b => (int)_share.CountOwned(b.Block.MaxUsersIn(warmUp)))
        .DefaultIfEmpty()
        .Max();

    /// <summary>
    /// The blocks of <paramref name="plan"/> that are not over at <paramref name="resumeAt"/>, each with its index and
    /// the offset into it to start from. Nominal times: an iteration-counted block is taken to last its maximum duration.
    /// </summary>
    internal static IEnumerable<(int Index, PlanBlock Block, TimeSpan From)> Resumed(LoadPlan plan, TimeSpan resumeAt)
    {
        var blockStart = TimeSpan.Zero;
        for (var index = 0; index < plan.Blocks.Count; index++)
        {
            var block = plan.Blocks[index];
            var from = resumeAt > blockStart ? resumeAt - blockStart : TimeSpan.Zero;
            blockStart += block.Duration;
            if (blockStart > resumeAt)
            {
                yield return (index, block, from);
            }
        }
    }

    /// <summary>The iteration-counted block under way at <paramref name="resumeAt"/> (started before it, not over), if any.</summary>
    internal static (int Index, IterationsBlock Block)? IterationBlockUnderWay(LoadPlan plan, TimeSpan resumeAt) =>
        Resumed(plan, resumeAt).FirstOrDefault() is (var index, IterationsBlock block, var from) && from > TimeSpan.Zero ? (index, block) : null;

    /// <summary>The blocks this engine runs, from the resume offset on.</summary>
    private IEnumerable<(int Index, PlanBlock Block, TimeSpan From)> BlocksToRun() => Resumed(_plan, _resumeAt);

    /// <summary>How far the last iteration-counted block started has got in the totals just collected (collector thread).</summary>
    /// <remarks>
    /// The block's iterations are all recorded before a later block's, so of the calls collected above the baseline,
    /// the first up to the block's final count are the block's.
    /// </remarks>
    private IterationProgress Progress() => _startedRecorder is { } recorder
        ? _started with { Completed = Math.Min(_recordedInBlock, recorder.CollectedCalls - _recordedBeforeStart) }
        : IterationProgress.None;

    /// <summary>
    /// Closed model over time: VU slots start and stop at the plan's events. From an offset <paramref name="from"/>
    /// into the block, the slots running at that instant start at once, then the later events follow.
    /// </summary>
    private async Task RunUsersAsync(UsersBlock block, long blockStart, TimeSpan from, CancellationToken cancellationToken)
    {
        var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var start = StartOf(blockStart) - Ticks(from);
        var deadline = start + Ticks(block.Duration);
        var warmUpEnd = start + Ticks(block.WarmUpUntil);
        var running = new Dictionary<int, (VirtualUser User, Task Task, CancellationTokenSource Leave)>();
        var runs = new List<(int Local, Task Task)>();
        var measuredMarked = block.WarmUpUntil == TimeSpan.Zero || block.WarmUpUntil >= block.Duration;

        // A graceful scenario stop (a feed ran out) ends the block's waits; its VUs end their loops themselves.
        using var ending = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _feeds.Stopping);
        async Task MarkMeasuredStartAsync()
        {
            // After the changes at the warm-up's end: VUs the warm-up had in excess have been told to leave.
            if (!measuredMarked && await WaitUntilAsync(warmUpEnd, cancellationToken).ConfigureAwait(false))
            {
                _activeUsers.MeasuredStartsAt(Stopwatch.GetTimestamp());
                _activeUsers.Sample();
                measuredMarked = true;
            }
        }

        if (from > TimeSpan.Zero && from >= block.WarmUpUntil)
        {
            // Resumed past the warm-up: the VUs about to start are the measured part's.
            await MarkMeasuredStartAsync().ConfigureAwait(false);
        }

        foreach (var change in ResumeEvents(block.EventsFor(_share), from))
        {
            if (change.At > block.WarmUpUntil)
            {
                await MarkMeasuredStartAsync().ConfigureAwait(false);
            }

            if (!await WaitUntilAsync(start + Ticks(change.At), ending.Token).ConfigureAwait(false))
            {
                break;
            }

            var local = (int)_share.CountOwned(change.Slot);
            if (!change.Start)
            {
                if (running.TryGetValue(change.Slot, out var leaving))
                {
                    // The VU finishes its iteration, bounded by the graceful stop, as k6's gracefulRampDown.
                    leaving.User.Leave();
                    leaving.Leave.CancelAfter(_scenario.GracefulStop);
                }

                continue;
            }

            var leave = CancellationTokenSource.CreateLinkedTokenSource(stop.Token);
            Task task;
            if (running.TryGetValue(change.Slot, out var previous) && !previous.Task.IsCompleted)
            {
                // Wanted again before it left: it stays, and its forced stop is called off, unless the forced stop
                // already fired or the loop has already decided to leave; then the same VU (and session) starts
                // again once its old loop has ended, so two loops never share a VU.
                if (previous.User.Stay())
                {
                    previous.Leave.CancelAfter(Timeout.Infinite);
                    if (!previous.Leave.IsCancellationRequested)
                    {
                        leave.Dispose();
                        continue;
                    }

                    previous.User.Leave();
                }

                var again = previous.User;
                again.Arrive();
                task = previous.Task.ContinueWith(
                    _ => again.RunClosedAsync(IterationBudget.Until(deadline), warmUpEnd, leave.Token),
                    CancellationToken.None,
                    TaskContinuationOptions.None,
                    TaskScheduler.Default).Unwrap();
                running[change.Slot] = (again, task, leave);
                runs.Add((local, task));
                continue;
            }

            var user = UserAt(local);
            user.Arrive();
            task = Task.Run(() => user.RunClosedAsync(IterationBudget.Until(deadline), warmUpEnd, leave.Token), CancellationToken.None);
            running[change.Slot] = (user, task, leave);
            runs.Add((local, task));
        }

        await MarkMeasuredStartAsync().ConfigureAwait(false);
        await WaitUntilAsync(deadline, ending.Token).ConfigureAwait(false);
        await FinishAsync(runs, deadline + Ticks(_scenario.GracefulStop), stop, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// The events from <paramref name="from"/> on: a start at <paramref name="from"/> for each slot running then
    /// (replayed, so no VU starts only to stop again), then the events after it.
    /// </summary>
    private static IEnumerable<UserEvent> ResumeEvents(IReadOnlyList<UserEvent> events, TimeSpan from)
    {
        if (from == TimeSpan.Zero)
        {
            return events;
        }

        var running = new SortedSet<int>();
        var next = 0;
        for (; next < events.Count && events[next].At <= from; next++)
        {
            if (events[next].Start)
            {
                running.Add(events[next].Slot);
            }
            else
            {
                running.Remove(events[next].Slot);
            }
        }

        return running.Select(slot => new UserEvent(from, slot, Start: true)).Concat(events.Skip(next));
    }

    /// <summary>
    /// Closed model by count: the VU slots this segment owns run their iterations at once. From an offset
    /// <paramref name="from"/> into the block (a take-over), they run the count given at construction, if any, as one
    /// shared budget, until the block's deadline counted from the plan's original start.
    /// </summary>
    private async Task RunIterationsAsync(int index, IterationsBlock block, long blockStart, TimeSpan from, CancellationToken cancellationToken)
    {
        var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var start = StartOf(blockStart) - Ticks(from);
        var deadline = start + Ticks(block.Duration);
        var warmUpEnd = block.WarmUpUntil == TimeSpan.Zero ? 0 : long.MaxValue;
        var users = (int)_share.CountOwned(block.Users);
        var resumed = from > TimeSpan.Zero ? _resumedIterations : null;
        var shared = new IterationBudget(resumed ?? block.IterationsFor(_share), deadline);
        var recorder = (warmUpEnd == 0 ? _measured : _warmUp!).Iterations;

        // The VUs of earlier blocks have all returned (or were abandoned): what they recorded is the baseline.
        _collector!.WhileNotCollecting(() =>
        {
            _recordedBeforeStart = recorder.RecordedCalls();
            _recordedInBlock = long.MaxValue;
            _started = new IterationProgress(index, 0);
            _startedRecorder = recorder;
            return true;
        });
        var runs = new List<(int Local, Task Task)>();
        for (var local = 0; local < users; local++)
        {
            var user = UserAt(local);
            var budget = block.Shared || resumed is not null ? shared : new IterationBudget(block.Iterations, deadline);
            user.Arrive();
            runs.Add((local, Task.Run(() => user.RunClosedAsync(budget, warmUpEnd, stop.Token), CancellationToken.None)));
        }

        await FinishAsync(runs, deadline + Ticks(_scenario.GracefulStop), stop, cancellationToken).ConfigureAwait(false);

        // Its VUs have returned (abandoned ones aside): its count is final, whatever later blocks record.
        _collector.WhileNotCollecting(() => _recordedInBlock = recorder.RecordedCalls() - _recordedBeforeStart);
    }

    /// <summary>
    /// Open model: a scheduler thread starts each iteration this segment owns at its time on an idle VU, grows the
    /// pool up to its maximum, and counts an iteration that finds no VU as dropped. From an offset
    /// <paramref name="from"/> into the block, only the iterations scheduled at or after it run.
    /// </summary>
    private async Task RunArrivalsAsync(ArrivalBlock block, long blockStart, TimeSpan from, CancellationToken cancellationToken)
    {
        var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var maxUsers = (int)_share.CountOwned(block.MaxPoolUsers);
        var pool = new ArrivalPool(maxUsers);
        var runs = new List<(int Local, Task Task)>();

        Task StartUser(int local, bool joinPool, out VirtualUser user)
        {
            var started = UserAt(local);
            started.OpenMailbox();
            var initialised = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            runs.Add((local, Task.Run(() => started.RunScheduledAsync(pool, joinPool, initialised, stop.Token), CancellationToken.None)));
            user = started;
            return initialised.Task;
        }

        // Pre-allocated VUs initialise before the schedule's clock starts, as k6 does; an init that hangs holds the
        // clock for at most the hook timeout, and a cancelled run does not wait for it at all.
        var initialised = Enumerable.Range(0, (int)_share.CountOwned(block.PreAllocatedUsers)).Select(local => StartUser(local, joinPool: true, out _)).ToArray();
        await CompletesWithinAsync(Task.WhenAll(initialised), _scenario.HookTimeout, cancellationToken).ConfigureAwait(false);

        var start = StartOf(blockStart) - Ticks(from);
        var firstOwned = from == TimeSpan.Zero ? 0 : _share.CountOwned(block.FirstAtOrAfter(from));
        // A graceful scenario stop ends the schedule; iterations already started finish.
        using var scheduling = CancellationTokenSource.CreateLinkedTokenSource(stop.Token, _feeds.Stopping);
        var scheduler = new ArrivalScheduler(block, _share, firstOwned, start, scheduling.Token, _measured.Gauges, _warmUp?.Gauges);
        await scheduler.RunAsync(
            pool,
            createUser: () =>
            {
                if (runs.Count >= maxUsers)
                {
                    return null;
                }

                StartUser(runs.Count, joinPool: false, out var user);
                return user;
            }).ConfigureAwait(false);

        foreach (var (local, _) in runs)
        {
            _users[local].CloseMailbox();
        }

        await FinishAsync(runs, start + Ticks(block.Duration + _scenario.GracefulStop), stop, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Waits for the VUs of a block until <paramref name="graceEndTimestamp"/>, then cancels them, then abandons
    /// (and replaces) any that still run <see cref="AbandonAfter"/> later.
    /// </summary>
    private async Task FinishAsync(List<(int Local, Task Task)> runs, long graceEndTimestamp, CancellationTokenSource stop, CancellationToken cancellationToken)
    {
        var all = Task.WhenAll(runs.Select(r => r.Task));
        try
        {
            var grace = TimeSpan.FromTicks(Math.Max(0, graceEndTimestamp - Stopwatch.GetTimestamp()) * TimeSpan.TicksPerSecond / Stopwatch.Frequency);
            if (!await CompletesWithinAsync(all, grace, cancellationToken).ConfigureAwait(false))
            {
                // Not awaited: callbacks that user code registered on step tokens run on the thread pool and
                // must not hold up the stop; a VU they block is abandoned like any other.
                _ = stop.CancelAsync();
                if (!await CompletesWithinAsync(all, AbandonAfter, CancellationToken.None).ConfigureAwait(false))
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

    private async Task CleanupAsync(CancellationToken cancellationToken)
    {
        var cleanups = _users.Select(u => u.CleanupAsync(_scenario.HookTimeout, cancellationToken)).ToArray();
        if (await CompletesWithinAsync(Task.WhenAll(cleanups), _scenario.HookTimeout + AbandonAfter, CancellationToken.None).ConfigureAwait(false))
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

    /// <summary>The VU with this segment-local index, created on first use.</summary>
    private VirtualUser UserAt(int local)
    {
        while (_users.Count <= local)
        {
            _users.Add(NewUser(_users.Count));
        }

        return _users[local];
    }

    private VirtualUser NewUser(int local) => new((int)_share.NthOwned(local), _scenario, _measured, _warmUp, _feeds, _http);

    /// <summary>A block's clock: the given timestamp, or now when it is 0.</summary>
    private static long StartOf(long blockStart) => blockStart != 0 ? blockStart : Stopwatch.GetTimestamp();

    private static long Ticks(TimeSpan duration) =>
        duration >= TimeSpan.FromDays(365) ? long.MaxValue / 2 : (long)(duration.TotalSeconds * Stopwatch.Frequency);

    /// <summary>Waits until a <see cref="Stopwatch"/> timestamp; false when cancelled first.</summary>
    private static async Task<bool> WaitUntilAsync(long timestamp, CancellationToken cancellationToken)
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
