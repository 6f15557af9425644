using LoadKit.Distributed;
using LoadKit.Distributed.Protocol;
using LoadKit.Engine;

namespace LoadKit.Worker.Runs;

/// <summary>
/// This worker's part of a run: an engine per scenario on its own share, plus engines for parts of lost workers it
/// takes over. A snapshot holds the totals so far and the timeline points no earlier snapshot carried, and how far the
/// own share has got through its iteration-counted block under way, counted in those very totals.
/// </summary>
internal sealed class ShareRun(IReadOnlyList<Scenario> scenarios, RunOptions options, SegmentSequence sequence, SegmentShare share)
{
    private readonly List<Part> _parts = [];
    private readonly Lock _gate = new();
    private DateTimeOffset _startedAt;
    private bool _closed;
    private Uri? _otlpEndpoint;
    private Telemetry.OtlpExport? _export;
    private Health.HealthSampler? _health;
    private int _healthSent;

    public IEnumerable<string> ScenarioNames => scenarios.Select(s => s.Name);

    public SegmentShare Share => share;

    /// <summary>
    /// Starts the engines now (each on the thread pool, so this returns at once); completes with the final result
    /// once they and any take-overs have ended. The engines for the own share were built beforehand.
    /// </summary>
    /// <param name="startTimestamp">The <see cref="System.Diagnostics.Stopwatch"/> timestamp of the shared start instant, just passed.</param>
    /// <param name="cancellationToken">Stops the load.</param>
    public Task<LoadResult> Start(long startTimestamp, CancellationToken cancellationToken)
    {
        _startedAt = DateTimeOffset.UtcNow - System.Diagnostics.Stopwatch.GetElapsedTime(startTimestamp);
        _export = Telemetry.OtlpExport.Start(_otlpEndpoint);
        _health = new Health.HealthSampler(Health.HealthSampler.ThisProcess, startTimestamp, LoadRunner.PlannedDuration(scenarios.Select(s => s.PlanFor(options))));
        _health.Start();
        lock (_gate)
        {
            foreach (var part in _parts)
            {
                part.Start(startTimestamp, cancellationToken);
            }
        }

        return CompleteAsync(cancellationToken);
    }

    /// <summary>Builds the engines of the own share, so that <see cref="Start"/> only has to start them.</summary>
    public void Prepare()
    {
        // The worker's own environment (or what the controller forwarded) says where its live metrics go.
        _otlpEndpoint = options.OtlpEndpoint ?? RunOptions.ObservationFromEnvironment(RunOptions.Default).OtlpEndpoint;
        foreach (var scenario in scenarios)
        {
            Add(scenario, scenario.PlanFor(options), share, TimeSpan.Zero, iterations: null, takenOver: false, cancellationToken: null);
        }
    }

    /// <summary>
    /// Runs a part of a lost worker's share from the plan time the controller gives. Of an iteration-counted block
    /// under way then, the part runs its exact share of the iterations the lost worker's last snapshot did not count
    /// (all of them when no snapshot had arrived).
    /// </summary>
    public void TakeOver(TakeOver takeOver, CancellationToken cancellationToken)
    {
        if (takeOver.PartCount < 1 || takeOver.PartIndex < 0 || takeOver.PartIndex >= takeOver.PartCount
            || takeOver.LostSegmentIndex < 0 || takeOver.LostSegmentIndex >= sequence.Count || takeOver.ResumeAtMs < 0)
        {
            throw new ArgumentException(
                $"take-over = part {takeOver.PartIndex} of {takeOver.PartCount} of segment {takeOver.LostSegmentIndex} at {takeOver.ResumeAtMs} ms: " +
                $"allowed a part 0 to count-1 of a segment 0 to {sequence.Count - 1}, from 0 ms.");
        }

        var part = IterationTakeOver.Part(sequence, takeOver.LostSegmentIndex, takeOver.PartIndex, takeOver.PartCount);
        var resumeAt = TimeSpan.FromMilliseconds(takeOver.ResumeAtMs);
        foreach (var scenario in scenarios)
        {
            var plan = scenario.PlanFor(options);
            long? iterations = null;
            if (takeOver.ProgressKnown && ScenarioEngine.IterationBlockUnderWay(plan, resumeAt) is var (index, block))
            {
                var reported = takeOver.IterationProgress.FirstOrDefault(p => p.Scenario == scenario.Name);
                var progress = reported is null ? IterationProgress.None : new IterationProgress(reported.BlockIndex, reported.Completed);
                var remaining = IterationTakeOver.Remaining(block, index, sequence.Share(takeOver.LostSegmentIndex), progress);
                iterations = IterationTakeOver.PartOf(remaining, block, sequence, takeOver.LostSegmentIndex, takeOver.PartIndex, takeOver.PartCount);
            }

            Add(scenario, plan, part, resumeAt, iterations, takenOver: true, cancellationToken);
        }
    }

    /// <summary>The statistics so far, and the own share's progress in them. Called by one sender at a time.</summary>
    public (LoadResult Result, BlockProgress[] Progress) TakeSnapshot()
    {
        Part[] parts;
        lock (_gate)
        {
            parts = [.. _parts];
        }

        // One read per part, so each scenario's progress is that of the statistics sent with it.
        var latest = parts.ToDictionary(p => p, p => p.Latest);
        return (Combine(parts, p => latest[p]?.Result, cancelled: false), ProgressOf(parts, p => latest[p]));
    }

