using LoadKit.Engine;
using LoadKit.Engine.Executors;
using LoadKit.Health;
using LoadKit.Results;
using LoadKit.Workload;

namespace LoadKit.Targets;

/// <summary>
/// A run in this process: an engine per scenario on this process's segment of the load (the whole load when it runs
/// alone), plus engines for parts of lost processes' segments it takes over, the generator's health sampled alongside.
/// A local run and a worker's share are the same code; a worker additionally reads snapshots that carry only what
/// is new since the previous one: the interval's counts and histograms, timeline points and health samples.
/// </summary>
internal sealed class LocalRun
{
    private readonly RunPlan _plan;
    private readonly SegmentShare _share;
    private readonly RunObservers? _observers;
    private readonly bool _incremental;
    private readonly bool _publishMetrics;
    private readonly List<Part> _parts = [];
    private readonly Lock _partsLock = new();
    private DateTimeOffset _startedAt;
    private bool _closed;
    private readonly HealthSampler _health;
    private int _healthSent;

    /// <param name="plan">The run.</param>
    /// <param name="sequence">The segments the load is cut into, one per process.</param>
    /// <param name="segmentIndex">This process's segment.</param>
    /// <param name="observers">Who gets the statistics once a second; null: nobody here (a worker's snapshots are read with <see cref="TakeSnapshot"/>).</param>
    /// <param name="incremental">Whether each result carries only what no earlier one carried (the interval's statistics, timeline points and health samples).</param>
    /// <param name="publishMetrics">Whether the run shows in <see cref="LoadKitMetrics"/> (not LoadKit's own process warm-up).</param>
    public LocalRun(RunPlan plan, SegmentSequence sequence, int segmentIndex, RunObservers? observers, bool incremental, bool publishMetrics = true)
    {
        _publishMetrics = publishMetrics;
        if (segmentIndex < 0 || segmentIndex >= sequence.Count)
        {
            throw new ArgumentException($"segment index = {segmentIndex}: allowed 0 to {sequence.Count - 1} for segments {sequence}.");
        }

        _plan = plan;
        _health = new HealthSampler(HealthSampler.ThisProcess, plan.PlannedDuration);
        _share = sequence.Share(segmentIndex);
        _observers = observers;
        _incremental = incremental;
        for (var i = 0; i < plan.Scenarios.Count; i++)
        {
            Add(i, _share, TimeSpan.Zero, iterations: null, takeOverId: 0, cancellationToken: null);
        }
    }

    /// <summary>This process's segment.</summary>
    public SegmentShare Share => _share;

    /// <summary>
    /// Before a shared start instant (or a run alone's start): compiles LoadKit's hot paths once per process
    /// (<see cref="ProcessWarmUp"/>), then lets every engine open its connections and initialise the VUs its first
    /// block starts at once, so that the first requests leave at the instant rather than after that work
    /// (docs/distributed-ci.md, "A warm start").
    /// </summary>
    /// <param name="cancellationToken">Stops the preparation.</param>
    /// <param name="warmProcess">False for the process warm-up's own run.</param>
    /// <param name="connectionsOnly">
    /// Only the process warm-up and the connections: for a run alone, whose engines initialise their first VUs
    /// themselves before their clocks start.
    /// </param>
    public async Task PrepareAsync(CancellationToken cancellationToken, bool warmProcess = true, bool connectionsOnly = false)
    {
        if (warmProcess)
        {
            await ProcessWarmUp.EnsureAsync(ProcessWarmUp.For(_plan.Scenarios)).WaitAsync(cancellationToken).ConfigureAwait(false);
        }

        await Task.WhenAll(Parts().Select(p => p.Engine.PrepareAsync(cancellationToken, connectionsOnly))).ConfigureAwait(false);

        // The sampler's thread is made now and waits for the instant, which then costs only a few counter reads.
        _health.Prepare();
    }

