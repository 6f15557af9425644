using System.Text.Json.Serialization;

namespace LoadKit;

/// <summary>
/// What the gRPC calls of a step saw, beyond their latency: the status each call ended with, the messages sent and
/// received, and the connections opened. Recorded by the LoadKit.Grpc steps (or by a step's own client, through
/// <see cref="StepContext.RecordGrpcStatus"/> and its siblings).
/// </summary>
/// <param name="StatusCodes">
/// Calls by the gRPC status code they ended with, lowest code first. Calls that the step's timeout or the run's stop
/// cancelled are not here (the status is then the client's, not the call's).
/// </param>
/// <param name="MessagesSent">Request messages sent (1 per unary call; each one of a stream).</param>
/// <param name="MessagesReceived">Response messages received (1 per unary call that succeeded; each one of a stream).</param>
/// <param name="ConnectionsOpened">TCP connections the channels opened, counted in the step that next ended a call on them.</param>
public sealed record GrpcStats(
    IReadOnlyList<StatusCodeCount> StatusCodes,
    long MessagesSent,
    long MessagesReceived,
    long ConnectionsOpened)
{
    /// <summary>The status codes' names, by code (0 to 16), as the gRPC specification writes them.</summary>
    private static readonly string[] Names =
    [
        "OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED", "NOT_FOUND", "ALREADY_EXISTS",
        "PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION", "ABORTED", "OUT_OF_RANGE", "UNIMPLEMENTED",
        "INTERNAL", "UNAVAILABLE", "DATA_LOSS", "UNAUTHENTICATED",
    ];

    /// <summary>The highest gRPC status code (UNAUTHENTICATED).</summary>
    public const int MaxStatusCode = 16;

    /// <summary>Calls that ended with a status: the sum of <see cref="StatusCodes"/>.</summary>
    [JsonIgnore]
    public long Calls => StatusCodes.Sum(s => s.Count);

    /// <summary>How many calls ended with <paramref name="statusCode"/> (0 is OK).</summary>
    public long Count(int statusCode) => StatusCodes.FirstOrDefault(s => s.Code == statusCode)?.Count ?? 0;

    /// <summary>The name of a gRPC status code as the specification writes it (<c>DEADLINE_EXCEEDED</c>), or the number when it is not one.</summary>
    public static string StatusName(int statusCode) =>
        statusCode is >= 0 and <= MaxStatusCode ? Names[statusCode] : statusCode.ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Merges several parts (processes, workers) exactly; null when none of them made gRPC calls.</summary>
    public static GrpcStats? Merge(IEnumerable<GrpcStats?> parts)
    {
        var present = parts.OfType<GrpcStats>().ToArray();
        return present.Length == 0
            ? null
            : new GrpcStats(
                StatusCodeCount.Merge(present.SelectMany(p => p.StatusCodes)),
                present.Sum(p => p.MessagesSent),
                present.Sum(p => p.MessagesReceived),
                present.Sum(p => p.ConnectionsOpened));
    }
}
