namespace LoadKit.Targets;

/// <summary>
/// This process's share of a run that several processes run together, each on its own segment of the load (a
/// worker's part of a distributed run). It is the code a run in this process uses: an engine per scenario on the own
/// segment, plus engines for the parts of lost processes' load it takes over, and the generator's health sampled
/// alongside. A run target that spreads a plan over processes builds one in each, reads a snapshot from it about once
/// a second, adds up what arrives with <see cref="ShareTotals"/> and merges the processes' results with <see cref="ShareResults"/>.
/// </summary>
/// <remarks>
/// Snapshots are incremental: each carries only what is new since the previous one (the interval's counts and
/// histograms, the timeline points and health samples no earlier snapshot carried), so a snapshot costs the same in the
/// first minute and the hundredth; <see cref="ShareTotals.Add"/> adds them up exactly. Once snapshots are taken, the
/// result of <see cref="RunAsync"/> is the last of them: what no snapshot carried. Thresholds are watched where the
/// shares are merged, not here.
/// </remarks>
public sealed class ShareRun
{
    private readonly LocalRun _run;
    private readonly RunObservers _observers;
    private readonly bool _processWarmUp;
    private int _started;

    /// <summary>Builds the engines of segment <paramref name="segmentIndex"/>, so that <see cref="RunAsync"/> only has to start them.</summary>
    /// <param name="plan">The run, planned in this process as in the others (the same scenarios, profile and scale).</param>
    /// <param name="segments">The cut of the load into one segment per process.</param>
    /// <param name="segmentIndex">This process's segment.</param>
    /// <param name="observers">Observers of this process's share alone (a metrics exporter of this machine); null: none.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="segmentIndex"/> is not a segment of <paramref name="segments"/>.</exception>
    public ShareRun(RunPlan plan, LoadSegments segments, int segmentIndex, IEnumerable<IRunObserver>? observers = null)
        : this(plan, segments, segmentIndex, observers, processWarmUp: false)
    {
    }

    /// <param name="plan">The run.</param>
    /// <param name="segments">The cut of the load into one segment per process.</param>
    /// <param name="segmentIndex">This process's segment.</param>
    /// <param name="observers">Observers of this share alone.</param>
    /// <param name="processWarmUp">True for LoadKit's own process warm-up (<see cref="ProcessWarmUp"/>): no metrics, and no warm-up of its own.</param>
    internal ShareRun(RunPlan plan, LoadSegments segments, int segmentIndex, IEnumerable<IRunObserver>? observers, bool processWarmUp)
    {
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(segments);
        if (segmentIndex < 0 || segmentIndex >= segments.Count)
        {
            throw new ArgumentOutOfRangeException(nameof(segmentIndex), segmentIndex,
                $"segment index = {segmentIndex}: allowed 0 to {segments.Count - 1} for segments {segments}.");
        }

        Plan = plan;
        Segments = segments;
        Segment = segments.Describe(segmentIndex);
        _observers = RunObservers.Observe(plan, observers ?? []);
        _run = new LocalRun(plan, segments.Sequence, segmentIndex, _observers, incremental: true, publishMetrics: !processWarmUp);
        _processWarmUp = processWarmUp;
    }

    /// <summary>The run this is a share of.</summary>
    public RunPlan Plan { get; }

    /// <summary>The cut of the load into one segment per process; a take-over's part is one of these, or a part of one (<see cref="LoadSegments.Segment"/>).</summary>
    public LoadSegments Segments { get; }

    /// <summary>This process's segment as people read it, e.g. <c>segment 1 of 3 (0, 1/3]</c>.</summary>
    public string Segment { get; }

    /// <summary>
    /// Before the run's shared start instant: does what the first iteration would otherwise pay for after it — compiles
    /// LoadKit's hot paths once per process, creates and initialises the VUs the first load phase starts at once, and
    /// opens their HTTP connections (docs/distributed-ci.md, "A warm start"). Call it once, before <see cref="RunAsync"/>.
    /// </summary>
    /// <param name="cancellationToken">Stops the preparation.</param>
    public Task PrepareAsync(CancellationToken cancellationToken = default) => _run.PrepareAsync(cancellationToken, warmProcess: !_processWarmUp);

