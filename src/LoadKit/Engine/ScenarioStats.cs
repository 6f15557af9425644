using LoadKit.Stats;
using LoadKit.Telemetry;

namespace LoadKit.Engine;

/// <summary>The recorders of one scenario run (or of its warm-up), indexed like the scenario's steps.</summary>
internal sealed class ScenarioStats
{
    /// <param name="scenario">The scenario.</param>
    /// <param name="activeUsers">Its VUs, shared by the warm-up's and the measured statistics.</param>
    /// <param name="isWarmUp">Whether these are the warm-up's.</param>
    /// <param name="recordLock">The measured statistics' lock, for the warm-up's; null: a new one.</param>
    /// <param name="publishMetrics">Whether calls also go to <see cref="LoadKitMetrics"/> (not for LoadKit's own process warm-up).</param>
    public ScenarioStats(Scenario scenario, ActiveUsers activeUsers, bool isWarmUp, StripedRecordLock? recordLock = null, bool publishMetrics = true)
    {
        ActiveUsers = activeUsers;
        RecordLock = recordLock ?? new StripedRecordLock();
        Gauges = new ScenarioGauges(activeUsers, isWarmUp, RecordLock, publishMetrics ? new ScenarioTelemetry(scenario.Name) : null);
        Steps = scenario.Steps.Select(s => new StepRecorder(s.Name, RecordLock, publishMetrics ? new StepTelemetry(scenario.Name, s.Name) : null) { Measurements = new MeasurementRecorders(s.Name) }).ToArray();
        Iterations = new StepRecorder("iteration", RecordLock);
        Init = scenario.Init is null ? null : new StepRecorder("init", RecordLock);
        Cleanup = scenario.Cleanup is null ? null : new StepRecorder("cleanup", RecordLock);
        Tasks = scenario.HasNamedTasks ? scenario.Tasks.Select(t => new StepRecorder(t.Name, RecordLock)).ToArray() : null;
        PreWork = scenario.Tasks.Select(t => t.PreWork is null ? null : new StepRecorder(t.Name, RecordLock)).ToArray();
    }

    /// <summary>Iterations per task, when the scenario is a mix of named tasks.</summary>
    public StepRecorder[]? Tasks { get; }

    /// <summary>Pre-work calls per task (null where a task has none).</summary>
    public StepRecorder?[] PreWork { get; }

    public StepRecorder[] Steps { get; }

    /// <summary>The locks of all these recorders, held once around an iteration's last records (shared with the warm-up's statistics and the collector).</summary>
    public StripedRecordLock RecordLock { get; }

    public StepRecorder Iterations { get; }

    public StepRecorder? Init { get; }

    public StepRecorder? Cleanup { get; }

    public ScenarioGauges Gauges { get; }

    /// <summary>The VUs running now, shared with the warm-up's statistics.</summary>
    public ActiveUsers ActiveUsers { get; }

    public IEnumerable<IIntervalSource> IntervalSources =>
        Steps.Append(Iterations).Concat(new[] { Init, Cleanup }.OfType<StepRecorder>())
            .Concat(Tasks ?? []).Concat(PreWork.OfType<StepRecorder>()).Append<IIntervalSource>(Gauges)
            .Concat(Steps.Select(s => s.Measurements!));

    public ScenarioResult ToResult(string name, DateTimeOffset startedAt, TimeSpan duration, int users, int abandonedUsers, ScenarioResult? warmUp) => new(
        name,
        startedAt,
        duration,
        users,
        Gauges.PeakUsers,
        Steps.Select(r => r.ToStats(duration)).ToArray(),
        Iterations.ToStats(duration),
        Init?.ToStats(duration),
        Cleanup?.ToStats(duration),
        abandonedUsers,
        Gauges.Dropped,
        Gauges.Late,
        Gauges.Lag.ToStats(duration).Latency,
        Gauges.Timeline,
        Tasks?.Select(r => r.ToStats(duration)).ToArray() ?? [],
        PreWork.OfType<StepRecorder>().Select(r => r.ToStats(duration)).ToArray(),
        warmUp)
    {
        Measurements = [.. Steps.SelectMany(s => s.Measurements!.ToStats(duration))],
    };
}
