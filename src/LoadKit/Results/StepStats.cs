using System.Text.Json.Serialization;

namespace LoadKit;

/// <summary>
/// The statistics of one step (or of all steps together, or of whole iterations): how calls ended, their
/// latency, the errors and a per-second timeline. Immutable.
/// </summary>
/// <param name="Name">The step's name.</param>
/// <param name="Ok">Calls that succeeded.</param>
/// <param name="Failed">Calls that threw or called <see cref="StepContext.Fail"/>.</param>
/// <param name="TimedOut">Calls that exceeded their timeout.</param>
/// <param name="Cancelled">Calls interrupted because the run stopped (not counted as failures).</param>
/// <param name="Duration">The time over which the calls were made, the base of <see cref="RequestsPerSecond"/>.</param>
/// <param name="Latency">Latency of the calls that succeeded: service time, from the call's actual start.</param>
/// <param name="ScheduledLatency">
/// Latency of the calls that succeeded, from when their iteration was scheduled to start: service time plus the
/// iteration's start lag. In an open model this is what a user arriving on time waits, so a stalled system cannot
/// hide its queue (no coordinated omission). Equal to <paramref name="Latency"/> when nothing is scheduled.
/// </param>
/// <param name="FailedLatency">Latency of the calls that failed.</param>
/// <param name="Errors">Error messages with their counts, most frequent first.</param>
/// <param name="Timeline">One point per second of the run.</param>
public sealed record StepStats(
    string Name,
    long Ok,
    long Failed,
    long TimedOut,
    long Cancelled,
    TimeSpan Duration,
    LatencyDistribution Latency,
    LatencyDistribution ScheduledLatency,
    LatencyDistribution FailedLatency,
    IReadOnlyList<ErrorCount> Errors,
    IReadOnlyList<TimelinePoint> Timeline)
{
    /// <summary>Status codes, body bytes and time to headers of the step's HTTP requests; null when it made none.</summary>
    public HttpStats? Http { get; init; }

    /// <summary>The WebSocket connections the step opened, failed to open, or saw closed by the server or dropped; null when it saw none.</summary>
    public WebSocketStats? WebSocket { get; init; }

    /// <summary>Status codes, messages and connections of the step's gRPC calls; null when it made none.</summary>
    public GrpcStats? Grpc { get; init; }

    /// <summary>Calls that ended on their own: <see cref="Ok"/> + <see cref="Failed"/> + <see cref="TimedOut"/>.</summary>
    [JsonIgnore]
    public long Completed => Ok + Failed + TimedOut;

    /// <summary>The share of completed calls that failed or timed out, from 0 to 1.</summary>
    [JsonIgnore]
    public double FailureRate => Completed == 0 ? 0 : (Failed + TimedOut) / (double)Completed;

    /// <summary>Completed calls per second over <see cref="Duration"/>.</summary>
    [JsonIgnore]
    public double RequestsPerSecond => Duration > TimeSpan.Zero ? Completed / Duration.TotalSeconds : 0;

    /// <summary>Merges statistics exactly (counts add, histograms merge, timelines merge second by second).</summary>
    /// <param name="name">The name of the merged statistics.</param>
    /// <param name="parts">The statistics to merge.</param>
    /// <param name="duration">The time the merged statistics cover.</param>
    public static StepStats Merge(string name, IReadOnlyCollection<StepStats> parts, TimeSpan duration)
    {
        ArgumentNullException.ThrowIfNull(parts);
        var errors = parts.SelectMany(p => p.Errors)
            .GroupBy(e => e.Message, StringComparer.Ordinal)
            .Select(g => new ErrorCount(g.Key, g.Sum(e => e.Count)))
            .OrderByDescending(e => e.Count)
            .ThenBy(e => e.Message, StringComparer.Ordinal)
            .ToArray();
        var timeline = MergeTimeline(parts.SelectMany(p => p.Timeline));
        return new StepStats(
            name,
            parts.Sum(p => p.Ok),
            parts.Sum(p => p.Failed),
            parts.Sum(p => p.TimedOut),
            parts.Sum(p => p.Cancelled),
            duration,
            LatencyDistribution.Merge(parts.Select(p => p.Latency)),
            LatencyDistribution.Merge(parts.Select(p => p.ScheduledLatency)),
            LatencyDistribution.Merge(parts.Select(p => p.FailedLatency)),
            errors,
            timeline)
        {
            Http = HttpStats.Merge(parts.Select(p => p.Http)),
            WebSocket = WebSocketStats.Merge(parts.Select(p => p.WebSocket)),
            Grpc = GrpcStats.Merge(parts.Select(p => p.Grpc)),
        };
    }

    /// <summary>Points of the same second added up, in order of seconds.</summary>
    internal static TimelinePoint[] MergeTimeline(IEnumerable<TimelinePoint> points) => [.. points
        .GroupBy(p => p.Second)
        .OrderBy(g => g.Key)
        .Select(g => new TimelinePoint(g.Key, g.Sum(p => p.Ok), g.Sum(p => p.Failed), g.Sum(p => p.TimedOut), LatencyDistribution.Merge(g.Select(p => p.Latency))))];
}
