using System.Net;
using LoadKit.HttpWire;
using LoadKit.Steps;

namespace LoadKit.HttpSteps;

/// <summary>One engine's HTTP connections: a pool per VU, or one shared by all, as the scenario's settings say.</summary>
internal sealed class HttpClients(HttpSettings settings) : IRunHttp, IDisposable
{
    private readonly InProcessHandlers? _inProcess = settings.Handler is { } handler ? new InProcessHandlers(handler) : null;
    private readonly Lock _sharedLock = new();
    private HttpMessageInvoker? _shared;
    private WirePool? _sharedWire;
    private OpenedConnections? _opened;

    public Version Version => settings.Version;

    public DecompressionMethods Decompression => settings.Decompression;

    public bool UsesWire { get; } = settings.UsesLoadKitEngine();

    /// <summary>Resolved when the first request needs it: the environment may be set after the scenario is built.</summary>
    public Uri? BaseAddress { get; } = settings.ResolveBaseAddress();

    /// <summary>A VU's client; a per-VU one is the caller's to dispose (<see cref="OwnedByUser"/>).</summary>
    public HttpMessageInvoker ForUser() => OwnedByUser ? Create() : Shared();

    public bool OwnedByUser => settings.Connections == HttpConnections.PerUser;

    /// <summary>A VU's connections on LoadKit's engine; a per-VU pool is the caller's to dispose (<see cref="OwnedByUser"/>).</summary>
    public WirePool WireForUser()
    {
        if (OwnedByUser)
        {
            return CreateWire();
        }

        lock (_sharedLock)
        {
            return _sharedWire ??= CreateWire();
        }
    }

    /// <summary>What the run's notes must say about these connections: that they were in-process, if so; else null.</summary>
    public string? Note(string scenario) => _inProcess?.Note(scenario);

    /// <summary>
    /// Before the start: opens the connections that <paramref name="users"/> VUs starting at once need to the base
    /// address (one each, or as many as the shared pool allows; one for a shared HTTP/2 pool), for the handlers made
    /// after it; on LoadKit's engine an https address's are secured too (TLS negotiated). Nothing for in-process
    /// handlers or without an absolute base address.
    /// </summary>
    public async Task OpenConnectionsAsync(int users, CancellationToken cancellationToken)
    {
        if (_inProcess is not null || _opened is not null || users <= 0 || BaseAddress is not { IsAbsoluteUri: true } address || address.Scheme is not ("http" or "https"))
        {
            return;
        }

        var count = OwnedByUser ? users : settings.Version.Major >= 2 ? 1 : Math.Min(users, settings.MaxConnectionsPerServer);
        _opened = await OpenedConnections.OpenAsync(address, count, UsesWire, CertificateTrust.Check(settings.TrustedCertificate), InlineResponses, cancellationToken).ConfigureAwait(false);
    }

    public void Dispose()
    {
        lock (_sharedLock)
        {
            _shared?.Dispose();
            _sharedWire?.Dispose();
        }

        _opened?.Dispose();
    }

    private HttpMessageInvoker Shared()
    {
        lock (_sharedLock)
        {
            return _shared ??= Create();
        }
    }

    private WirePool CreateWire() => new(new WirePoolSettings(settings.MaxConnectionsPerServer, _opened is { } opened ? opened.TryTake : null, CertificateTrust.Check(settings.TrustedCertificate), InlineResponses));

    /// <summary>Whether LoadKit's engine sends, and reads its responses on the socket thread.</summary>
    internal bool InlineResponses => UsesWire && settings.ResponsesOnSocketThread == true;

    private HttpMessageInvoker Create() => _inProcess?.Create() ?? new(

        new SocketsHttpHandler
        {
            MaxConnectionsPerServer = settings.MaxConnectionsPerServer,
            AllowAutoRedirect = false,
            UseCookies = false,
            AutomaticDecompression = settings.Decompression,
            PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
            EnableMultipleHttp2Connections = true,
            ConnectCallback = _opened is { } opened ? opened.ConnectAsync : null,
            Proxy = settings.Proxy is { } proxy ? new WebProxy(proxy) { BypassProxyOnLocal = false } : null,
            SslOptions = { RemoteCertificateValidationCallback = CertificateTrust.Check(settings.TrustedCertificate) },
        },
        disposeHandler: true);
}
