namespace LoadKit.Stats;

/// <summary>What HTTP requests of one step added over an interval: status codes, body bytes, time to headers.</summary>
internal sealed class HttpCounts(Func<LatencyAccumulator> create)
{
    /// <summary>Keyed by status code; cleared, not replaced, between intervals, so a known code never allocates again.</summary>
    private readonly Dictionary<int, long> _statuses = [];

    public LatencyAccumulator TimeToHeaders { get; } = create();

    public long BodyBytesSent { get; private set; }

    public long BodyBytesReceived { get; private set; }

    /// <summary>Counts one request; <paramref name="statusCode"/> 0 means no response arrived.</summary>
    public void Record(int statusCode, long bodyBytesSent, long bodyBytesReceived, long timeToHeadersMicroseconds)
    {
        if (statusCode > 0)
        {
            _statuses[statusCode] = _statuses.GetValueOrDefault(statusCode) + 1;
            TimeToHeaders.Record(timeToHeadersMicroseconds);
        }

        BodyBytesSent += bodyBytesSent;
        BodyBytesReceived += bodyBytesReceived;
    }

    public void AddTo(HttpCounts target)
    {
        foreach (var (code, count) in _statuses)
        {
            target._statuses[code] = target._statuses.GetValueOrDefault(code) + count;
        }

        TimeToHeaders.AddTo(target.TimeToHeaders);
        target.BodyBytesSent += BodyBytesSent;
        target.BodyBytesReceived += BodyBytesReceived;
    }

    public void Reset()
    {
        _statuses.Clear();
        TimeToHeaders.Reset();
        BodyBytesSent = 0;
        BodyBytesReceived = 0;
    }

    public HttpStats ToStats() => new(
        [.. _statuses.OrderBy(s => s.Key).Select(s => new StatusCodeCount(s.Key, s.Value))],
        BodyBytesSent,
        BodyBytesReceived,
        TimeToHeaders.ToDistribution());
}
