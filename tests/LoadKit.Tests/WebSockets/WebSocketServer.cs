using System.Collections.Concurrent;
using System.Net;
using System.Net.WebSockets;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using LoadKit.TestTargets;

namespace LoadKit.Tests.WebSockets;

/// <summary>
/// A real Kestrel WebSocket server on 127.0.0.1 (a free port) that counts connections per VU (the <c>vu</c> query
/// value), messages and client closes. Paths: <c>/echo</c> echoes; <c>/drop?after=N&amp;how=close|abort</c> ends a VU's
/// first connection on its Nth message; <c>/burst</c> answers each message with "noise 1", "noise 2", "match: msg";
/// <c>/frames</c> answers with a 30,000-byte text message sent in three frames; <c>/silent</c> never answers;
/// <c>/whoami</c> answers with the X-User header and the subprotocol.
/// </summary>
internal sealed class WebSocketServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private int _accepted;
    private int _connections;
    private int _messages;
    private int _closedByClient;

    private WebSocketServer(WebApplication app) => _app = app;

    public ConcurrentDictionary<string, int> ConnectionsByUser { get; } = new();

    /// <summary>WebSocket connections (handshakes the server accepted).</summary>
    public int Connections => Volatile.Read(ref _connections);

    /// <summary>TCP connections the server accepted, counted before a byte is read.</summary>
    public int Accepted => Volatile.Read(ref _accepted);

    public int Messages => Volatile.Read(ref _messages);

    /// <summary>Connections the client ended with a close handshake.</summary>
    public int ClosedByClient => Volatile.Read(ref _closedByClient);

    public string Address { get; private set; } = "";

    /// <summary>The ws:// URL of <paramref name="pathAndQuery"/>.</summary>
    public string Url(string pathAndQuery) => $"ws://{Address}{pathAndQuery}";

    public static async Task<WebSocketServer> StartAsync()
    {
        WebSocketServer? server = null;
        var app = LoopbackApp.Create(k => k.Listen(IPAddress.Loopback, 0, listen => listen.Use(next => connection =>
        {
            Interlocked.Increment(ref server!._accepted);
            return next(connection);
        })));
        server = new WebSocketServer(app);
        app.UseWebSockets();
        app.Map("/{mode}", (HttpContext http, string mode) => server.HandleAsync(http, mode));
        var address = (await LoopbackApp.StartAsync(app))[0];
        server.Address = $"{address.Host}:{address.Port}";
        return server;
    }

    /// <summary>Waits (bounded) until <paramref name="condition"/> holds: the server sees a client's close a moment after the client sends it.</summary>
    public static async Task<bool> EventuallyAsync(Func<bool> condition, TimeSpan within)
    {
        var until = DateTime.UtcNow + within;
        while (!condition())
        {
            if (DateTime.UtcNow > until)
            {
                return false;
            }

            await Task.Delay(10);
        }

        return true;
    }

    private async Task HandleAsync(HttpContext http, string mode)
    {
        if (!http.WebSockets.IsWebSocketRequest)
        {
            http.Response.StatusCode = 400;
            return;
        }

        var user = http.Request.Query["vu"].ToString();
        var connectionOfUser = ConnectionsByUser.AddOrUpdate(user, 1, (_, n) => n + 1);
        Interlocked.Increment(ref _connections);
        var subProtocol = http.WebSockets.WebSocketRequestedProtocols.FirstOrDefault();
        using var socket = await http.WebSockets.AcceptWebSocketAsync(subProtocol);
        var buffer = new byte[64 * 1024];
        var received = 0;
        try
        {
            while (true)
            {
                var length = 0;
                ValueWebSocketReceiveResult frame;
                do
                {
                    frame = await socket.ReceiveAsync(buffer.AsMemory(length), http.RequestAborted);
                    length += frame.Count;
                }
                while (!frame.EndOfMessage && frame.MessageType != WebSocketMessageType.Close);

                if (frame.MessageType == WebSocketMessageType.Close)
                {
                    Interlocked.Increment(ref _closedByClient);
                    await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, http.RequestAborted);
                    return;
                }

                received++;
                Interlocked.Increment(ref _messages);
                var message = buffer.AsMemory(0, length);
                switch (mode)
                {
                    case "drop" when connectionOfUser == 1 && received == int.Parse(http.Request.Query["after"].ToString(), System.Globalization.CultureInfo.InvariantCulture):
                        if (http.Request.Query["how"] == "abort")
                        {
                            http.Abort();
                        }
                        else
                        {
                            await socket.CloseAsync(WebSocketCloseStatus.InternalServerError, "bye", http.RequestAborted);
                        }

                        return;
                    case "echo" or "drop":
                        await socket.SendAsync(message, frame.MessageType, true, http.RequestAborted);
                        break;
                    case "burst":
                        await SendTextAsync(socket, "noise 1", http.RequestAborted);
                        await SendTextAsync(socket, "noise 2", http.RequestAborted);
                        await SendTextAsync(socket, "match: " + Encoding.UTF8.GetString(message.Span), http.RequestAborted);
                        break;
                    case "frames":
                        var part = Encoding.UTF8.GetBytes(new string('a', 10_000));
                        for (var i = 0; i < 3; i++)
                        {
                            await socket.SendAsync(part, WebSocketMessageType.Text, endOfMessage: i == 2, http.RequestAborted);
                        }

                        break;
                    case "whoami":
                        await SendTextAsync(socket, $"{http.Request.Headers["X-User"]}|{socket.SubProtocol}", http.RequestAborted);
                        break;
                }
            }
        }
        catch (Exception exception) when (exception is WebSocketException or OperationCanceledException or IOException)
        {
            // The client went away without a close handshake (a timed-out receive aborts its socket).
        }
    }

    private static Task SendTextAsync(WebSocket socket, string text, CancellationToken cancellationToken) =>
        socket.SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, true, cancellationToken);

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
