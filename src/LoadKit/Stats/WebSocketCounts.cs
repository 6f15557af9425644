namespace LoadKit.Stats;

/// <summary>What happened to a step's WebSocket connections, as running totals (rare events: one per connection, not per message).</summary>
internal sealed class WebSocketCounts
{
    private long _opened;
    private long _failed;
    private long _closedByServer;
    private long _dropped;

    public void Opened() => Interlocked.Increment(ref _opened);

    public void Failed() => Interlocked.Increment(ref _failed);

    public void ClosedByServer() => Interlocked.Increment(ref _closedByServer);

    public void Dropped() => Interlocked.Increment(ref _dropped);

    public WebSocketStats ToStats() => new(Interlocked.Read(ref _opened), Interlocked.Read(ref _failed), Interlocked.Read(ref _closedByServer), Interlocked.Read(ref _dropped));
}
