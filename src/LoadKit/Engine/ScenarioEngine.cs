using System.Diagnostics;
using LoadKit.Engine.Executors;
using LoadKit.Feeds;
using LoadKit.HttpSteps;
using LoadKit.HttpWire;
using LoadKit.Stats;
using LoadKit.Workload;

namespace LoadKit.Engine;

/// <summary>
/// Runs one scenario's part of the load (its segment; the whole load in a local run) in this process: the plan's
/// blocks one after the other, then cleanup. Every block is bounded by its duration plus the graceful stop; VUs
/// still busy then are cancelled, and a VU that ignores cancellation is abandoned after a short wait, so a run
/// always ends by itself. An engine can also resume the plan part-way (taking over a lost process's segment): it
/// then runs what remains as if it had started that long ago. Each block runs on the executor of its kind
/// (<see cref="IExecutor"/>); the VUs and their stop rules are <see cref="VirtualUsers"/>, resume planning is
/// <see cref="Resume"/>.
/// </summary>
internal sealed class ScenarioEngine
{
    /// <summary>How long cancelled VUs get to return before they are given up on.</summary>
    internal static TimeSpan AbandonAfter => VirtualUsers.AbandonAfter;

    private readonly Scenario _scenario;
    private readonly LoadPlan _plan;
    private readonly SegmentShare _share;
    private readonly TimeSpan _resumeAt;
    private readonly ScenarioStats _measured;
    private readonly ScenarioStats? _warmUp;
    private readonly ActiveUsers _activeUsers;
    private readonly VirtualUsers _users;
    private readonly Action<ScenarioResult, IterationProgress>? _onSnapshot;
    private readonly long? _resumedIterations;
    private readonly FeedRun _feeds;
    private readonly HttpClients _http;
    private readonly RequirementCheck _requirements;
    private readonly bool _publishMetrics;

    // The last iteration-counted block started, for progress reports.
    private readonly IterationProgressTracker _progress = new();

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
    /// <param name="publishMetrics">Whether the run shows in <see cref="LoadKitMetrics"/> (not LoadKit's own process warm-up).</param>
    public ScenarioEngine(
        Scenario scenario,
        LoadPlan plan,
        SegmentShare share,
        TimeSpan resumeAt = default,
        Action<ScenarioResult, IterationProgress>? onSnapshot = null,
        long? resumedIterations = null,
        bool publishMetrics = true)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(resumeAt, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfNegative(resumedIterations ?? 0, nameof(resumedIterations));
        _onSnapshot = onSnapshot;
        _resumedIterations = resumedIterations;
        // Where responses are read, when the settings leave it open, follows this process's share of the load.
        _http = new HttpClients(scenario.Http.ResponsesOnSocketThread is null
            ? scenario.Http with { ResponsesOnSocketThread = SocketThread.SuitsLoad(plan, share) }
            : scenario.Http);
        _scenario = scenario;
        _plan = plan;
        _share = share;
        _resumeAt = resumeAt;
        _feeds = new FeedRun(scenario.Feeds, scenario.Name, share);
        _activeUsers = new ActiveUsers();
        _publishMetrics = publishMetrics;
        _measured = new ScenarioStats(scenario, _activeUsers, isWarmUp: false, publishMetrics: publishMetrics);
        _warmUp = BlocksToRun().Any(b => b.Block.WarmUpUntil > b.From) ? new ScenarioStats(scenario, _activeUsers, isWarmUp: true, _measured.RecordLock, publishMetrics) : null;
        _users = new VirtualUsers(scenario, share, _measured, _warmUp, _feeds, _http);

        // Refuses, before anything starts, a share this process cannot run (no browser here, too many browser users).
        _requirements = new RequirementCheck(scenario, () => Math.Max(PlannedUsers(warmUp: true), PlannedUsers(warmUp: false)));
    }

    /// <summary>Whether LoadKit's engine reads this scenario's responses on the socket thread (the setting, or its load: <see cref="SocketThread.SuitsLoad"/>).</summary>
    internal bool ReadsOnSocketThread => _http.InlineResponses;

    /// <summary>Lets the timelines' points of seconds before <paramref name="second"/> go: they were sent (a worker's snapshots). Any thread.</summary>
    internal void ForgetTimelinesBefore(int second)
    {
        foreach (var source in _measured.IntervalSources.Concat(_warmUp?.IntervalSources ?? []))
        {
            source.ForgetBefore(second);
        }
    }

    /// <summary>
    /// What the run's notes must say about this scenario: why it stopped early (a unique feed ran out), and that its
    /// HTTP latency excludes the network (requests went to an in-process handler).
    /// </summary>
    internal IReadOnlyList<string> Notes =>
        new[] { _feeds.Note, _http.Note(_scenario.Name) }.Concat(_requirements.Notes).OfType<string>().ToArray();

    /// <summary>
    /// Whether the snapshot of a second is wanted (null: always); a snapshot costs a copy of every histogram, so a
    /// progress view that shows nothing yet skips it.
    /// </summary>
    internal Func<bool>? SnapshotWanted { get; init; }

    /// <summary>The feeds bound to this engine's share.</summary>
    internal FeedRun Feeds => _feeds;

