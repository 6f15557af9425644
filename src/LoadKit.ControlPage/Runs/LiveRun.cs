namespace LoadKit.ControlPage.Runs;

/// <summary>One step's latency percentiles in one second, in milliseconds.</summary>
internal sealed record StepLatency(double P50, double P95, double P99);

/// <summary>One load process in one second: its rate and health (CPU %, working set in MB, garbage collections).</summary>
internal sealed record GeneratorPoint(double Rate, double? Cpu, double? MemoryMb, int? Collections, string? Lost);

/// <summary>
/// What the charts show of one second of a run: calls and errors (all steps), active VUs, dropped iterations, each
/// step's percentiles, and each load process's rate and health.
/// </summary>
internal sealed record ChartPoint(
    int Second, long Requests, long Errors, int ActiveUsers, long Dropped, IReadOnlyDictionary<string, StepLatency> Steps,
    IReadOnlyDictionary<string, GeneratorPoint> Generators);

/// <summary>A threshold's state: its text, its scenario (null: the run's), passed (null: nothing measured yet) and the figure.</summary>
internal sealed record ThresholdRow(string Threshold, string? Scenario, bool? Passed, string Observed);

/// <summary>A run event as the log pane shows it.</summary>
internal sealed record LogLine(DateTimeOffset At, string Kind, string Level, string Source, string Message);

/// <summary>
/// The live view of one run, as an observer of it: each snapshot becomes the chart points of its newest seconds
/// (a second seen again replaces its earlier, partial point), the thresholds' states and the generators' health; each
/// run event a log line. Everything is told to the open pages at once (<see cref="Changed"/>); the final result's
/// per-second figures replace the live points when the run ends, so the charts end on the result's figures.
/// </summary>
internal sealed class LiveRun : IRunObserver, IRunObservation
{
    private const int MaxLogLines = 2000;
    private readonly object _gate = new();
    private readonly SortedDictionary<int, ChartPoint> _points = [];
    private readonly List<LogLine> _log = [];
    private (Threshold Threshold, string? Scenario)[] _thresholds = [];
    private ThresholdRow[] _thresholdRows = [];
    private RunControl? _control;
    private int _observed;

    public LiveRun(string id, string plan, string where)
    {
        Id = id;
        Plan = plan;
        Where = where;
        StartedAt = DateTimeOffset.UtcNow;
    }

    public string Id { get; }

    public string Plan { get; }

    public string Where { get; }

    public DateTimeOffset StartedAt { get; }

    /// <summary>starting, running, stopping, finished or failed.</summary>
    public string State { get; private set; } = "starting";

    /// <summary>Why the run failed or was stopped; null otherwise.</summary>
    public string? Problem { get; private set; }

    /// <summary>Called with an event name and its payload whenever something changed (a point, a log line, the state).</summary>
    public Action<string, object> Changed { get; init; } = (_, _) => { };

    /// <summary>Whether the run ends with its result (a test run's live view); else its starter ends it after writing the reports.</summary>
    public bool EndsWithResult { get; init; }

    /// <summary>Called with the result and the thresholds' final states when a run that <see cref="EndsWithResult"/> ended.</summary>
    public Action<LiveRun, LoadResult, IReadOnlyList<ThresholdRow>> Ended { get; init; } = (_, _, _) => { };

    public bool WantsSnapshots => true;

    /// <summary>The run's whole view: its state, every point, the thresholds and the log.</summary>
    public object View
    {
        get
        {
            lock (_gate)
            {
                return new { id = Id, plan = Plan, where = Where, startedAt = StartedAt, state = State, problem = Problem,
                    points = _points.Values.ToArray(), thresholds = _thresholdRows, log = _log.ToArray() };
            }
        }
    }

    public IRunObservation? Observe(RunPlan plan, RunControl control)
    {
        if (Interlocked.Exchange(ref _observed, 1) == 1)
        {
            return null; // one run per live view
        }

        lock (_gate)
        {
            _control = control;
            _thresholds = [.. plan.Thresholds.Select(t => (t, (string?)null)), .. plan.Scenarios.SelectMany(s => s.Thresholds.Select(t => (t, (string?)s.Name)))];
            _thresholdRows = [.. _thresholds.Select(t => new ThresholdRow(t.Threshold.ToString(), t.Scenario, null, "no call completed"))];
        }

        return this;
    }

    /// <summary>Stops the run as a threshold that aborts would: what ran is kept. False when it is not running.</summary>
    public bool Stop(string reason)
    {
        RunControl? control;
        lock (_gate)
        {
            control = _control;
            if (control is null || State is "finished" or "failed")
            {
                return false;
            }

            State = "stopping";
        }

        control.Stop(reason);
        Add(new RunEvent(DateTimeOffset.UtcNow, RunEventKind.Stopped, RunEventLevel.Warning, "control page", reason));
        Changed("run", Summary);
        return true;
    }

    public void OnStarted(long startTimestamp)
    {
        lock (_gate)
        {
            if (State == "starting")
            {
                State = "running";
            }
        }

        Changed("run", Summary);
    }

