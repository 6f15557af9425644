using LoadKit.Workload;

namespace LoadKit.Targets;

/// <summary>
/// A part of a lost process's load for a <see cref="ShareRun"/> to run (<see cref="ShareRun.TakeOver"/>): a part of its
/// segment, or of a part it had itself taken over, from a time of the plan on. Immutable.
/// </summary>
/// <param name="Id">
/// The take-over's number in the run, from 1 (0 is a process's own segment): the share reports the part's progress
/// under it (<see cref="ScenarioProgress.TakeOverId"/>).
/// </param>
/// <param name="Part">Which part of the load (of the run's <see cref="LoadSegments"/>).</param>
/// <param name="ResumeAt">From which time of the plan on.</param>
/// <param name="Iterations">
/// Per scenario with an iteration-counted block under way at <paramref name="ResumeAt"/>: how many of its iterations the
/// part runs (what the former holder left undone, split by <see cref="LoadSegments.SplitIterations"/>). A scenario not
/// listed runs its whole part of that block.
/// </param>
public sealed record SegmentTakeOver(int Id, LoadPart Part, TimeSpan ResumeAt, IReadOnlyList<ScenarioIterations> Iterations)
{
    /// <summary>Per scenario with an iteration-counted block under way at <see cref="ResumeAt"/>: how many of its iterations the part runs.</summary>
    public IReadOnlyList<ScenarioIterations> Iterations { get; } = [.. Iterations];
}

/// <summary>
/// How far one scenario of a part of the load a process runs (its own segment, or a part it took over) has got through
/// the last iteration-counted block it started, in the statistics of the same snapshot. A lost process's last one tells
/// the controller how many iterations of each part it held are left. Immutable.
/// </summary>
/// <param name="Scenario">The scenario's name.</param>
/// <param name="TakeOverId">Which part: 0 the own segment, otherwise the <see cref="SegmentTakeOver.Id"/> of a part taken over.</param>
/// <param name="Block">The block's index in the scenario's load; -1: no iteration-counted block started yet.</param>
/// <param name="Completed">The block's iterations (any outcome) counted in the snapshot's statistics.</param>
public sealed record ScenarioProgress(string Scenario, int TakeOverId, int Block, long Completed)
{
    internal ScenarioProgress(string scenario, int takeOverId, IterationProgress progress)
        : this(scenario, takeOverId, progress.Block, progress.Completed)
    {
    }

    /// <summary>The progress reported for <paramref name="scenario"/>; none started when it is not listed.</summary>
    internal static IterationProgress Find(IReadOnlyList<ScenarioProgress> progress, string scenario) =>
        progress.FirstOrDefault(p => p.Scenario == scenario) is { } reported ? new IterationProgress(reported.Block, reported.Completed) : IterationProgress.None;
}
