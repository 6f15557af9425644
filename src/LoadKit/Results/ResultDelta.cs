namespace LoadKit.Results;

/// <summary>
/// A result's interval: what a running result holds beyond an earlier state of itself (counts and histograms
/// subtract, timeline points after the last one sent), and the sum of intervals back into running totals. Both cost
/// in proportion to the interval and the histograms' buckets, never to the length of the run, and adding every
/// interval gives the running result back exactly.
/// </summary>
internal static class ResultDelta
{
    /// <summary>
    /// What <paramref name="current"/> holds beyond <paramref name="previous"/> (an earlier state of the same
    /// statistics; null: none), with its timeline points from second <paramref name="timelineFrom"/> on. Figures that
    /// are not counts (users, peak, abandoned, start, duration, first call) are <paramref name="current"/>'s.
    /// </summary>
    public static ScenarioResult Since(ScenarioResult? previous, ScenarioResult current, int timelineFrom) => current with
    {
        Steps = Each(previous?.Steps, current.Steps, timelineFrom),
        Iterations = Since(previous?.Iterations, current.Iterations, timelineFrom),
        Init = current.Init is { } init ? Since(previous?.Init, init, timelineFrom) : null,
        Cleanup = current.Cleanup is { } cleanup ? Since(previous?.Cleanup, cleanup, timelineFrom) : null,
        Dropped = current.Dropped - (previous?.Dropped ?? 0),
        Late = current.Late - (previous?.Late ?? 0),
        SchedulingLag = previous is null ? current.SchedulingLag : current.SchedulingLag.Since(previous.SchedulingLag),
        Timeline = From(current.Timeline, timelineFrom, p => p.Second),
        Tasks = Each(previous?.Tasks, current.Tasks, timelineFrom),
        PreWork = Each(previous?.PreWork, current.PreWork, timelineFrom),
        Measurements = [.. current.Measurements.Select(m => Since(previous?.Measurements.FirstOrDefault(p => p.Name == m.Name), m, timelineFrom))],
        WarmUp = current.WarmUp is { } warmUp ? Since(previous?.WarmUp, warmUp, timelineFrom) : null,
    };

    /// <summary>
    /// The running totals <paramref name="total"/> (null: none yet) plus the intervals <paramref name="intervals"/> (in
    /// the order they were measured), without timelines (the caller keeps those by second). Counts add and histograms
    /// merge, every interval in one pass: a merge reads the totals' buckets once however many intervals it adds, so
    /// adding intervals in batches costs in proportion to the intervals, not to the buckets the totals have filled.
    /// Users, abandoned users and start are the latest interval's; the peak is the highest.
    /// </summary>
    public static ScenarioResult Add(ScenarioResult? total, IReadOnlyList<ScenarioResult> intervals)
    {
        var latest = intervals[^1];
        IReadOnlyList<ScenarioResult> all = total is null ? intervals : [total, .. intervals];
        var ended = all.Max(s => s.EndedAt);
        var duration = ended - latest.StartedAt;
        return new ScenarioResult(
            latest.Name,
            latest.StartedAt,
            duration,
            latest.Users,
            all.Max(s => s.PeakUsers),
            Each(all, s => s.Steps, latest.Steps.Count, duration),
            Merge(total?.Iterations, intervals.Select(s => s.Iterations), duration)!,
            Merge(total?.Init, intervals.Select(s => s.Init), duration),
            Merge(total?.Cleanup, intervals.Select(s => s.Cleanup), duration),
            latest.AbandonedUsers,
            all.Sum(s => s.Dropped),
            all.Sum(s => s.Late),
            LatencyDistribution.Merge(all.Select(s => s.SchedulingLag)),
            [],
            Each(all, s => s.Tasks, latest.Tasks.Count, duration),
            Each(all, s => s.PreWork, latest.PreWork.Count, duration),
            intervals.Select(s => s.WarmUp).OfType<ScenarioResult>().ToArray() is { Length: > 0 } warmUps ? Add(total?.WarmUp, warmUps) : total?.WarmUp)
        {
            // An interval lists every measurement so far, in the order of the whole result.
            Measurements = [.. latest.Measurements.Select(m => Merge(total?.Measurements.FirstOrDefault(t => t.Name == m.Name), intervals.Select(s => s.Measurements.FirstOrDefault(t => t.Name == m.Name)), duration)!)],
            FirstCallAt = all.Min(s => s.FirstCallAt), // nulls skipped
        };
    }

