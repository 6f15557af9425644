namespace LoadKit.Stats;

/// <summary>
/// What a step's gRPC calls added over an interval (one slot per status code, messages, connections), kept per stripe
/// of a <see cref="StepRecorder"/> and written under the stripe's lock: counting never allocates, and a call's counts
/// are collected with the call.
/// </summary>
internal sealed class GrpcCounts
{
    private readonly long[] _statuses = new long[GrpcStats.MaxStatusCode + 1];
    private long _sent;
    private long _received;
    private long _connections;

    /// <summary>Adds a call's status (-1: none), messages and connections.</summary>
    public void Add(int statusCode, long sent, long received, long connections)
    {
        if (statusCode >= 0)
        {
            _statuses[statusCode]++;
        }

        _sent += sent;
        _received += received;
        _connections += connections;
    }

    public void AddTo(GrpcCounts target)
    {
        for (var code = 0; code < _statuses.Length; code++)
        {
            target._statuses[code] += _statuses[code];
        }

        target._sent += _sent;
        target._received += _received;
        target._connections += _connections;
    }

    public void Reset()
    {
        Array.Clear(_statuses);
        (_sent, _received, _connections) = (0, 0, 0);
    }

    public GrpcStats ToStats()
    {
        var statuses = new List<StatusCodeCount>();
        for (var code = 0; code < _statuses.Length; code++)
        {
            if (_statuses[code] > 0)
            {
                statuses.Add(new StatusCodeCount(code, _statuses[code]));
            }
        }

        return new GrpcStats(statuses, _sent, _received, _connections);
    }
}
