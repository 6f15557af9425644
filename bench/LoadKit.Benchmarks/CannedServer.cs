using System.Net;
using System.Net.Sockets;

namespace LoadKit.Benchmarks;

/// <summary>
/// A keep-alive HTTP/1.1 server on raw sockets, on a free 127.0.0.1 port, that answers every request head with the same
/// bytes (<c>hello</c>) and allocates nothing per request: the engine benchmarks' target, so that MemoryDiagnoser's
/// bytes per operation are the client's alone (Kestrel, in the same process, allocates per request too). Requests
/// without a body only (GET, HEAD); stopped by disposing it, which closes its sockets.
/// </summary>
internal sealed class CannedServer : IDisposable
{
    /// <summary>The whole response, headers and body.</summary>
    public static readonly byte[] Response = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Type: text/plain\r\n\r\nhello"u8.ToArray();

    private readonly Socket _listener = new(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
    private readonly List<Socket> _connections = [];
    private readonly Task _accepting;

    public CannedServer()
    {
        _listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _listener.Listen();
        Address = new Uri($"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndPoint!).Port}/");
        _accepting = AcceptAsync();
    }

    public Uri Address { get; }

    public void Dispose()
    {
        _listener.Dispose();
        lock (_connections)
        {
            foreach (var connection in _connections)
            {
                connection.Dispose();
            }
        }

        // The loops end on the closed sockets' errors, which are theirs to swallow.
        _accepting.Wait(TimeSpan.FromSeconds(10));
    }

    private async Task AcceptAsync()
    {
        try
        {
            while (true)
            {
                var connection = await _listener.AcceptAsync().ConfigureAwait(false);
                connection.NoDelay = true;
                lock (_connections)
                {
                    _connections.Add(connection);
                }

                _ = ServeAsync(connection);
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            // Disposed: the server stops.
        }
    }

    /// <summary>Answers each complete request head in what arrived; one buffer and one state machine per connection.</summary>
    private static async Task ServeAsync(Socket connection)
    {
        var buffer = new byte[16 * 1024];
        var filled = 0;
        try
        {
            while (true)
            {
                var read = await connection.ReceiveAsync(buffer.AsMemory(filled), SocketFlags.None).ConfigureAwait(false);
                if (read == 0)
                {
                    return;
                }

                filled += read;
                int end;
                while ((end = buffer.AsSpan(0, filled).IndexOf("\r\n\r\n"u8)) >= 0)
                {
                    await connection.SendAsync(Response.AsMemory(), SocketFlags.None).ConfigureAwait(false); // the Memory overload: a ValueTask, no Task per send
                    var rest = filled - (end + 4);
                    buffer.AsSpan(end + 4, rest).CopyTo(buffer);
                    filled = rest;
                }

                if (filled == buffer.Length)
                {
                    return; // a head larger than the buffer: not a request this server answers
                }
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            // The client or Dispose closed the connection.
        }
    }
}
