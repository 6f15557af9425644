namespace LoadKit.Results;

/// <summary>
/// Merges results of the same scenarios measured by several processes, exactly: counts add, histograms merge, and
/// timelines merge second by second (the processes started at one instant, so their seconds line up).
/// </summary>
internal static class ResultMerge
{
    /// <summary>One result per scenario name, from parts that each ran a share of the load.</summary>
    /// <remarks>Each process's <see cref="LoadResult.Generators"/> stay apart: a process's health is its own.</remarks>
    public static LoadResult Merge(IReadOnlyCollection<LoadResult> parts, DateTimeOffset startedAt, DateTimeOffset endedAt, bool cancelled) => new(
        startedAt,
        endedAt,
        cancelled,
        parts.SelectMany(p => p.Scenarios)
            .GroupBy(s => s.Name, StringComparer.Ordinal)
            .Select(g => Merge([.. g]))
            .ToArray())
    {
        Generators = [.. parts.SelectMany(p => p.Generators)],
    };

    /// <summary>
    /// Merges shares of one scenario. <see cref="ScenarioResult.Users"/> add up (the shares' plans add up to the
    /// whole); <see cref="ScenarioResult.PeakUsers"/> is the highest per-second sum of active VUs, or the highest
    /// single peak if that is more (peaks are sampled, so the exact joint peak is not known).
    /// </summary>
    public static ScenarioResult Merge(IReadOnlyList<ScenarioResult> parts)
    {
        if (parts.Count == 1)
        {
            return parts[0];
        }

        var startedAt = parts.Min(p => p.StartedAt);
        var duration = parts.Max(p => p.EndedAt) - startedAt;
        var timeline = MergeTimeline(parts.SelectMany(p => p.Timeline));
        var warmUps = parts.Select(p => p.WarmUp).OfType<ScenarioResult>().ToArray();
        return new ScenarioResult(
            parts[0].Name,
            startedAt,
            duration,
            parts.Sum(p => p.Users),
            Math.Max(timeline.Select(p => p.ActiveUsers).DefaultIfEmpty().Max(), parts.Max(p => p.PeakUsers)),
            MergeEach(parts, p => p.Steps, duration),
            StepStats.Merge(parts[0].Iterations.Name, [.. parts.Select(p => p.Iterations)], duration),
            MergeOptional(parts, p => p.Init, duration),
            MergeOptional(parts, p => p.Cleanup, duration),
            parts.Sum(p => p.AbandonedUsers),
            parts.Sum(p => p.Dropped),
            parts.Sum(p => p.Late),
            LatencyDistribution.Merge(parts.Select(p => p.SchedulingLag)),
            timeline,
            MergeEach(parts, p => p.Tasks, duration),
            MergeEach(parts, p => p.PreWork, duration),
            warmUps.Length == 0 ? null : Merge(warmUps))
        {
            Measurements = MergeByName(parts.SelectMany(p => p.Measurements), duration),
            FirstCallAt = parts.Min(p => p.FirstCallAt),
        };
    }

    private static ScenarioTimelinePoint[] MergeTimeline(IEnumerable<ScenarioTimelinePoint> points) => [.. points
        .GroupBy(p => p.Second)
        .OrderBy(g => g.Key)
        .Select(g => new ScenarioTimelinePoint(g.Key, g.Sum(p => p.ActiveUsers), g.Sum(p => p.Dropped), g.Sum(p => p.Late)))];

    /// <summary>Statistics of one name merged, in order of first appearance (a process may not have recorded every measurement).</summary>
    private static StepStats[] MergeByName(IEnumerable<StepStats> all, TimeSpan duration) => [.. all
        .GroupBy(s => s.Name, StringComparer.Ordinal)
        .Select(g => g.Count() == 1 ? g.First() with { Duration = duration } : StepStats.Merge(g.Key, [.. g], duration))];

    private static StepStats[] MergeEach(IReadOnlyList<ScenarioResult> parts, Func<ScenarioResult, IReadOnlyList<StepStats>> select, TimeSpan duration) =>
        [.. select(parts[0]).Select((s, i) => StepStats.Merge(s.Name, [.. parts.Select(p => select(p)[i])], duration))];

    private static StepStats? MergeOptional(IReadOnlyList<ScenarioResult> parts, Func<ScenarioResult, StepStats?> select, TimeSpan duration) =>
        select(parts[0]) is { } first ? StepStats.Merge(first.Name, [.. parts.Select(select).OfType<StepStats>()], duration) : null;

    /// <summary>The result without its per-second timelines: what a figure over the whole run needs, cheap to merge at any length of run.</summary>
    public static LoadResult WithoutTimelines(LoadResult result) => result with { Scenarios = [.. result.Scenarios.Select(WithoutTimelines)] };

    private static ScenarioResult WithoutTimelines(ScenarioResult scenario) => scenario with
    {
        Timeline = [],
        Steps = [.. scenario.Steps.Select(s => s with { Timeline = [] })],
        Iterations = scenario.Iterations with { Timeline = [] },
        Measurements = [.. scenario.Measurements.Select(s => s with { Timeline = [] })],
        WarmUp = scenario.WarmUp is { } warmUp ? WithoutTimelines(warmUp) : null,
    };
}
