using System.Collections.Immutable;
using System.Runtime.CompilerServices;
using LoadKit.Steps;

namespace LoadKit.WebSockets;

/// <summary>The WebSocket connections of one VU, by name; closed with the VU.</summary>
internal sealed class WebSocketConnections(StepContext context) : IVirtualUserResource
{
    private readonly Dictionary<string, WebSocketConnection> _byName = new(StringComparer.Ordinal);

    public WebSocketConnection Get(string name)
    {
        if (!_byName.TryGetValue(name, out var connection))
        {
            connection = new WebSocketConnection(name, context);
            _byName.Add(name, connection);
        }

        return connection;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var connection in _byName.Values)
        {
            await connection.DisposeAsync().ConfigureAwait(false);
        }
    }
}
