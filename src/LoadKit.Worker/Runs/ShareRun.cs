using LoadKit.Cluster.Protocol;
using LoadKit.Engine;
using LoadKit.Targets;
using LoadKit.Workload;

namespace LoadKit.Worker.Runs;

/// <summary>
/// This worker's part of a run: the in-process run of its segment (<see cref="LocalRun"/>, the code a local run uses)
/// with the protocol's take-overs and progress translated, and the live metrics exported when the worker's
/// environment names an OTLP endpoint.
/// </summary>
internal sealed class ShareRun
{
    private readonly RunPlan _plan;
    private readonly SegmentSequence _sequence;
    private readonly int _segment;
    private readonly LocalRun _run;
    private readonly RunObservers _observers;

    /// <summary>Builds the engines of the own share, so that <see cref="Start"/> only has to start them.</summary>
    public ShareRun(RunPlan plan, SegmentSequence sequence, int segmentIndex)
    {
        (_plan, _sequence, _segment) = (plan, sequence, segmentIndex);

        // The worker's own environment (or what the controller forwarded) says where its live metrics go.
        _observers = RunObservers.Observe(plan, OtlpExporter.FromEnvironment() is { } exporter ? [exporter] : []);
        _run = new LocalRun(plan, sequence, segmentIndex, _observers, incremental: true);
    }

    public IEnumerable<string> ScenarioNames => _plan.Scenarios.Select(s => s.Name);

    public SegmentShare Share => _sequence.Share(_segment);

    /// <inheritdoc cref="LocalRun.PrepareAsync"/>
    public Task PrepareAsync(CancellationToken cancellationToken) => _run.PrepareAsync(cancellationToken);

    /// <summary>Starts the engines at the shared instant just passed; completes with the final result (its observers' notes added).</summary>
    /// <param name="startTimestamp">The instant, on this process's <see cref="System.Diagnostics.Stopwatch"/>.</param>
    /// <param name="startedAt">The same instant on the clock the controller gave it in: every time the results report is on it.</param>
    /// <param name="cancellationToken">Stops the load.</param>
    public async Task<LoadResult> Start(long startTimestamp, DateTimeOffset startedAt, CancellationToken cancellationToken)
    {
        _observers.Started(startTimestamp);
        var result = await _run.Start(startTimestamp, cancellationToken, startedAt).ConfigureAwait(false);
        return await _observers.CompleteAsync(result).ConfigureAwait(false);
    }

    /// <summary>Runs the part of a lost worker's load that the controller assigns; false once this run has ended.</summary>
    /// <exception cref="ArgumentException">The take-over names a segment or a cut that does not exist, or counts that do not fit the plan.</exception>
    public bool TakeOver(TakeOver takeOver, CancellationToken cancellationToken)
    {
        if (takeOver.LostSegmentIndex < 0 || takeOver.LostSegmentIndex >= _sequence.Count
            || takeOver.Cuts.Count == 0 || takeOver.Cuts.Any(c => c.PartCount < 1 || c.PartIndex < 0 || c.PartIndex >= c.PartCount))
        {
            throw new ArgumentException(
                $"take-over = segment {takeOver.LostSegmentIndex} cut [{string.Join(", ", takeOver.Cuts.Select(c => $"{c.PartIndex} of {c.PartCount}"))}]: " +
                $"allowed a segment 0 to {_sequence.Count - 1} and at least one cut, each a part 0 to count-1 of a count from 1.");
        }

        var share = takeOver.Cuts.Aggregate(_sequence.Share(takeOver.LostSegmentIndex), (held, cut) => IterationTakeOver.Part(held, cut.PartIndex, cut.PartCount));
        return _run.TakeOver(
            new SegmentTakeOver(
                takeOver.TakeOverId,
                share,
                TimeSpan.FromMilliseconds(takeOver.ResumeAtMs),
                takeOver.Iterations.ToDictionary(i => i.Scenario, i => (i.BlockIndex, i.Iterations))),
            cancellationToken);
    }

    /// <summary>The statistics not sent yet, and the progress in them of the own share and each part taken over. Called by one sender at a time.</summary>
    public (LoadResult Result, BlockProgress[] Progress) TakeSnapshot()
    {
        var (result, progress) = _run.TakeSnapshot();
        return (result, ToWire(progress));
    }

    /// <summary>The progress of the own share and each part taken over in the final result.</summary>
    public BlockProgress[] FinalProgress() => ToWire(_run.FinalProgress());

    private static BlockProgress[] ToWire(IReadOnlyList<ScenarioProgress> progress) =>
        [.. progress.Select(p => new BlockProgress { Scenario = p.Scenario, BlockIndex = p.Progress.Block, Completed = p.Progress.Completed, TakeOverId = p.TakeOverId })];
}
