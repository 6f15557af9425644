using System.Net.WebSockets;
using System.Text;

namespace LoadKit;

/// <summary>
/// A whole message received on a <see cref="WebSocketConnection"/> (its frames put together). <see cref="Data"/> lies in
/// the connection's reusable buffer: it is valid until the connection's next receive, so copy what must outlive that.
/// </summary>
public readonly struct WebSocketMessage
{
    internal WebSocketMessage(WebSocketMessageType type, ReadOnlyMemory<byte> data)
    {
        Type = type;
        Data = data;
    }

    /// <summary><see cref="WebSocketMessageType.Text"/> or <see cref="WebSocketMessageType.Binary"/>.</summary>
    public WebSocketMessageType Type { get; }

    /// <summary>Whether it is a text message.</summary>
    public bool IsText => Type == WebSocketMessageType.Text;

    /// <summary>The payload (UTF-8 for a text message), valid until the connection's next receive.</summary>
    public ReadOnlyMemory<byte> Data { get; }

    /// <summary>The payload decoded as UTF-8. Allocates a string; compare <see cref="Data"/> with a <c>"..."u8</c> literal where that matters.</summary>
    public string Text => Encoding.UTF8.GetString(Data.Span);

    /// <inheritdoc />
    public override string ToString() => IsText ? Text : $"{Type} message of {Data.Length} bytes";
}
