using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using Grpc.Core;
using Grpc.Net.Client;

namespace LoadKit;

/// <summary>
/// A gRPC channel whose connections are counted as they open (its handler's connect callback), and the generated
/// client over it. What it opened is taken by the step that next ends a call on it, so the counts add up exactly.
/// </summary>
internal sealed class CountedChannel<TClient> : IOpenedConnections, IDisposable
{
    private readonly GrpcChannel _channel;
    private readonly Uri _address;
    private readonly Lock _prepareLock = new();
    private Task? _preparing;
    private Socket? _prepared;
    private long _unreported;
    private int _disposed;

    public CountedChannel(Uri address, GrpcSettings settings, Func<CallInvoker, TClient> create)
    {
        var handler = new SocketsHttpHandler
        {
            // More streams than one connection allows open a further connection instead of queueing.
            EnableMultipleHttp2Connections = true,
            PooledConnectionIdleTimeout = Timeout.InfiniteTimeSpan,
            ConnectCallback = ConnectAsync,
        };
        if (settings.TrustedCertificate is { } trusted)
        {
            handler.SslOptions.RemoteCertificateValidationCallback = (_, certificate, _, errors) => Trusts(trusted, certificate, errors);
        }

        settings.ConfigureHandler?.Invoke(handler);
        _address = address;
        _channel = GrpcChannel.ForAddress(address, new GrpcChannelOptions { HttpHandler = handler, DisposeHttpClient = true });
        Client = create(_channel.CreateCallInvoker());
    }

    public TClient Client { get; }

    /// <summary>The connections opened since the last call of this; each is taken once.</summary>
    public long TakeOpened() => Volatile.Read(ref _unreported) == 0 ? 0 : Interlocked.Exchange(ref _unreported, 0);

    /// <summary>
    /// Before a shared start: opens the channel's first connection (TCP; HTTP/2's settings and TLS follow on the first
    /// call), once however many VUs share the channel. One that cannot be opened is left to the first call.
    /// </summary>
    public Task PrepareAsync(CancellationToken cancellationToken)
    {
        lock (_prepareLock)
        {
            return _preparing ??= OpenPreparedAsync(cancellationToken);
        }
    }

    public void Dispose()
    {
        Volatile.Write(ref _disposed, 1);
        _channel.Dispose();
        Interlocked.Exchange(ref _prepared, null)?.Dispose();
    }

    private async Task OpenPreparedAsync(CancellationToken cancellationToken)
    {
        try
        {
            Interlocked.Exchange(ref _prepared, await OpenAsync(new DnsEndPoint(_address.IdnHost, _address.Port), cancellationToken).ConfigureAwait(false));

            // Disposed while it connected (a run stopped while preparing): nobody else closes it.
            if (Volatile.Read(ref _disposed) != 0)
            {
                Interlocked.Exchange(ref _prepared, null)?.Dispose();
            }
        }
        catch (SocketException)
        {
            // Left to the first call, which counts the failure.
        }
    }

    private async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken cancellationToken)
    {
        var socket = Interlocked.Exchange(ref _prepared, null);

        // Readable with nothing to read: the server closed the prepared connection while it waited.
        if (socket is not null && socket.Poll(0, SelectMode.SelectRead) && socket.Available == 0)
        {
            socket.Dispose();
            socket = null;
        }

        socket ??= await OpenAsync(context.DnsEndPoint, cancellationToken).ConfigureAwait(false);
        Interlocked.Increment(ref _unreported);
        return new NetworkStream(socket, ownsSocket: true);
    }

    private static async Task<Socket> OpenAsync(DnsEndPoint endpoint, CancellationToken cancellationToken)
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

    /// <summary>The server's chain ends at <paramref name="trusted"/> (or at a system authority); its name must match either way.</summary>
    private static bool Trusts(X509Certificate2 trusted, X509Certificate? certificate, SslPolicyErrors errors)
    {
        if (errors == SslPolicyErrors.None)
        {
            return true;
        }

        if (certificate is null || errors != SslPolicyErrors.RemoteCertificateChainErrors)
        {
            return false;
        }

        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(trusted);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        var server = certificate as X509Certificate2 ?? X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
        try
        {
            return chain.Build(server);
        }
        finally
        {
            if (!ReferenceEquals(server, certificate))
            {
                server.Dispose();
            }
        }
    }
}

/// <summary>The connections a channel opened that no step has counted yet.</summary>
internal interface IOpenedConnections
{
    /// <summary>The connections opened since the last call of this; each is taken once.</summary>
    long TakeOpened();
}

/// <summary>A VU's own channel, or its hold on the shared one; the engine disposes it when the VU ends.</summary>
internal sealed class ChannelLease<TClient>(CountedChannel<TClient> channel, Action release) : IVirtualUserResource
{
    public CountedChannel<TClient> Channel { get; } = channel;

    public ValueTask DisposeAsync()
    {
        release();
        return ValueTask.CompletedTask;
    }
}
