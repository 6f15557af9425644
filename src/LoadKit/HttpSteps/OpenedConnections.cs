using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using LoadKit.HttpWire;

namespace LoadKit.HttpSteps;

/// <summary>
/// TCP connections to a scenario's base address, opened before the run's start instant and handed to the first
/// connects of its HTTP handlers, so that a VU's first request does not wait for a connect (TLS is still negotiated on
/// that first request: SocketsHttpHandler does it over the stream it is given). A connection the server closed in the
/// meantime is dropped and a new one made.
/// </summary>
internal sealed class OpenedConnections : IDisposable
{
    private readonly ConcurrentQueue<Socket> _sockets = new();
    private readonly string _host;
    private readonly int _port;

    private OpenedConnections(Uri address) => (_host, _port) = (address.IdnHost, address.Port);

    /// <summary>
    /// Opens up to <paramref name="count"/> connections to <paramref name="address"/>'s host and port. One that cannot
    /// be opened is left out: the run's own connect then fails, and its requests are counted as they would be anyway.
    /// </summary>
    public static async Task<OpenedConnections> OpenAsync(Uri address, int count, CancellationToken cancellationToken)
    {
        var opened = new OpenedConnections(address);
        var endpoint = new DnsEndPoint(opened._host, opened._port);
        await Task.WhenAll(Enumerable.Range(0, count).Select(async _ =>
        {
            try
            {
                opened._sockets.Enqueue(await ConnectAsync(endpoint, cancellationToken).ConfigureAwait(false));
            }
            catch (SocketException)
            {
                // Left to the run, which reports it per request.
            }
        })).ConfigureAwait(false);
        return opened;
    }

    /// <summary>A <see cref="SocketsHttpHandler.ConnectCallback"/>: an opened connection to that endpoint while one is left, else a new one.</summary>
    public async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken cancellationToken) =>
        new NetworkStream(
            Take(context.DnsEndPoint.Host, context.DnsEndPoint.Port) ?? await ConnectAsync(context.DnsEndPoint, cancellationToken).ConfigureAwait(false),
            ownsSocket: true);

    /// <summary>For LoadKit's engine: an opened connection to <paramref name="origin"/> while one is left, else null.</summary>
    public Socket? TryTake(WireOrigin origin) => Take(origin.Host, origin.Port);

    public void Dispose()
    {
        while (_sockets.TryDequeue(out var socket))
        {
            socket.Dispose();
        }
    }

    private Socket? Take(string host, int port)
    {
        if (port != _port || !string.Equals(host, _host, StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        while (_sockets.TryDequeue(out var socket))
        {
            // Readable with nothing to read: the server closed it while it waited.
            if (!(socket.Poll(0, SelectMode.SelectRead) && socket.Available == 0))
            {
                return socket;
            }

            socket.Dispose();
        }

        return null;
    }

    /// <summary>Connects as SocketsHttpHandler does by default: a dual-mode socket, Nagle off.</summary>
    private static async Task<Socket> ConnectAsync(DnsEndPoint endpoint, CancellationToken cancellationToken)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(endpoint, cancellationToken).ConfigureAwait(false);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }
}
