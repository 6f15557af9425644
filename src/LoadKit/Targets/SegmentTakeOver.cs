using LoadKit.Workload;

namespace LoadKit.Targets;

/// <summary>A part of a lost process's segment for a <see cref="ShareRun"/> to run (<see cref="ShareRun.TakeOver"/>). Immutable.</summary>
/// <param name="LostSegment">The lost process's segment (its index in the run's <see cref="LoadSegments"/>).</param>
/// <param name="Part">Which part of it this process runs, from 0.</param>
/// <param name="Parts">Into how many parts it is cut (one per process that takes it over).</param>
/// <param name="ResumeAt">From which time of the plan on.</param>
/// <param name="Progress">
/// The lost process's progress in its last snapshot (<see cref="ShareSnapshot.Progress"/>); null when none arrived. With
/// it, only the iterations its snapshot did not count of an iteration-counted block under way are run; without it, all
/// the block's iterations it owned.
/// </param>
public sealed record SegmentTakeOver(int LostSegment, int Part, int Parts, TimeSpan ResumeAt, IReadOnlyList<ScenarioProgress>? Progress)
{
    /// <summary>The lost process's progress in its last snapshot; null when none arrived.</summary>
    public IReadOnlyList<ScenarioProgress>? Progress { get; } = Progress is null ? null : [.. Progress];
}

/// <summary>
/// How far one scenario of a process's own segment has got through the last iteration-counted block it started, in the
/// statistics of the same snapshot. A lost process's last one tells those that take over how many iterations are left.
/// Immutable.
/// </summary>
/// <param name="Scenario">The scenario's name.</param>
/// <param name="Block">The block's index in the scenario's load; -1: no iteration-counted block started yet.</param>
/// <param name="Completed">The block's iterations (any outcome) counted in the snapshot's statistics.</param>
public sealed record ScenarioProgress(string Scenario, int Block, long Completed)
{
    internal ScenarioProgress(string scenario, IterationProgress progress)
        : this(scenario, progress.Block, progress.Completed)
    {
    }

    /// <summary>The progress reported for <paramref name="scenario"/>; none started when it is not listed.</summary>
    internal static IterationProgress Find(IReadOnlyList<ScenarioProgress> progress, string scenario) =>
        progress.FirstOrDefault(p => p.Scenario == scenario) is { } reported ? new IterationProgress(reported.Block, reported.Completed) : IterationProgress.None;
}