    /// <summary>
    /// Starts the health sampler's clock and the engines now, on the calling thread up to the point where each engine
    /// has queued its first VUs to the thread pool (no hop before that: at a shared instant it would delay the first
    /// requests by a scheduling delay); completes with the final result once they and any take-overs have ended.
    /// </summary>
    /// <param name="startTimestamp">
    /// The <see cref="System.Diagnostics.Stopwatch"/> timestamp of a shared start instant, just passed; 0: no shared
    /// instant, each engine starts its clock once its pre-allocated VUs are initialised (a run alone).
    /// </param>
    /// <param name="cancellationToken">Stops the load.</param>
    /// <param name="startedAt">
    /// The wall-clock time of <paramref name="startTimestamp"/> as the caller read it (a worker: in the clock its
    /// controller gave the instant in, so every time it reports is in that clock); null: read here.
    /// </param>
    public Task<LoadResult> Start(long startTimestamp, CancellationToken cancellationToken, DateTimeOffset? startedAt = null)
    {
        var origin = startTimestamp != 0 ? startTimestamp : System.Diagnostics.Stopwatch.GetTimestamp();
        _startedAt = startTimestamp != 0 && startedAt is { } given ? given : Clock.UtcAt(origin);
        _health.StartAt(origin);
        lock (_partsLock)
        {
            foreach (var part in _parts)
            {
                part.Start(startTimestamp, startTimestamp != 0 ? _startedAt : null, cancellationToken);
            }
        }

        return CompleteAsync(cancellationToken);
    }

    /// <summary>
    /// Runs a part of a lost process's load (a part of its segment, or of a part it had itself taken over) from the
    /// plan time given; of an iteration-counted block under way then, the iteration count given. Its progress is
    /// reported under the take-over's id.
    /// </summary>
    /// <returns>Whether the part runs: false once this run has ended.</returns>
    /// <exception cref="ArgumentException">The take-over starts before the plan, or gives a count for a block that is not under way then.</exception>
    public bool TakeOver(SegmentTakeOver takeOver, CancellationToken cancellationToken)
    {
        if (takeOver.ResumeAt < TimeSpan.Zero || takeOver.Id < 1)
        {
            throw new ArgumentException($"take-over = {takeOver.Id} of {takeOver.Part} at {takeOver.ResumeAt.TotalMilliseconds} ms: allowed an id from 1, from 0 ms.");
        }

        var iterations = new long?[_plan.Scenarios.Count];
        foreach (var (name, block, count) in takeOver.Iterations)
        {
            var i = _plan.Scenarios.ToList().FindIndex(s => s.Name == name);
            if (i < 0 || ScenarioEngine.IterationBlockUnderWay(_plan.Loads[i], takeOver.ResumeAt) is not (var index, _) || index != block || count < 0)
            {
                throw new ArgumentException(
                    $"take-over iterations = {count} of block {block} of scenario '{name}' at {takeOver.ResumeAt.TotalMilliseconds} ms: " +
                    "allowed only a count from 0 for a scenario's iteration-counted block under way then.");
            }

            iterations[i] = count;
        }

        lock (_partsLock)
        {
            if (_closed)
            {
                return false;
            }

            for (var i = 0; i < _plan.Scenarios.Count; i++)
            {
                Add(i, takeOver.Part.Share, takeOver.ResumeAt, iterations[i], takeOver.Id, cancellationToken);
            }

            return true;
        }
    }

    /// <summary>The statistics so far, and the progress in them of the own segment and of each part taken over. Called by one reader at a time.</summary>
    public ShareSnapshot TakeSnapshot()
    {
        var parts = Parts();

        // One read per part, so each scenario's progress is that of the statistics sent with it.
        var latest = parts.ToDictionary(p => p, p => p.Latest);
        return new ShareSnapshot(Combine(parts, p => latest[p]?.Result, cancelled: false), ProgressOf(parts, p => latest[p]));
    }

