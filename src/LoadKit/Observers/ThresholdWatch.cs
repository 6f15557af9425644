using System.Diagnostics;
using LoadKit.Display;

namespace LoadKit.Observers;

/// <summary>
/// Evaluates a run's thresholds while it lasts, on the latest statistics of each scenario (each second, merged across
/// processes in a distributed run), and stops the run when one that aborts on failure is crossed
/// after its delay: it then stops the run. At the end it adds every threshold's outcome to the result.
/// </summary>
internal sealed class ThresholdWatch : IRunObservation
{
    private readonly (Threshold Threshold, string? Scenario)[] _thresholds;
    private readonly string[] _scenarios;
    private readonly ScenarioResult?[] _latest;
    private readonly TimeSpan?[] _crossedAt;
    private readonly RunControl _control;
    private readonly Lock _gate = new();
    private long _start = Stopwatch.GetTimestamp();
    private int _stoppedBy = -1;
    private TimeSpan _stoppedAt;

    private ThresholdWatch((Threshold, string?)[] thresholds, string[] scenarios, RunControl control)
    {
        _control = control;
        _thresholds = thresholds;
        _scenarios = scenarios;
        _latest = new ScenarioResult?[scenarios.Length];
        _crossedAt = new TimeSpan?[thresholds.Length];
    }

    /// <summary>Watches the thresholds of every run that has some.</summary>
    public static IRunObserver Observer { get; } = new WatchObserver();

    /// <summary>Snapshots are evaluated as they arrive.</summary>
    public bool WantsSnapshots => true;

    /// <summary>A watch over the plan's scenarios' and the run's own thresholds; null when there are none.</summary>
    public static ThresholdWatch? For(RunPlan plan, RunControl control)
    {
        (Threshold, string?)[] thresholds = [.. plan.Scenarios.SelectMany(s => s.Thresholds.Select(t => (t, (string?)s.Name))), .. plan.Thresholds.Select(t => (t, (string?)null))];
        return thresholds.Length == 0 ? null : new ThresholdWatch(thresholds, [.. plan.Scenarios.Select(s => s.Name)], control);
    }

    /// <summary>Sets the instant the run's clock starts (delays and crossing times count from it); default: creation.</summary>
    public void OnStarted(long startTimestamp) => Volatile.Write(ref _start, startTimestamp);

    /// <inheritdoc />
    public void OnSnapshot(RunSnapshot snapshot) => Observe(snapshot.Scenarios);

    /// <summary>The result with every threshold's outcome (a stop's reason becomes its note through <see cref="RunControl.StopReason"/>).</summary>
    public LoadResult OnCompleted(LoadResult result) => result with { Thresholds = Outcomes(result.Scenarios) };

    /// <inheritdoc />
    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    /// <summary>Takes every scenario's latest statistics (a distributed run's merged snapshot) and evaluates.</summary>
    public void Observe(IReadOnlyList<ScenarioResult> latest)
    {
        lock (_gate)
        {
            foreach (var scenario in latest)
            {
                _latest[Array.IndexOf(_scenarios, scenario.Name)] = scenario;
            }
        }

        Evaluate();
    }

    /// <summary>Every threshold's outcome on the final statistics, with when it was crossed and whether it stopped the run.</summary>
    public IReadOnlyList<ThresholdOutcome> Outcomes(IReadOnlyList<ScenarioResult> final)
    {
        lock (_gate)
        {
            return [.. _thresholds.Select((t, i) =>
            {
                var (passed, observed) = t.Threshold.Evaluate(Relevant(t.Scenario, final));
                return new ThresholdOutcome(t.Threshold.ToString(), t.Scenario, passed == true, observed)
                {
                    CrossedAt = _crossedAt[i],
                    StoppedRunAt = i == _stoppedBy ? _stoppedAt : null,
                };
            })];
        }
    }

    /// <summary>Why a threshold stopped the run (the result's note); null when none did.</summary>
    public string? StopNote()
    {
        lock (_gate)
        {
            return _stoppedBy < 0 ? null
                : $"The run was stopped {Format.Duration(_stoppedAt)} after its start because threshold '{_thresholds[_stoppedBy].Threshold}' was crossed.";
        }
    }

    private static IReadOnlyList<ScenarioResult> Relevant(string? scenario, IReadOnlyList<ScenarioResult> results) =>
        scenario is null ? results : [.. results.Where(r => r.Name == scenario)];

    private void Evaluate()
    {
        var abort = false;
        lock (_gate)
        {
            var elapsed = Stopwatch.GetElapsedTime(Volatile.Read(ref _start));
            var all = _latest.All(l => l is not null) ? _latest.Cast<ScenarioResult>().ToArray() : null;
            for (var i = 0; i < _thresholds.Length; i++)
            {
                var (threshold, scenario) = _thresholds[i];
                var results = scenario is null ? all : _latest[Array.IndexOf(_scenarios, scenario)] is { } latest ? [latest] : null;
                if (results is null || threshold.Evaluate(results).Passed != false)
                {
                    continue;
                }

                _crossedAt[i] ??= elapsed;
                if (threshold.AbortsRun && elapsed >= threshold.AbortDelay && _stoppedBy < 0)
                {
                    (_stoppedBy, _stoppedAt, abort) = (i, elapsed, true);
                }
            }
        }

        if (abort && StopNote() is { } reason)
        {
            _control.Stop(reason); // outside the lock: it runs the engines' cancellation callbacks
        }
    }

    private sealed class WatchObserver : IRunObserver
    {
        public IRunObservation? Observe(RunPlan plan, RunControl control) => For(plan, control);
    }
}