    /// <summary>The own share's progress in the final result (the engines' last reports are their final statistics).</summary>
    public BlockProgress[] FinalProgress()
    {
        lock (_gate)
        {
            return ProgressOf([.. _parts], p => p.Latest);
        }
    }

    private static BlockProgress[] ProgressOf(Part[] parts, Func<Part, Reported?> select) =>
    [
        .. parts.Where(p => !p.TakenOver).Select(p =>
        {
            // Nothing reported yet: the statistics hold none of its iterations either.
            var progress = select(p)?.Progress ?? IterationProgress.None;
            return new BlockProgress { Scenario = p.Scenario, BlockIndex = progress.Block, Completed = progress.Completed };
        }),
    ];

    /// <summary>Adds an engine; starts it at once unless <paramref name="cancellationToken"/> is null (not started yet).</summary>
    private void Add(Scenario scenario, LoadPlan plan, SegmentShare part, TimeSpan resumeAt, long? iterations, bool takenOver, CancellationToken? cancellationToken)
    {
        lock (_gate)
        {
            if (_closed)
            {
                return;
            }

            var entry = new Part(scenario, plan, part, resumeAt, takenOver, iterations);
            _parts.Add(entry);
            if (cancellationToken is { } token)
            {
                entry.Start(0, token);
            }
        }
    }

    private async Task<LoadResult> CompleteAsync(CancellationToken cancellationToken)
    {
        try
        {
            while (true)
            {
                Task[] running;
                lock (_gate)
                {
                    running = [.. _parts.Select(p => p.Run!)]; // every part is started by now: Start starts all, TakeOver at once
                }

                await Task.WhenAll(running).ConfigureAwait(false);
                lock (_gate)
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
            // The sampler's thread and the exporter end with the run, however it ends.
            _health?.Stop();
            _export?.Dispose();
        }

        Part[] all;
        lock (_gate)
        {
            all = [.. _parts];
        }

        var final = Combine(all, p => p.Run!.Result, cancellationToken.IsCancellationRequested);
        return _export?.FailureNote is { } note ? final with { Notes = [.. final.Notes, note] } : final;
    }

    private LoadResult Combine(Part[] parts, Func<Part, ScenarioResult?> select, bool cancelled)
    {
        var merged = parts
            .Select(p => (Part: p, Result: select(p)))
            .Where(p => p.Result is not null)
            .Select(p => (p.Part, Result: ResultMerge.TimelinesFrom(p.Result!, p.Part.TakeTimelineFrom(p.Result!))))
            .GroupBy(p => p.Part.Scenario, StringComparer.Ordinal)
            .Select(g => ResultMerge.Merge([.. g.Select(p => p.Result)]) with
            {
                // A taken-over part adds load, not planned VUs: those are counted in the lost worker's result.
                Users = g.Where(p => !p.Part.TakenOver).Sum(p => p.Result.Users),
            })
            .ToArray();
        string[] notes = [.. parts.SelectMany(p => p.Engine.Notes)];

        // Health samples go once each, like the timeline points.
        var health = _health?.Since(_healthSent);
        _healthSent += health?.Samples.Count ?? 0;
        return new LoadResult(_startedAt, DateTimeOffset.UtcNow, cancelled, merged) { Notes = notes, Generators = health is null ? [] : [health] };
    }

    /// <summary>An engine's statistics and its iteration-counted block's progress, taken at the same instant.</summary>
    private sealed record Reported(ScenarioResult Result, IterationProgress Progress);

    /// <summary>One engine of this run, the latest statistics it reported, and how much of its timeline was sent.</summary>
    private sealed class Part
    {
        private int _sentThrough = -1;

        public Part(Scenario scenario, LoadPlan plan, SegmentShare share, TimeSpan resumeAt, bool takenOver, long? iterations)
        {
            Scenario = scenario.Name;
            TakenOver = takenOver;
            Engine = new ScenarioEngine(scenario, plan, share, resumeAt, (result, progress) => Latest = new Reported(result, progress), iterations);
        }

        public string Scenario { get; }

        public bool TakenOver { get; }

        public ScenarioEngine Engine { get; }

        /// <summary>The engine's run; null until started.</summary>
        public Task<ScenarioResult>? Run { get; private set; }

        /// <summary>The engine's latest statistics and its progress in them, replaced as one.</summary>
        public volatile Reported? Latest;

        public void Start(long startTimestamp, CancellationToken cancellationToken) =>
            Run = Task.Run(() => Engine.RunAsync(cancellationToken, startTimestamp), CancellationToken.None);

        /// <summary>The first second not sent yet; from now on, everything up to the result's last second counts as sent.</summary>
        public int TakeTimelineFrom(ScenarioResult result)
        {
            var from = _sentThrough + 1;
            _sentThrough = Math.Max(_sentThrough, result.Timeline.Count == 0 ? -1 : result.Timeline[^1].Second);
            return from;
        }
    }
}
