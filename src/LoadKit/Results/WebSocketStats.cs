namespace LoadKit;

/// <summary>
/// The WebSocket connections a step saw: those its connects opened or failed to open, and those that ended under it
/// (the server closed them with a close frame, or they broke). A connect step that found its connection open did
/// nothing and is not counted, neither here nor as a call.
/// </summary>
/// <param name="Opened">Connections opened (handshake done).</param>
/// <param name="Failed">Connects that did not open a connection (refused, failed handshake, cancelled).</param>
/// <param name="ClosedByServer">Connections the server closed with a close frame while the step used them.</param>
/// <param name="Dropped">Connections that broke without a close frame while the step used them.</param>
public sealed record WebSocketStats(long Opened, long Failed, long ClosedByServer, long Dropped)
{
    /// <summary>Merges several parts (processes, workers) exactly; null when none of them used a WebSocket.</summary>
    public static WebSocketStats? Merge(IEnumerable<WebSocketStats?> parts)
    {
        var present = parts.OfType<WebSocketStats>().ToArray();
        return present.Length == 0
            ? null
            : new WebSocketStats(present.Sum(p => p.Opened), present.Sum(p => p.Failed), present.Sum(p => p.ClosedByServer), present.Sum(p => p.Dropped));
    }
}
