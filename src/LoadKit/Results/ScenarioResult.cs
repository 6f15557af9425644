using System.Text.Json.Serialization;

namespace LoadKit;

/// <summary>What one scenario did in a run. Immutable.</summary>
/// <param name="Name">The scenario's name.</param>
/// <param name="StartedAt">When the first phase started (UTC).</param>
/// <param name="Duration">From the start of the first phase until the last VU stopped (cleanup not included).</param>
/// <param name="Users">The most VUs the load defines at once (for open models, the pool's maximum).</param>
/// <param name="PeakUsers">The most VUs that were actually running at once.</param>
/// <param name="Steps">Statistics per step, in the scenario's order.</param>
/// <param name="Iterations">Whole iterations: <c>Ok</c> when every step succeeded; latency is the iteration's duration, think time included.</param>
/// <param name="Init">The VUs' init calls, or null when the scenario has no init.</param>
/// <param name="Cleanup">The VUs' cleanup calls, or null when the scenario has no cleanup.</param>
/// <param name="AbandonedUsers">VUs whose step ignored cancellation and was still running when the run returned.</param>
/// <param name="Dropped">Iterations an open model could not start at their time because no VU was free (never queued).</param>
/// <param name="Late">Iterations that started after their pacing slot.</param>
/// <param name="SchedulingLag">How late scheduled iterations (open models, pacing) started: actual minus scheduled start.</param>
/// <param name="Timeline">One point per second: active VUs, dropped and late iterations.</param>
/// <param name="Tasks">Iterations per task, for a scenario that is a weighted mix of tasks (empty otherwise).</param>
/// <param name="PreWork">Pre-work calls per task that has pre-work, named after the task.</param>
/// <param name="WarmUp">What the warm-up phases measured, kept out of everything else here; null when there were none.</param>
public sealed record ScenarioResult(
    string Name,
    DateTimeOffset StartedAt,
    TimeSpan Duration,
    int Users,
    int PeakUsers,
    IReadOnlyList<StepStats> Steps,
    StepStats Iterations,
    StepStats? Init,
    StepStats? Cleanup,
    int AbandonedUsers,
    long Dropped,
    long Late,
    LatencyDistribution SchedulingLag,
    IReadOnlyList<ScenarioTimelinePoint> Timeline,
    IReadOnlyList<StepStats> Tasks,
    IReadOnlyList<StepStats> PreWork,
    ScenarioResult? WarmUp)
{
    /// <summary>
    /// What steps recorded under names of their own (<see cref="StepContext.Record(string, TimeSpan)"/>, e.g. a
    /// browser's page metrics), one entry per step and name, named "step › name" (<c>home › lcp</c>): the count of
    /// samples is <see cref="StepStats.Ok"/> and their distribution <see cref="StepStats.Latency"/>. Thresholds reach
    /// them by that name (<see cref="Threshold.Measurement"/>). Empty when no step recorded any.
    /// </summary>
    public IReadOnlyList<StepStats> Measurements { get; init; } = [];

    /// <summary>When the first call (a step's or pre-work's) of any VU began (UTC); null when none was made.</summary>
    public DateTimeOffset? FirstCallAt { get; init; }

    /// <summary>The statistics of the measurement <paramref name="measurement"/> recorded by step <paramref name="step"/>.</summary>
    /// <exception cref="KeyNotFoundException">The step recorded no such measurement; the message lists those there are.</exception>
    public StepStats GetMeasurement(string step, string measurement)
    {
        var name = step + Stats.MeasurementRecorders.Separator + measurement;
        return Measurements.FirstOrDefault(s => s.Name == name)
            ?? throw new KeyNotFoundException(
                $"Scenario '{Name}' has no measurement '{name}'; its measurements are: {(Measurements.Count == 0 ? "none" : string.Join(", ", Measurements.Select(s => $"'{s.Name}'")))}.");
    }

    /// <summary>When the last VU stopped (UTC): <see cref="StartedAt"/> + <see cref="Duration"/>.</summary>
    [JsonIgnore]
    public DateTimeOffset EndedAt => StartedAt + Duration;

    /// <summary>Every call of every step merged into one, named <c>all steps</c> (computed on each use).</summary>
    [JsonIgnore]
    public StepStats AllSteps => StepStats.Merge("all steps", [.. Steps], Duration);

    /// <summary>The statistics of the step named <paramref name="name"/>.</summary>
    /// <exception cref="KeyNotFoundException">No step has that name; the message lists the names there are.</exception>
    public StepStats GetStep(string name) =>
        Steps.FirstOrDefault(s => s.Name == name)
        ?? throw new KeyNotFoundException(
            $"Scenario '{Name}' has no step '{name}'; its steps are: {string.Join(", ", Steps.Select(s => $"'{s.Name}'"))}.");
}