    /// <summary>
    /// Before a shared start instant, does what the first iteration would otherwise pay for after it: opens the HTTP
    /// connections, creates and initialises the VUs that the first block starts at once and lets their preparable steps
    /// (<see cref="IPreparableStep"/>) prepare them; with <paramref name="connectionsOnly"/> only the first. Nothing for
    /// an engine that resumes part-way (a take-over starts at once).
    /// </summary>
    public async Task PrepareAsync(CancellationToken cancellationToken, bool connectionsOnly = false)
    {
        if (_resumeAt > TimeSpan.Zero || _plan.Blocks.Count == 0)
        {
            return;
        }

        var users = (int)_share.CountOwned(_plan.Blocks[0].UsersAtStart);
        await _http.OpenConnectionsAsync(users, cancellationToken).ConfigureAwait(false);
        if (!connectionsOnly)
        {
            await _users.PrepareAsync(users, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Runs the plan, then cleanup, and returns what was measured.</summary>
    /// <param name="cancellationToken">Stops the run promptly; the result covers what ran until then.</param>
    /// <param name="startTimestamp">
    /// A <see cref="Stopwatch"/> timestamp at which the plan's clock starts (a distributed run's shared instant, just
    /// passed); 0: now. Whatever delays the first block after it (JIT, init) shows as scheduling lag.
    /// </param>
    /// <param name="startedAt">
    /// The wall-clock time of <paramref name="startTimestamp"/> as the caller read it (a worker: the clock its start
    /// instant was given in); null: read here. Every time in the result derives from it.
    /// </param>
    public async Task<ScenarioResult> RunAsync(CancellationToken cancellationToken, long startTimestamp = 0, DateTimeOffset? startedAt = null)
    {
        var now = Stopwatch.GetTimestamp();
        var sharedStart = startTimestamp is > 0 && startTimestamp <= now;
        var start = sharedStart ? startTimestamp : now;
        var startedAtWall = sharedStart && startedAt is { } given ? given : Clock.UtcAt(start);
        _feeds.Started(start);
        using var published = _publishMetrics ? LoadKitMetrics.Track(_scenario.Name, () => _activeUsers.Current) : null;
        var collector = new StatsCollector(
            [.. _measured.IntervalSources, .. _warmUp?.IntervalSources ?? []],
            _onSnapshot is null ? null : () =>
            {
                if (SnapshotWanted?.Invoke() != false)
                {
                    _onSnapshot(ToResult(startedAtWall, start, Stopwatch.GetElapsedTime(start)), _progress.Current());
                }
            },
            _resumeAt,
            _measured.RecordLock);
        var context = new ExecutorContext(_scenario, _share, _users, _measured, _warmUp, _feeds, collector, _progress);
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
                    _activeUsers.MeasuredStartsAt(Stopwatch.GetTimestamp() + Clock.Ticks(block.WarmUpUntil > from ? block.WarmUpUntil - from : TimeSpan.Zero));
                }

                await ExecutorFor(index, block).RunAsync(context, blockStart, from, cancellationToken).ConfigureAwait(false);
                blockStart = 0;
            }
        }
        finally
        {
            // Cleanup is not part of the measured duration, but its calls are part of the result.
            duration = Stopwatch.GetElapsedTime(start);
            await _users.CleanupAsync(cancellationToken).ConfigureAwait(false);
            _http.Dispose();
            await collector.StopAsync().ConfigureAwait(false);
        }

        return ToResult(startedAtWall, start, duration);
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
        var firstCall = _activeUsers.FirstCall;
        return _measured.ToResult(
            _scenario.Name, startedAt + warmUpDuration, duration - warmUpDuration, PlannedUsers(warmUp: false), _users.Abandoned, warmUp) with
        {
            FirstCallAt = firstCall == 0 ? null : startedAt + Stopwatch.GetElapsedTime(start, firstCall),
        };
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

    /// <inheritdoc cref="Resume.Blocks"/>
    internal static IEnumerable<(int Index, PlanBlock Block, TimeSpan From)> Resumed(LoadPlan plan, TimeSpan resumeAt) => Resume.Blocks(plan, resumeAt);

    /// <inheritdoc cref="Resume.IterationBlockUnderWay"/>
    internal static (int Index, IterationsBlock Block)? IterationBlockUnderWay(LoadPlan plan, TimeSpan resumeAt) => Resume.IterationBlockUnderWay(plan, resumeAt);

    /// <summary>The blocks this engine runs, from the resume offset on.</summary>
    private IEnumerable<(int Index, PlanBlock Block, TimeSpan From)> BlocksToRun() => Resume.Blocks(_plan, _resumeAt);

    /// <summary>The executor of a block's kind, made for this block.</summary>
    private IExecutor ExecutorFor(int index, PlanBlock block) => block switch
    {
        UsersBlock users => new UsersExecutor(users),
        ArrivalBlock arrivals => new ArrivalRateExecutor(arrivals),
        IterationsBlock iterations => new IterationsExecutor(index, iterations, _resumedIterations),
        _ => throw new InvalidOperationException($"Unknown plan block {block.GetType().Name}."),
    };
}
