using System.Diagnostics;
using System.Net.Security;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Security.Authentication;
using LoadKit.Async;

namespace LoadKit.HttpWire;

/// <summary>How a <see cref="WirePool"/> connects.</summary>
/// <param name="MaxConnectionsPerServer">The connections the pool may have to one origin at once (busy and idle).</param>
/// <param name="TakeOpened">A connection opened (and secured, for https) before the run to that origin, or null (then the pool connects).</param>
/// <param name="CertificateCheck">Validates the server's certificate; null: the system's validation.</param>
/// <param name="Inline">Whether its connections' completions run on the socket thread (<see cref="SocketThread"/>).</param>
internal sealed record WirePoolSettings(
    int MaxConnectionsPerServer, Func<WireOrigin, WireConnection?>? TakeOpened = null, RemoteCertificateValidationCallback? CertificateCheck = null, bool Inline = false);

/// <summary>
/// HTTP/1.1 connections to any number of origins (a VU's own, or shared by a scenario's VUs): an idle one is reused
/// unless the server closed it meanwhile, otherwise a new one is opened (TCP connect, then TLS through SslStream for
/// https), up to <see cref="WirePoolSettings.MaxConnectionsPerServer"/> per origin; further requests wait for one.
/// </summary>
internal sealed class WirePool(WirePoolSettings settings) : IDisposable
{
    private static readonly List<SslApplicationProtocol> Http11 = [SslApplicationProtocol.Http11];

    private readonly Lock _lock = new();
    private readonly Dictionary<WireOrigin, OriginConnections> _origins = [];
    private OriginConnections? _last;
    private bool _disposed;

    /// <summary>
    /// An idle connection to <paramref name="origin"/>, or (none, or <paramref name="fresh"/>) a new one (its connect and
    /// TLS times go to <paramref name="exchange"/>).
    /// </summary>
    [AsyncMethodBuilder(typeof(SharedPoolValueTaskBuilder<>))]
    public async ValueTask<WireConnection> RentAsync(WireOrigin origin, WireExchange exchange, bool fresh, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var connections = Of(origin);
        if (connections.Slots is { } slots)
        {
            await slots.WaitAsync(cancellationToken).ConfigureAwait(false);
        }

        try
        {
            while (!fresh && TakeIdle(connections) is { } idle)
            {
                if (!idle.LooksClosed())
                {
                    return idle;
                }

                idle.Dispose();
            }

            return await OpenAsync(origin, exchange, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            connections.Slots?.Release();
            throw;
        }
    }

    /// <summary>Gives a rented connection back: idle for the next request when <paramref name="reusable"/>, else closed.</summary>
    public void Return(WireConnection connection, bool reusable)
    {
        var connections = Of(connection.Origin);
        lock (_lock)
        {
            reusable &= !_disposed;
            if (reusable)
            {
                connections.Idle.Push(connection);
            }

            if (!_disposed)
            {
                connections.Slots?.Release();
            }
        }

        if (!reusable)
        {
            connection.Dispose();
        }
    }

    public void Dispose()
    {
        lock (_lock)
        {
            _disposed = true;
            foreach (var connections in _origins.Values)
            {
                while (connections.Idle.TryPop(out var idle))
                {
                    idle.Dispose();
                }

                connections.Slots?.Dispose();
            }
        }
    }

    private WireConnection? TakeIdle(OriginConnections connections)
    {
        lock (_lock)
        {
            return connections.Idle.TryPop(out var idle) ? idle : null;
        }
    }

    private OriginConnections Of(WireOrigin origin)
    {
        lock (_lock)
        {
            if (_last is { } last && ReferenceEquals(last.Origin, origin))
            {
                return last;
            }

            if (!_origins.TryGetValue(origin, out var connections))
            {
                connections = new OriginConnections(origin, settings.MaxConnectionsPerServer);
                _origins.Add(origin, connections);
            }

            return _last = connections;
        }
    }

    /// <summary>
    /// Negotiates TLS for HTTP/1.1 with <paramref name="origin"/> over <paramref name="stream"/> (disposed when it fails);
    /// a failed handshake is raised as HttpClient raises it.
    /// </summary>
    public static async Task<SslStream> SecureAsync(Stream stream, WireOrigin origin, RemoteCertificateValidationCallback? certificateCheck, CancellationToken cancellationToken)
    {
        var tls = new SslStream(stream, leaveInnerStreamOpen: false);
        try
        {
            // The same target host each time: SslStream resumes the TLS session where the platform allows it.
            await tls.AuthenticateAsClientAsync(
                new SslClientAuthenticationOptions { TargetHost = origin.Host, ApplicationProtocols = Http11, RemoteCertificateValidationCallback = certificateCheck },
                cancellationToken).ConfigureAwait(false);
            return tls;
        }
        catch (Exception e) when (e is AuthenticationException or IOException)
        {
            await tls.DisposeAsync().ConfigureAwait(false);
            throw WireErrors.HandshakeFailed(origin, e);
        }
        catch
        {
            await tls.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private async ValueTask<WireConnection> OpenAsync(WireOrigin origin, WireExchange exchange, CancellationToken cancellationToken)
    {
        var connection = settings.TakeOpened?.Invoke(origin) ?? await ConnectAsync(origin, cancellationToken).ConfigureAwait(false);
        (exchange.ConnectTicks, exchange.TlsTicks) = (connection.ConnectTicks, connection.TlsTicks);
        return connection;
    }

    private async ValueTask<WireConnection> ConnectAsync(WireOrigin origin, CancellationToken cancellationToken)
    {
        var start = Stopwatch.GetTimestamp();
        Socket socket;
        try
        {
            socket = await ConnectSocketAsync(origin.Host, origin.Port, settings.Inline, cancellationToken).ConfigureAwait(false);
        }
        catch (SocketException e)
        {
            throw WireErrors.ConnectFailed(origin, e);
        }

        var connected = Stopwatch.GetTimestamp();
        Stream stream = new NetworkStream(socket, ownsSocket: true);
        if (origin.IsTls)
        {
            stream = await SecureAsync(stream, origin, settings.CertificateCheck, cancellationToken).ConfigureAwait(false);
        }

        return new WireConnection(origin, socket, stream) { ConnectTicks = connected - start, TlsTicks = origin.IsTls ? Stopwatch.GetTimestamp() - connected : 0 };
    }

    /// <summary>
    /// A TCP connection to <paramref name="host"/>:<paramref name="port"/> as SocketsHttpHandler makes one by default
    /// (a dual-mode socket, Nagle off), its completions on the socket thread with <paramref name="inline"/>
    /// (<see cref="SocketThread"/>); the socket is disposed when the connect fails. The pool's and the connections
    /// opened before a run.
    /// </summary>
    internal static async Task<Socket> ConnectSocketAsync(string host, int port, bool inline, CancellationToken cancellationToken)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        if (inline)
        {
            SocketThread.TryPreferInline(socket);
        }

        try
        {
            await socket.ConnectAsync(host, port, cancellationToken).ConfigureAwait(false);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    private sealed class OriginConnections(WireOrigin origin, int max)
    {
        public WireOrigin Origin => origin;

        public Stack<WireConnection> Idle { get; } = new();

        /// <summary>Busy connections' slots; null when unlimited.</summary>
        public SemaphoreSlim? Slots { get; } = max == int.MaxValue ? null : new SemaphoreSlim(max, max);
    }
}
