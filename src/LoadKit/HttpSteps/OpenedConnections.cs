using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using LoadKit.HttpWire;

namespace LoadKit.HttpSteps;

/// <summary>
/// Connections to a scenario's base address, opened before the run starts and handed to the first connects of its
/// HTTP handlers, so that a VU's first request does not wait for a connect; for LoadKit's engine and an https address
/// also for the TLS handshake (SocketsHttpHandler negotiates TLS itself over the stream it is given, on the first
/// request). A connection the server closed in the meantime is dropped and a new one made.
/// </summary>
internal sealed class OpenedConnections : IDisposable
{
    /// <summary>How long a connect (and handshake) before the run may take; one that takes longer is left to the run.</summary>
    private static readonly TimeSpan OpenLimit = TimeSpan.FromSeconds(10);

    private readonly ConcurrentQueue<Opened> _connections = new();
    private readonly WireOrigin _origin;

    private OpenedConnections(Uri address) => _origin = new WireOrigin(address);

    /// <summary>
    /// Opens up to <paramref name="count"/> connections to <paramref name="address"/>'s host and port; with
    /// <paramref name="handshake"/> (LoadKit's engine) and an https address, also negotiates TLS on each, checking the
    /// certificate with <paramref name="certificateCheck"/> (null: the system's check). One that cannot be opened (or
    /// secured) within 10 s is left out: the run's own connect then meets what it met, and counts it per request.
    /// With <paramref name="inline"/> (LoadKit's engine only), their completions run on the socket thread (<see cref="SocketThread"/>).
    /// </summary>
    public static async Task<OpenedConnections> OpenAsync(
        Uri address, int count, bool handshake, RemoteCertificateValidationCallback? certificateCheck, bool inline, CancellationToken cancellationToken)
    {
        var opened = new OpenedConnections(address);
        var origin = opened._origin;
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(OpenLimit);
        var secure = handshake && origin.IsTls;
        async Task OpenOneAsync()
        {
            try
            {
                var start = Stopwatch.GetTimestamp();
                var socket = await WirePool.ConnectSocketAsync(origin.Host, origin.Port, inline, limit.Token).ConfigureAwait(false);
                var connected = Stopwatch.GetTimestamp();
                SslStream? secured = null;
                if (secure)
                {
                    // On failure SecureAsync disposes the stream and with it the socket.
                    secured = await WirePool.SecureAsync(new NetworkStream(socket, ownsSocket: true), origin, certificateCheck, limit.Token).ConfigureAwait(false);
                }

                opened._connections.Enqueue(new Opened(socket, secured, connected - start, secured is null ? 0 : Stopwatch.GetTimestamp() - connected));
            }
            catch (Exception e) when (e is SocketException or HttpRequestException || (e is OperationCanceledException && !cancellationToken.IsCancellationRequested))
            {
                // Left to the run, which reports it per request.
            }
        }

        try
        {
            // Secured: one first, alone, so that the others can resume its TLS session (cheaper for both ends; .NET
            // resumes for a host name, not for an IP address).
            var first = secure && count > 1 ? 1 : 0;
            if (first == 1)
            {
                await OpenOneAsync().ConfigureAwait(false);
            }

            await Task.WhenAll(Enumerable.Range(first, count - first).Select(_ => OpenOneAsync())).ConfigureAwait(false);
        }
        catch
        {
            // Cancelled: the connections opened so far are nobody's.
            opened.Dispose();
            throw;
        }

        if (SocketThread.IsCurrent)
        {
            await Task.Yield(); // the run's preparation goes on off the socket thread (inline connects end there)
        }

        return opened;
    }

    /// <summary>A <see cref="SocketsHttpHandler.ConnectCallback"/>: an opened connection to that endpoint while one is left, else a new one.</summary>
    public async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken cancellationToken) =>
        new NetworkStream(
            Take(context.DnsEndPoint.Host, context.DnsEndPoint.Port)?.Socket ?? await WirePool.ConnectSocketAsync(context.DnsEndPoint.Host, context.DnsEndPoint.Port, inline: false, cancellationToken).ConfigureAwait(false),
            ownsSocket: true);

    /// <summary>
    /// For LoadKit's engine: an opened connection to <paramref name="origin"/> while one is left, else null. It carries
    /// how long its connect and handshake took, which the step that first uses it records as its connect measurements.
    /// </summary>
    public WireConnection? TryTake(WireOrigin origin)
    {
        if (Take(origin.Host, origin.Port) is not { } opened)
        {
            return null;
        }

        if ((opened.Secured is not null) != origin.IsTls)
        {
            opened.Close();
            return null;
        }

        return new WireConnection(origin, opened.Socket, (Stream?)opened.Secured ?? new NetworkStream(opened.Socket, ownsSocket: true))
        {
            ConnectTicks = opened.ConnectTicks,
            TlsTicks = opened.TlsTicks,
        };
    }

    public void Dispose()
    {
        while (_connections.TryDequeue(out var connection))
        {
            connection.Close();
        }
    }

    private Opened? Take(string host, int port)
    {
        if (port != _origin.Port || !string.Equals(host, _origin.Host, StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        while (_connections.TryDequeue(out var connection))
        {
            // Readable with nothing to read: the server closed it while it waited (a secured one may have bytes
            // waiting: the server's TLS session tickets).
            if (!(connection.Socket.Poll(0, SelectMode.SelectRead) && connection.Socket.Available == 0))
            {
                return connection;
            }

            connection.Close();
        }

        return null;
    }

    /// <summary>An opened connection: its socket, its TLS stream when secured, and how long each took (Stopwatch ticks).</summary>
    private readonly record struct Opened(Socket Socket, SslStream? Secured, long ConnectTicks, long TlsTicks)
    {
        public void Close()
        {
            Secured?.Dispose();
            Socket.Dispose();
        }
    }
}
