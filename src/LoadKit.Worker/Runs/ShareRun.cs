using LoadKit.Distributed.Protocol;
using LoadKit.Engine;

namespace LoadKit.Worker.Runs;

/// <summary>
/// This worker's part of a run: an engine per scenario on its own share, plus engines for parts of lost workers it
/// takes over. A snapshot holds the totals so far and the timeline points no earlier snapshot carried.
/// </summary>
internal sealed class ShareRun(IReadOnlyList<Scenario> scenarios, RunOptions options, SegmentSequence sequence, SegmentShare share)
{
    private readonly List<Part> _parts = [];
    private readonly List<string> _notes = [];
    private readonly Lock _gate = new();
    private DateTimeOffset _startedAt;
    private bool _closed;

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
        lock (_gate)
        {
            foreach (var part in _parts)
            {
                part.Start(startTimestamp, cancellationToken);
            }
        }

        return CompleteAsync(cancellationToken);
    }

    /// <summary>
    /// Builds the engines of the own share, so that <see cref="Start"/> only has to start them, after a short dry
    /// run of the engine's code paths: compiling them at the start instant would take the cores that the other
    /// workers' start needs when they share a machine.
    /// </summary>
    public void Prepare()
    {
        var dryRun = Scenario.Create("loadkit dry run")
            .Step("nothing", _ => ValueTask.CompletedTask)
            .WithLoad(Load.ConstantUsers(2, TimeSpan.FromMilliseconds(30)), Load.ArrivalRate(500, TimeSpan.FromMilliseconds(30), 2, 2))
            .Build();
        new ScenarioEngine(dryRun, dryRun.PlanFor(RunOptions.Default), SegmentShare.Whole, onSnapshot: _ => { })
            .RunAsync(CancellationToken.None).GetAwaiter().GetResult();

        foreach (var scenario in scenarios)
        {
            Add(scenario, share, TimeSpan.Zero, takenOver: false, cancellationToken: null);
        }
    }

    /// <summary>Runs a part of a lost worker's share from the plan time the controller gives.</summary>
    public void TakeOver(TakeOver takeOver, CancellationToken cancellationToken)
    {
        if (takeOver.PartCount < 1 || takeOver.PartIndex < 0 || takeOver.PartIndex >= takeOver.PartCount
            || takeOver.LostSegmentIndex < 0 || takeOver.LostSegmentIndex >= sequence.Count || takeOver.ResumeAtMs < 0)
        {
            throw new ArgumentException(
                $"take-over = part {takeOver.PartIndex} of {takeOver.PartCount} of segment {takeOver.LostSegmentIndex} at {takeOver.ResumeAtMs} ms: " +
                $"allowed a part 0 to count-1 of a segment 0 to {sequence.Count - 1}, from 0 ms.");
        }

        var part = SegmentSequence.Equal(takeOver.PartCount).Share(takeOver.PartIndex).Within(sequence.Share(takeOver.LostSegmentIndex));
        foreach (var scenario in scenarios)
        {
            Add(scenario, part, TimeSpan.FromMilliseconds(takeOver.ResumeAtMs), takenOver: true, cancellationToken);
        }
    }

    /// <summary>The statistics so far. Called by one sender at a time.</summary>
    public LoadResult TakeSnapshot() => Combine(p => p.Latest, cancelled: false);

    /// <summary>Adds an engine; starts it at once unless <paramref name="cancellationToken"/> is null (not started yet).</summary>
    private void Add(Scenario scenario, SegmentShare part, TimeSpan resumeAt, bool takenOver, CancellationToken? cancellationToken)
    {
        lock (_gate)
        {
            if (_closed)
            {
                return;
            }

            var entry = new Part(scenario.Name, takenOver);
            entry.Engine = new ScenarioEngine(scenario, scenario.PlanFor(options), part, resumeAt, onSnapshot: result => entry.Latest = result);
            _parts.Add(entry);
            if (takenOver && entry.Engine.SkippedIterationBlocks)
            {
                _notes.Add($"Scenario '{scenario.Name}': {part} was taken over from {resumeAt.TotalMilliseconds:0} ms without the rest of its " +
                    "iteration-counted block, because how far the lost worker had got through it is unknown.");
            }

            if (cancellationToken is { } token)
            {
                entry.Start(0, token);
            }
        }
    }

    private async Task<LoadResult> CompleteAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            Task[] running;
            lock (_gate)
            {
                running = [.. _parts.Select(p => p.Run)];
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

        return Combine(p => p.Run.Result, cancellationToken.IsCancellationRequested);
    }

    private LoadResult Combine(Func<Part, ScenarioResult?> select, bool cancelled)
    {
        Part[] parts;
        lock (_gate)
        {
            parts = [.. _parts];
        }

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
        string[] notes;
        lock (_gate)
        {
            notes = [.. _notes];
        }

        return new LoadResult(_startedAt, DateTimeOffset.UtcNow, cancelled, merged) { Notes = notes };
    }

    private sealed class Part(string scenario, bool takenOver)
    {
        private int _sentThrough = -1;

        public string Scenario { get; } = scenario;

        public bool TakenOver { get; } = takenOver;

        public ScenarioEngine? Engine { get; set; }

        public Task<ScenarioResult> Run { get; private set; } = Task.FromResult<ScenarioResult>(null!);

        public void Start(long startTimestamp, CancellationToken cancellationToken)
        {
            var engine = Engine!;
            Run = Task.Run(() => engine.RunAsync(cancellationToken, startTimestamp), CancellationToken.None);
        }

        public volatile ScenarioResult? Latest;

        /// <summary>The first second not sent yet; from now on, everything up to the result's last second counts as sent.</summary>
        public int TakeTimelineFrom(ScenarioResult result)
        {
            var from = _sentThrough + 1;
            _sentThrough = Math.Max(_sentThrough, result.Timeline.Count == 0 ? -1 : result.Timeline[^1].Second);
            return from;
        }
    }
}