    /// <summary>The progress of the own segment and of each part taken over in the final result (the engines' last reports are their final statistics).</summary>
    public IReadOnlyList<ScenarioProgress> FinalProgress() => ProgressOf(Parts(), p => p.Latest);

    private Part[] Parts()
    {
        lock (_partsLock)
        {
            return [.. _parts];
        }
    }

    private static ScenarioProgress[] ProgressOf(Part[] parts, Func<Part, Reported?> select) =>
        [.. parts.Select(p => new ScenarioProgress(p.Scenario, p.TakeOverId, select(p)?.Progress ?? IterationProgress.None))];

    /// <summary>Adds an engine; starts it at once unless <paramref name="cancellationToken"/> is null (not started yet).</summary>
    private void Add(int scenario, SegmentShare part, TimeSpan resumeAt, long? iterations, int takeOverId, CancellationToken? cancellationToken)
    {
        lock (_partsLock)
        {
            if (_closed)
            {
                return;
            }

            var entry = new Part(this, _plan.Scenarios[scenario], _plan.Loads[scenario], part, resumeAt, takeOverId, iterations);
            _parts.Add(entry);
            if (cancellationToken is { } token)
            {
                entry.Start(0, null, token);
            }
        }
    }

    /// <summary>Hands the observers every scenario's latest statistics, after one engine reported.</summary>
    private void Publish()
    {
        if (_observers is not { WantsSnapshots: true } observers)
        {
            return;
        }

        var latest = Combine(Parts(), p => p.Latest?.Result, cancelled: false, consume: false);
        observers.Publish(new RunSnapshot(latest.Scenarios) { Generators = [Generator(latest.Scenarios)] });
    }

    /// <summary>
    /// This process as a live view shows it: the calls of the latest second any step reported (the progress line's
    /// rate) and its health then. Reads only the latest points, so it costs the same in any second of the run.
    /// </summary>
    private GeneratorSnapshot Generator(IReadOnlyList<ScenarioResult> scenarios)
    {
        var second = -1;
        foreach (var step in scenarios.SelectMany(s => s.Steps))
        {
            second = step.Timeline.Count > 0 ? Math.Max(second, step.Timeline[^1].Second) : second;
        }

        long calls = 0;
        foreach (var step in scenarios.SelectMany(s => s.Steps))
        {
            if (step.Timeline.Count > 0 && step.Timeline[^1] is { } point && point.Second == second)
            {
                calls += point.Ok + point.Failed + point.TimedOut;
            }
        }

        return new GeneratorSnapshot(HealthSampler.ThisProcess, null, null, second, calls, Environment.ProcessorCount, _health.At(second));
    }

    private async Task<LoadResult> CompleteAsync(CancellationToken cancellationToken)
    {
        try
        {
            while (true)
            {
                Task[] running;
                lock (_partsLock)
                {
                    running = [.. _parts.Select(p => p.Run!)]; // every part is started by now: Start starts all, TakeOver at once
                }

                await Task.WhenAll(running).ConfigureAwait(false);
                lock (_partsLock)
                {
                    if (_parts.Count == running.Length)
                    {
                        _closed = true;
                        break;
                    }
                }
            }
        }
        finally
        {
            // The sampler's thread ends with the run, however it ends.
            _health.Stop();
        }

        return Combine(Parts(), p => p.Run!.Result, cancellationToken.IsCancellationRequested, final: true);
    }