    public void OnSnapshot(RunSnapshot snapshot)
    {
        var scenarios = snapshot.Scenarios;
        var newest = scenarios.SelectMany(s => s.Steps).SelectMany(s => s.Timeline).Select(p => p.Second).DefaultIfEmpty(-1).Max();
        if (newest < 0)
        {
            return;
        }

        // The newest second may be partial: it is sent again while it lasts, and so is the one before it in a local run.
        var points = new[] { newest - 1, newest }.Where(s => s >= 0).Select(s => Point(scenarios, s, snapshot.Generators)).OfType<ChartPoint>().ToArray();
        ThresholdRow[] rows;
        lock (_gate)
        {
            foreach (var point in points)
            {
                _points[point.Second] = point;
            }

            rows = _thresholdRows = States(scenarios);
        }

        Changed("points", new { id = Id, points, thresholds = rows });
    }

    public void OnEvent(RunEvent runEvent) => Add(runEvent);

    /// <summary>Adds a log line (the page's own events too) and tells the pages.</summary>
    public void Add(RunEvent runEvent)
    {
        var line = new LogLine(runEvent.At, runEvent.Kind.ToString(), runEvent.Level.ToString(), runEvent.Source, runEvent.Message);
        lock (_gate)
        {
            if (_log.Count == MaxLogLines)
            {
                _log.RemoveAt(0);
            }

            _log.Add(line);
        }

        Changed("log", new { id = Id, line });
    }

    public LoadResult OnCompleted(LoadResult result)
    {
        var final = Enumerable.Range(0, result.Scenarios.SelectMany(s => s.Steps).SelectMany(s => s.Timeline).Select(p => p.Second + 1).DefaultIfEmpty(0).Max())
            .Select(s => Point(result.Scenarios, s, []))
            .OfType<ChartPoint>()
            .ToArray();
        ThresholdRow[] rows;
        lock (_gate)
        {
            foreach (var point in final)
            {
                // The health the live points had stays: the result keeps it per process, not per point.
                _points[point.Second] = _points.TryGetValue(point.Second, out var live) ? point with { Generators = live.Generators } : point;
            }

            // The thresholds' states on the final figures (the outcomes the result gets are the threshold watch's).
            rows = _thresholdRows = States(result.Scenarios);
        }

        Changed("points", new { id = Id, points = final, final = true, thresholds = rows });
        if (EndsWithResult)
        {
            End("finished", result.Cancelled ? "stopped before its end" : null);
            Ended(this, result, rows);
        }

        return result;
    }

    /// <summary>Marks the run ended: finished (with its result's verdict) or failed.</summary>
    public void End(string state, string? problem)
    {
        lock (_gate)
        {
            State = state;
            Problem = problem;
        }

        Changed("run", Summary);
    }

    /// <summary>The run's state without its points and log.</summary>
    public object Summary
    {
        get
        {
            lock (_gate)
            {
                return new { id = Id, plan = Plan, where = Where, startedAt = StartedAt, state = State, problem = Problem };
            }
        }
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    /// <summary>Second <paramref name="second"/> of every scenario's timelines; null when no step has a point there.</summary>
    internal static ChartPoint? Point(IReadOnlyList<ScenarioResult> scenarios, int second, IReadOnlyList<GeneratorSnapshot> generators)
    {
        var steps = new Dictionary<string, StepLatency>(StringComparer.Ordinal);
        long requests = 0, errors = 0, dropped = 0;
        var users = 0;
        var any = false;
        foreach (var scenario in scenarios)
        {
            foreach (var step in scenario.Steps)
            {
                if (step.Timeline.LastOrDefault(p => p.Second == second) is not { } point)
                {
                    continue;
                }

                any = true;
                requests += point.Ok + point.Failed + point.TimedOut;
                errors += point.Failed + point.TimedOut;
                var name = scenarios.Count == 1 ? step.Name : $"{scenario.Name} › {step.Name}";
                steps[name] = new StepLatency(Milliseconds(point.Latency.P50), Milliseconds(point.Latency.P95), Milliseconds(point.Latency.Percentile(99)));
            }

            if (scenario.Timeline.LastOrDefault(p => p.Second == second) is { } load)
            {
                users += load.ActiveUsers;
                dropped += load.Dropped;
            }
        }

        var health = generators.ToDictionary(
            g => g.Process,
            g => new GeneratorPoint(g.CallsPerSecond, g.Health?.CpuPercent, g.Health is { } h ? Math.Round(h.WorkingSetBytes / 1048576.0, 1) : null,
                g.Health is { } c ? c.Gen0Collections + c.Gen1Collections + c.Gen2Collections : null, g.Lost),
            StringComparer.Ordinal);
        return any ? new ChartPoint(second, requests, errors, users, dropped, steps, health) : null;
    }

    /// <summary>Every threshold's state on <paramref name="scenarios"/>; called under the lock.</summary>
    private ThresholdRow[] States(IReadOnlyList<ScenarioResult> scenarios) => [.. _thresholds.Select(t =>
    {
        var state = t.Threshold.StateOn(t.Scenario is null ? scenarios : [.. scenarios.Where(s => s.Name == t.Scenario)]);
        return new ThresholdRow(t.Threshold.ToString(), t.Scenario, state.Passed, state.Observed);
    })];

    private static double Milliseconds(TimeSpan value) => Math.Round(value.TotalMilliseconds, 3);
}
