using Google.Protobuf;

namespace LoadKit.Cluster.Protocol;

/// <summary>
/// A snapshot's interval (<see cref="LoadKit.Targets.ShareSnapshot.Result"/>: what a worker measured since its
/// previous snapshot) as the protobuf message a worker sends, and back. Histograms travel in HdrHistogram's compressed
/// V2 encoding with their exact sum, minimum and maximum, so nothing is lost on the way.
/// </summary>
public static class SnapshotEncoding
{
    /// <summary>The message of an interval.</summary>
    public static ShareInterval ToMessage(LoadResult interval)
    {
        ArgumentNullException.ThrowIfNull(interval);
        var message = new ShareInterval
        {
            StartedAtUtcTicks = interval.StartedAt.UtcTicks,
            EndedAtUtcTicks = interval.EndedAt.UtcTicks,
            Cancelled = interval.Cancelled,
            Notes = { interval.Notes },
            Scenarios = { interval.Scenarios.Select(ToMessage) },
        };
        foreach (var generator in interval.Generators)
        {
            message.Generators.Add(new GeneratorInterval
            {
                Process = generator.Process,
                Cores = generator.Cores,
                Samples =
                {
                    generator.Samples.Select(s => new HealthPoint
                    {
                        Second = s.Second,
                        CpuPercent = s.CpuPercent,
                        WorkingSetBytes = s.WorkingSetBytes,
                        Gen0Collections = s.Gen0Collections,
                        Gen1Collections = s.Gen1Collections,
                        Gen2Collections = s.Gen2Collections,
                        GcPauseTicks = s.GcPause.Ticks,
                        ThreadPoolQueueLength = s.ThreadPoolQueueLength,
                    }),
                },
            });
        }

        return message;
    }

    /// <summary>The interval a message carries.</summary>
    /// <exception cref="FormatException">The message cannot be an interval (a histogram that does not decode, a nameless scenario or step, a negative second); the message says which.</exception>
    public static LoadResult FromMessage(ShareInterval message)
    {
        ArgumentNullException.ThrowIfNull(message);
        return new LoadResult(Time(message.StartedAtUtcTicks), Time(message.EndedAtUtcTicks), message.Cancelled, [.. message.Scenarios.Select(FromMessage)])
        {
            Notes = [.. message.Notes],
            Generators =
            [
                .. message.Generators.Select(g => new GeneratorHealth(g.Process, g.Cores, [.. g.Samples.Select(s => new HealthSample(
                    Second(s.Second), s.CpuPercent, s.WorkingSetBytes, s.Gen0Collections, s.Gen1Collections, s.Gen2Collections, TimeSpan.FromTicks(s.GcPauseTicks), s.ThreadPoolQueueLength))])),
            ],
        };
    }

    private static ScenarioInterval ToMessage(ScenarioResult scenario)
    {
        var message = new ScenarioInterval
        {
            Name = scenario.Name,
            StartedAtUtcTicks = scenario.StartedAt.UtcTicks,
            DurationTicks = scenario.Duration.Ticks,
            Users = scenario.Users,
            PeakUsers = scenario.PeakUsers,
            AbandonedUsers = scenario.AbandonedUsers,
            Steps = { scenario.Steps.Select(ToMessage) },
            Iterations = ToMessage(scenario.Iterations),
            Init = scenario.Init is { } init ? ToMessage(init) : null,
            Cleanup = scenario.Cleanup is { } cleanup ? ToMessage(cleanup) : null,
            Dropped = scenario.Dropped,
            Late = scenario.Late,
            SchedulingLag = ToMessage(scenario.SchedulingLag),
            Timeline = { scenario.Timeline.Select(p => new ScenarioPoint { Second = p.Second, ActiveUsers = p.ActiveUsers, Dropped = p.Dropped, Late = p.Late }) },
            Tasks = { scenario.Tasks.Select(ToMessage) },
            PreWork = { scenario.PreWork.Select(ToMessage) },
            Measurements = { scenario.Measurements.Select(ToMessage) },
            WarmUp = scenario.WarmUp is { } warmUp ? ToMessage(warmUp) : null,
            FirstCallAtUtcTicks = scenario.FirstCallAt?.UtcTicks ?? 0,
        };
        return message;
    }

    private static ScenarioResult FromMessage(ScenarioInterval message) => new(
        Name(message.Name, "scenario"),
        Time(message.StartedAtUtcTicks),
        TimeSpan.FromTicks(message.DurationTicks),
        message.Users,
        message.PeakUsers,
        [.. message.Steps.Select(FromMessage)],
        message.Iterations is { } iterations ? FromMessage(iterations) : throw new FormatException($"scenario '{message.Name}': no iterations."),
        message.Init is { } init ? FromMessage(init) : null,
        message.Cleanup is { } cleanup ? FromMessage(cleanup) : null,
        message.AbandonedUsers,
        message.Dropped,
        message.Late,
        FromMessage(message.SchedulingLag),
        [.. message.Timeline.Select(p => new ScenarioTimelinePoint(Second(p.Second), p.ActiveUsers, p.Dropped, p.Late))],
        [.. message.Tasks.Select(FromMessage)],
        [.. message.PreWork.Select(FromMessage)],
        message.WarmUp is { } warmUp ? FromMessage(warmUp) : null)
    {
        Measurements = [.. message.Measurements.Select(FromMessage)],
        FirstCallAt = message.FirstCallAtUtcTicks == 0 ? null : Time(message.FirstCallAtUtcTicks),
    };

