namespace LoadKit.Stats;

/// <summary>What a step's gRPC calls did, as running totals: one slot per status code, so counting never allocates or locks.</summary>
internal sealed class GrpcCounts
{
    private readonly long[] _statuses = new long[GrpcStats.MaxStatusCode + 1];
    private long _sent;
    private long _received;
    private long _connections;

    public void Status(int statusCode) => Interlocked.Increment(ref _statuses[statusCode]);

    public void Messages(long sent, long received)
    {
        if (sent != 0)
        {
            Interlocked.Add(ref _sent, sent);
        }

        if (received != 0)
        {
            Interlocked.Add(ref _received, received);
        }
    }

    public void Connections(long opened) => Interlocked.Add(ref _connections, opened);

    public GrpcStats ToStats()
    {
        var statuses = new List<StatusCodeCount>();
        for (var code = 0; code < _statuses.Length; code++)
        {
            if (Interlocked.Read(ref _statuses[code]) is var count and > 0)
            {
                statuses.Add(new StatusCodeCount(code, count));
            }
        }

        return new GrpcStats(statuses, Interlocked.Read(ref _sent), Interlocked.Read(ref _received), Interlocked.Read(ref _connections));
    }
}