    /// <summary>
    /// Starts the engines at once, on the calling thread until each has handed its first VUs to the thread pool (so this
    /// returns as soon as they are started), and completes with the final statistics of the own segment and of every
    /// part taken over, once all have ended: all of them, or what no <see cref="TakeSnapshot"/> carried once snapshots
    /// were taken. A share runs once.
    /// </summary>
    /// <param name="startTimestamp">
    /// The <see cref="System.Diagnostics.Stopwatch"/> timestamp of the run's shared start instant, just passed: the
    /// engines' plan clocks start there, so what delays them after it shows as lag. 0: no shared instant; each engine
    /// starts its clock once its pre-allocated VUs are initialised.
    /// </param>
    /// <param name="startedAt">
    /// The wall-clock time of <paramref name="startTimestamp"/> on the clock the instant was given in (a worker: the
    /// clock its controller estimated its offset for), so every time the results report is on that clock; null: this
    /// machine's clock, read here.
    /// </param>
    /// <param name="cancellationToken">Stops the load; the result then holds what was measured.</param>
    /// <exception cref="InvalidOperationException">The share was started before.</exception>
    public async Task<LoadResult> RunAsync(long startTimestamp, DateTimeOffset? startedAt = null, CancellationToken cancellationToken = default)
    {
        if (Interlocked.Exchange(ref _started, 1) != 0)
        {
            throw new InvalidOperationException($"This share ({Segment}) was started before; a share runs once.");
        }

        _observers.Started(startTimestamp);
        var result = await _run.Start(startTimestamp, cancellationToken, startedAt).ConfigureAwait(false);
        return await _observers.CompleteAsync(result).ConfigureAwait(false);
    }

    /// <summary>
    /// Runs a part of a lost process's load (a part of its segment, or of a part it had itself taken over) from the plan
    /// time it names, at once. Of an iteration-counted block under way then, the part runs the count it is given (the
    /// controller splits what the lost process left undone, so the merged count is the planned one). Its progress is
    /// reported under the take-over's id.
    /// </summary>
    /// <returns>Whether the part runs: false once this share has ended (the part is then someone else's to run).</returns>
    /// <exception cref="ArgumentException">
    /// The part is not of this share's <see cref="Segments"/>, the id is below 1, the time is negative, or a count is
    /// negative or names a block that is not under way then.
    /// </exception>
    public bool TakeOver(SegmentTakeOver takeOver, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(takeOver);
        if (!Segments.Contain(takeOver.Part))
        {
            throw new ArgumentException($"take-over part = {takeOver.Part} of segments {takeOver.Part.Segments}: allowed a part of segments {Segments}.", nameof(takeOver));
        }

        return _run.TakeOver(takeOver, cancellationToken);
    }

    /// <summary>
    /// The statistics measured since the previous snapshot (counts and histograms of the interval; timeline points and
    /// health samples that no earlier snapshot carried) and the progress of the own segment and of each part taken over
    /// as of this snapshot. Call it from one reader at a time.
    /// </summary>
    public ShareSnapshot TakeSnapshot() => _run.TakeSnapshot();

    /// <summary>The progress of the own segment and of each part taken over in the final result of <see cref="RunAsync"/>.</summary>
    public IReadOnlyList<ScenarioProgress> FinalProgress() => _run.FinalProgress();
}

/// <summary>What a <see cref="ShareRun"/> reports at one instant (<see cref="ShareRun.TakeSnapshot"/>). Immutable.</summary>
/// <param name="Result">What was measured since the previous snapshot: the interval's counts and histograms, with the timeline points and health samples no earlier snapshot carried (add them up with <see cref="ShareTotals"/>).</param>
/// <param name="Progress">
/// Per scenario, of the own segment and of each part taken over (<see cref="ScenarioProgress.TakeOverId"/>), the progress
/// through its iteration-counted block, in those statistics.
/// </param>
public sealed record ShareSnapshot(LoadResult Result, IReadOnlyList<ScenarioProgress> Progress);
