using System.Net.WebSockets;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace LoadKit.TestTargets;

/// <summary>
/// A page on 127.0.0.1 that opens a WebSocket and updates itself from its messages: the server greets each connection
/// ("hello"), answers each "ping N" with "pong N", and the page shows the last message in <c>#status</c> and counts
/// them in <c>#count</c>. <c>/api</c> is a plain HTTP endpoint for HTTP VUs. The server counts what it saw.
/// </summary>
internal sealed class LivePageServer : IAsyncDisposable
{
    private const string Page = """
        <!doctype html>
        <html><head><title>live</title><style>body{font-family:sans-serif} h1{font-size:40px}</style></head>
        <body>
          <h1 id="status">connecting</h1>
          <p>messages: <span id="count">0</span></p>
          <button id="ping">ping</button>
          <script>
            let sent = 0, received = 0;
            const ws = new WebSocket(`ws://${location.host}/ws`);
            ws.onmessage = e => {
              received++;
              document.getElementById('status').textContent = e.data;
              document.getElementById('count').textContent = String(received);
            };
            document.getElementById('ping').onclick = () => ws.send(`ping ${++sent}`);
          </script>
        </body></html>
        """;

    private readonly WebApplication _app;
    private int _connections;
    private int _open;
    private long _pings;
    private long _apiCalls;

    private LivePageServer(WebApplication app, Uri address)
    {
        _app = app;
        Address = address;
    }

    public Uri Address { get; }

    public Uri PageUrl => new(Address, "/");

    /// <summary>WebSocket connections accepted since the start.</summary>
    public int Connections => Volatile.Read(ref _connections);

    /// <summary>WebSocket connections open now.</summary>
    public int OpenConnections => Volatile.Read(ref _open);

    /// <summary>"ping" messages received (each answered with a "pong").</summary>
    public long Pings => Interlocked.Read(ref _pings);

    /// <summary>Calls of /api.</summary>
    public long ApiCalls => Interlocked.Read(ref _apiCalls);

    public static async Task<LivePageServer> StartAsync()
    {
        var app = LoopbackApp.Create();
        LivePageServer? server = null;
        app.UseWebSockets();
        app.MapGet("/", () => Microsoft.AspNetCore.Http.Results.Content(Page, "text/html"));
        app.MapGet("/api", () =>
        {
            Interlocked.Increment(ref server!._apiCalls);
            return Microsoft.AspNetCore.Http.Results.Text("ok");
        });
        app.Map("/ws", async (HttpContext http) =>
        {
            if (!http.WebSockets.IsWebSocketRequest)
            {
                http.Response.StatusCode = 400;
                return;
            }

            using var socket = await http.WebSockets.AcceptWebSocketAsync();
            await server!.ServeAsync(socket, http.RequestAborted);
        });
        var addresses = await LoopbackApp.StartAsync(app);
        server = new LivePageServer(app, addresses[0]);
        return server;
    }

    private async Task ServeAsync(WebSocket socket, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _connections);
        Interlocked.Increment(ref _open);
        try
        {
            await socket.SendAsync(Encoding.UTF8.GetBytes("hello"), WebSocketMessageType.Text, true, cancellationToken);
            var buffer = new byte[1024];
            while (socket.State == WebSocketState.Open)
            {
                var received = await socket.ReceiveAsync(buffer, cancellationToken);
                if (received.MessageType == WebSocketMessageType.Close)
                {
                    await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None);
                    break;
                }

                var text = Encoding.UTF8.GetString(buffer, 0, received.Count);
                if (text.StartsWith("ping ", StringComparison.Ordinal))
                {
                    Interlocked.Increment(ref _pings);
                    await socket.SendAsync(Encoding.UTF8.GetBytes("pong " + text[5..]), WebSocketMessageType.Text, true, cancellationToken);
                }
            }
        }
        catch (Exception exception) when (exception is WebSocketException or OperationCanceledException)
        {
            // The browser went away.
        }
        finally
        {
            Interlocked.Decrement(ref _open);
        }
    }

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();
}