    /// <summary>The scenario's statistics with empty timelines: the start of running totals.</summary>
    public static ScenarioResult WithoutTimelines(ScenarioResult scenario) => scenario with
    {
        Timeline = [],
        Steps = [.. scenario.Steps.Select(s => s with { Timeline = [] })],
        Iterations = scenario.Iterations with { Timeline = [] },
        Init = scenario.Init is { } init ? init with { Timeline = [] } : null,
        Cleanup = scenario.Cleanup is { } cleanup ? cleanup with { Timeline = [] } : null,
        Tasks = [.. scenario.Tasks.Select(s => s with { Timeline = [] })],
        PreWork = [.. scenario.PreWork.Select(s => s with { Timeline = [] })],
        Measurements = [.. scenario.Measurements.Select(s => s with { Timeline = [] })],
        WarmUp = scenario.WarmUp is { } warmUp ? WithoutTimelines(warmUp) : null,
    };

    private static StepStats[] Each(IReadOnlyList<StepStats>? previous, IReadOnlyList<StepStats> current, int timelineFrom) =>
        [.. current.Select((s, i) => Since(previous is not null && i < previous.Count ? previous[i] : null, s, timelineFrom))];

    private static StepStats Since(StepStats? previous, StepStats current, int timelineFrom)
    {
        if (previous is null)
        {
            return current with { Timeline = From(current.Timeline, timelineFrom, p => p.Second) };
        }

        return new StepStats(
            current.Name,
            current.Ok - previous.Ok,
            current.Failed - previous.Failed,
            current.TimedOut - previous.TimedOut,
            current.Cancelled - previous.Cancelled,
            current.Duration,
            current.Latency.Since(previous.Latency),
            current.ScheduledLatency.Since(previous.ScheduledLatency),
            current.FailedLatency.Since(previous.FailedLatency),
            [.. current.Errors
                .Select(e => new ErrorCount(e.Message, e.Count - (previous.Errors.FirstOrDefault(p => p.Message == e.Message)?.Count ?? 0)))
                .Where(e => e.Count != 0)],
            From(current.Timeline, timelineFrom, p => p.Second))
        {
            Http = current.Http is { } http && previous.Http is { } before
                ? new HttpStats(
                    [.. http.StatusCodes.Select(s => new StatusCodeCount(s.Code, s.Count - before.Count(s.Code))).Where(s => s.Count != 0)],
                    http.BodyBytesSent - before.BodyBytesSent,
                    http.BodyBytesReceived - before.BodyBytesReceived,
                    http.TimeToHeaders.Since(before.TimeToHeaders))
                : current.Http,
            WebSocket = current.WebSocket is { } socket && previous.WebSocket is { } earlier
                ? new WebSocketStats(socket.Opened - earlier.Opened, socket.Failed - earlier.Failed, socket.ClosedByServer - earlier.ClosedByServer, socket.Dropped - earlier.Dropped)
                : current.WebSocket,
            Grpc = current.Grpc is { } grpc && previous.Grpc is { } sent
                ? new GrpcStats(
                    [.. grpc.StatusCodes.Select(s => new StatusCodeCount(s.Code, s.Count - sent.Count(s.Code))).Where(s => s.Count != 0)],
                    grpc.MessagesSent - sent.MessagesSent,
                    grpc.MessagesReceived - sent.MessagesReceived,
                    grpc.ConnectionsOpened - sent.ConnectionsOpened)
                : current.Grpc,
        };
    }

    /// <summary>The statistics at each index of a list (steps, tasks, pre-work) of the totals and every interval, merged.</summary>
    private static StepStats[] Each(IReadOnlyList<ScenarioResult> all, Func<ScenarioResult, IReadOnlyList<StepStats>> list, int count, TimeSpan duration)
    {
        var merged = new StepStats[count];
        for (var i = 0; i < count; i++)
        {
            merged[i] = Merge(null, all.Select(list).Where(l => i < l.Count).Select(l => l[i]), duration)!;
        }

        return merged;
    }

    /// <summary>
    /// The totals' statistics plus those of the intervals that have them, without timelines (the latest one's name); the
    /// totals' as they are when no interval has them (null when neither has).
    /// </summary>
    private static StepStats? Merge(StepStats? total, IEnumerable<StepStats?> intervals, TimeSpan duration)
    {
        var added = intervals.OfType<StepStats>().Select(s => s with { Timeline = [] }).ToArray();
        return added.Length == 0 ? total : StepStats.Merge(added[^1].Name, total is null ? added : [total, .. added], duration);
    }

    /// <summary>The points from second <paramref name="from"/> on (points are in order of seconds: found from the end).</summary>
    private static T[] From<T>(IReadOnlyList<T> points, int from, Func<T, int> second)
    {
        var start = points.Count;
        while (start > 0 && second(points[start - 1]) >= from)
        {
            start--;
        }

        if (start == 0)
        {
            return points as T[] ?? [.. points];
        }

        var result = new T[points.Count - start];
        for (var i = start; i < points.Count; i++)
        {
            result[i - start] = points[i];
        }

        return result;
    }
}