    /// <summary>
    /// The parts' statistics per scenario; <paramref name="consume"/>: a result that is sent (an incremental one then
    /// holds only what no earlier one sent: each part's interval since its previous one).
    /// </summary>
    private LoadResult Combine(Part[] parts, Func<Part, ScenarioResult?> select, bool cancelled, bool consume = true, bool final = false)
    {
        Func<Part, ScenarioResult?> read = consume && _incremental ? p => select(p) is { } result ? p.TakeInterval(result, final) : null : select;
        var merged = parts
            .Select(p => (Part: p, Result: read(p)))
            .Where(p => p.Result is not null)
            .Select(p => (p.Part, Result: p.Result!))
            .GroupBy(p => p.Part.Scenario, StringComparer.Ordinal)
            .Select(g => g.Count() == 1 ? g.First().Result : ResultMerge.Merge([.. g.Select(p => p.Result)]) with
            {
                // A taken-over part adds load, not planned VUs: those are counted in the lost process's result.
                Users = g.Where(p => !p.Part.TakenOver).Sum(p => p.Result.Users),
            })
            .ToArray();
        string[] notes = [.. parts.SelectMany(p => p.Engine.Notes)];

        // Health samples go once each in incremental results, like the timeline points.
        var health = consume ? _health.Since(_incremental ? _healthSent : 0) : null;
        if (consume && _incremental)
        {
            _healthSent += health?.Samples.Count ?? 0;
        }

        return new LoadResult(_startedAt, DateTimeOffset.UtcNow, cancelled, merged) { Notes = notes, Generators = health is null ? [] : [health] };
    }

    /// <summary>An engine's statistics and its iteration-counted block's progress, taken at the same instant.</summary>
    private sealed record Reported(ScenarioResult Result, IterationProgress Progress);

    /// <summary>One engine of this run, the latest statistics it reported, and what of them was sent.</summary>
    private sealed class Part
    {
        private readonly Lock _sending = new();
        private ScenarioResult? _sent;
        private int _sentThrough = -1;
        private bool _ended;

        public Part(LocalRun run, Scenario scenario, LoadPlan plan, SegmentShare share, TimeSpan resumeAt, int takeOverId, long? iterations)
        {
            Scenario = scenario.Name;
            TakeOverId = takeOverId;
            var observers = run._observers;
            var read = run._incremental;
            Engine = new ScenarioEngine(scenario, plan, share, resumeAt, (result, progress) =>
            {
                Latest = new Reported(result, progress);
                if (observers is not null)
                {
                    run.Publish();
                }
            }, iterations, run._publishMetrics)
            {
                // A worker's snapshots are read each second; here they are built only while an observer wants them.
                SnapshotWanted = read || observers is null ? null : () => observers.WantsSnapshots,
            };
        }

        public string Scenario { get; }

        /// <summary>0: the own segment; otherwise the take-over that added it.</summary>
        public int TakeOverId { get; }

        public bool TakenOver => TakeOverId != 0;

        public ScenarioEngine Engine { get; }

        /// <summary>The engine's run; null until started.</summary>
        public Task<ScenarioResult>? Run { get; private set; }

        /// <summary>The engine's latest statistics and its progress in them, replaced as one.</summary>
        public volatile Reported? Latest;

        /// <summary>Runs the engine until its first wait on this thread; its VUs run on the thread pool (user code never runs here).</summary>
        public void Start(long startTimestamp, DateTimeOffset? startedAt, CancellationToken cancellationToken) =>
            Run = Engine.RunAsync(cancellationToken, startTimestamp, startedAt);

        /// <summary>
        /// What <paramref name="result"/> holds beyond the statistics sent before (counts and histograms of the interval,
        /// timeline points not sent), which from now on count as sent; null once the final statistics were sent (a
        /// snapshot that raced the end has nothing left to send).
        /// </summary>
        public ScenarioResult? TakeInterval(ScenarioResult result, bool final)
        {
            lock (_sending)
            {
                if (_ended)
                {
                    return null;
                }

                var interval = ResultDelta.Since(_sent, result, _sentThrough + 1);
                _sent = result;
                _sentThrough = Math.Max(_sentThrough, result.Timeline.Count == 0 ? -1 : result.Timeline[^1].Second);
                _ended = final;

                // Sent points are read again only back to the one before the next snapshot's first: a minute is ample.
                Engine.ForgetTimelinesBefore(_sentThrough - 60);
                return interval;
            }
        }
    }
}