    private static StepInterval ToMessage(StepStats step)
    {
        var message = new StepInterval
        {
            Name = step.Name,
            Ok = step.Ok,
            Failed = step.Failed,
            TimedOut = step.TimedOut,
            Cancelled = step.Cancelled,
            DurationTicks = step.Duration.Ticks,
            Latency = ToMessage(step.Latency),
            ScheduledLatency = ToMessage(step.ScheduledLatency),
            FailedLatency = ToMessage(step.FailedLatency),
            Errors = { step.Errors.Select(e => new ErrorTally { Message = e.Message, Count = e.Count }) },
            Timeline = { step.Timeline.Select(p => new StepPoint { Second = p.Second, Ok = p.Ok, Failed = p.Failed, TimedOut = p.TimedOut, Latency = ToMessage(p.Latency) }) },
        };
        if (step.Http is { } http)
        {
            message.Http = new HttpInterval
            {
                StatusCodes = { http.StatusCodes.Select(s => new StatusTally { Code = s.Code, Count = s.Count }) },
                BodyBytesSent = http.BodyBytesSent,
                BodyBytesReceived = http.BodyBytesReceived,
                TimeToHeaders = ToMessage(http.TimeToHeaders),
            };
        }

        if (step.WebSocket is { } socket)
        {
            message.WebSocket = new WebSocketInterval { Opened = socket.Opened, Failed = socket.Failed, ClosedByServer = socket.ClosedByServer, Dropped = socket.Dropped };
        }

        if (step.Grpc is { } grpc)
        {
            message.Grpc = new GrpcInterval
            {
                StatusCodes = { grpc.StatusCodes.Select(s => new StatusTally { Code = s.Code, Count = s.Count }) },
                MessagesSent = grpc.MessagesSent,
                MessagesReceived = grpc.MessagesReceived,
                ConnectionsOpened = grpc.ConnectionsOpened,
            };
        }

        return message;
    }

    private static StepStats FromMessage(StepInterval message) => new(
        Name(message.Name, "step"),
        message.Ok,
        message.Failed,
        message.TimedOut,
        message.Cancelled,
        TimeSpan.FromTicks(message.DurationTicks),
        FromMessage(message.Latency),
        FromMessage(message.ScheduledLatency),
        FromMessage(message.FailedLatency),
        [.. message.Errors.Select(e => new ErrorCount(e.Message, e.Count))],
        [.. message.Timeline.Select(p => new TimelinePoint(Second(p.Second), p.Ok, p.Failed, p.TimedOut, FromMessage(p.Latency)))])
    {
        Http = message.Http is { } http
            ? new HttpStats([.. http.StatusCodes.Select(s => new StatusCodeCount(s.Code, s.Count))], http.BodyBytesSent, http.BodyBytesReceived, FromMessage(http.TimeToHeaders))
            : null,
        WebSocket = message.WebSocket is { } socket ? new WebSocketStats(socket.Opened, socket.Failed, socket.ClosedByServer, socket.Dropped) : null,
        Grpc = message.Grpc is { } grpc
            ? new GrpcStats([.. grpc.StatusCodes.Select(s => new StatusCodeCount(s.Code, s.Count))], grpc.MessagesSent, grpc.MessagesReceived, grpc.ConnectionsOpened)
            : null,
    };

    /// <summary>An empty distribution is an unset message: most points of a quiet step cost nothing.</summary>
    private static Latency? ToMessage(LatencyDistribution distribution) => distribution.Count == 0 ? null : new Latency
    {
        Histogram = UnsafeByteOperations.UnsafeWrap(distribution.EncodeHistogram()),
        SumMicroseconds = distribution.SumMicroseconds,
        MinMicroseconds = distribution.MinMicroseconds,
        MaxMicroseconds = distribution.MaxMicroseconds,
    };

    private static LatencyDistribution FromMessage(Latency? message) => message is null || message.Histogram.IsEmpty
        ? LatencyDistribution.Empty
        : LatencyDistribution.Decode(message.Histogram.Span, message.SumMicroseconds, message.MinMicroseconds, message.MaxMicroseconds);

    private static DateTimeOffset Time(long utcTicks) => utcTicks is >= 0 and <= 3_155_378_975_999_999_999
        ? new DateTimeOffset(utcTicks, TimeSpan.Zero)
        : throw new FormatException($"time = {utcTicks} UTC ticks: allowed 0 to {DateTimeOffset.MaxValue.UtcTicks}.");

    private static int Second(int second) => second >= 0 ? second : throw new FormatException($"timeline second = {second}: allowed from 0.");

    private static string Name(string name, string what) => name.Length > 0 ? name : throw new FormatException($"{what} name = '': a {what} has a name.");
}
