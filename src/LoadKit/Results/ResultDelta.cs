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
    /// The running totals <paramref name="total"/> plus the interval <paramref name="interval"/>, without timelines (the
    /// caller keeps those by second). Counts add and histograms merge; users, abandoned users, start and duration are the
    /// interval's (the latest); the peak is the higher.
    /// </summary>
    public static ScenarioResult Add(ScenarioResult total, ScenarioResult interval)
    {
        var ended = Later(total.EndedAt, interval.EndedAt);
        var duration = ended - interval.StartedAt;
        return new ScenarioResult(
            interval.Name,
            interval.StartedAt,
            duration,
            interval.Users,
            Math.Max(total.PeakUsers, interval.PeakUsers),
            [.. interval.Steps.Select((s, i) => Add(i < total.Steps.Count ? total.Steps[i] : null, s, duration))],
            Add(total.Iterations, interval.Iterations, duration),
            interval.Init is { } init ? Add(total.Init, init, duration) : total.Init,
            interval.Cleanup is { } cleanup ? Add(total.Cleanup, cleanup, duration) : total.Cleanup,
            interval.AbandonedUsers,
            total.Dropped + interval.Dropped,
            total.Late + interval.Late,
            LatencyDistribution.Merge([total.SchedulingLag, interval.SchedulingLag]),
            [],
            [.. interval.Tasks.Select((s, i) => Add(i < total.Tasks.Count ? total.Tasks[i] : null, s, duration))],
            [.. interval.PreWork.Select((s, i) => Add(i < total.PreWork.Count ? total.PreWork[i] : null, s, duration))],
            interval.WarmUp is { } warmUp ? total.WarmUp is { } totalWarmUp ? Add(totalWarmUp, warmUp) : WithoutTimelines(warmUp) : total.WarmUp)
        {
            // An interval lists every measurement so far, in the order of the whole result.
            Measurements = [.. interval.Measurements.Select(m => Add(total.Measurements.FirstOrDefault(t => t.Name == m.Name), m, duration))],
            FirstCallAt = total.FirstCallAt is { } first && (interval.FirstCallAt is null || first < interval.FirstCallAt) ? first : interval.FirstCallAt,
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

    private static StepStats Add(StepStats? total, StepStats interval, TimeSpan duration) =>
        total is null ? interval with { Timeline = [], Duration = duration } : StepStats.Merge(interval.Name, [total, interval with { Timeline = [] }], duration);

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

    private static DateTimeOffset Later(DateTimeOffset a, DateTimeOffset b) => a > b ? a : b;
}
