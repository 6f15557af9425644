namespace LoadKit;

/// <summary>What the HTTP requests of a step saw, beyond their latency (which is the step's, to the last byte).</summary>
/// <param name="StatusCodes">Responses by status code, lowest code first; requests that got no response are not here.</param>
/// <param name="BodyBytesSent">Request body bytes sent (headers not counted).</param>
/// <param name="BodyBytesReceived">Response body bytes received: with HttpClient as it delivers them (after decompression, if any); with LoadKit's own engine as they came over the wire (compressed).</param>
/// <param name="TimeToHeaders">From sending the request to its response headers (time to first byte, roughly).</param>
public sealed record HttpStats(
    IReadOnlyList<StatusCodeCount> StatusCodes,
    long BodyBytesSent,
    long BodyBytesReceived,
    LatencyDistribution TimeToHeaders)
{
    /// <summary>How many responses had <paramref name="statusCode"/>.</summary>
    public long Count(int statusCode) => StatusCodes.FirstOrDefault(s => s.Code == statusCode)?.Count ?? 0;

    /// <summary>Merges several parts (processes, workers) exactly; null when none of them made HTTP requests.</summary>
    public static HttpStats? Merge(IEnumerable<HttpStats?> parts)
    {
        var present = parts.OfType<HttpStats>().ToArray();
        return present.Length == 0
            ? null
            : new HttpStats(
                StatusCodeCount.Merge(present.SelectMany(p => p.StatusCodes)),
                present.Sum(p => p.BodyBytesSent),
                present.Sum(p => p.BodyBytesReceived),
                LatencyDistribution.Merge(present.Select(p => p.TimeToHeaders)));
    }
}

/// <summary>How many responses (HTTP) or calls (gRPC) had one status code.</summary>
/// <param name="Code">The HTTP status code, or the gRPC status code (<see cref="GrpcStats.StatusName"/> names it).</param>
/// <param name="Count">How many responses or calls had it.</param>
public sealed record StatusCodeCount(int Code, long Count)
{
    /// <summary>The counts of each code added up, lowest code first.</summary>
    internal static StatusCodeCount[] Merge(IEnumerable<StatusCodeCount> counts) =>
        [.. counts.GroupBy(s => s.Code).OrderBy(g => g.Key).Select(g => new StatusCodeCount(g.Key, g.Sum(s => s.Count)))];
}
