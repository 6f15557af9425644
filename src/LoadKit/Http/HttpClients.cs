using System.Net;

namespace LoadKit;

/// <summary>One engine's HTTP connections: a pool per VU, or one shared by all, as the scenario's settings say.</summary>
internal sealed class HttpClients(HttpSettings settings) : IDisposable
{
    private readonly Lazy<HttpMessageInvoker> _shared = new(() => Create(settings));

    public HttpSettings Settings => settings;

    /// <summary>Resolved when the first request needs it: the environment may be set after the scenario is built.</summary>
    public Uri? BaseAddress { get; } = settings.ResolveBaseAddress();

    /// <summary>A VU's client; a per-VU one is the caller's to dispose (<see cref="OwnedByUser"/>).</summary>
    public HttpMessageInvoker ForUser() => OwnedByUser ? Create(settings) : _shared.Value;

    public bool OwnedByUser => settings.Connections == HttpConnections.PerUser;

    public void Dispose()
    {
        if (_shared.IsValueCreated)
        {
            _shared.Value.Dispose();
        }
    }

    private static HttpMessageInvoker Create(HttpSettings settings) => new(
        new SocketsHttpHandler
        {
            MaxConnectionsPerServer = settings.MaxConnectionsPerServer,
            AllowAutoRedirect = false,
            UseCookies = false,
            AutomaticDecompression = DecompressionMethods.None,
            PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
            EnableMultipleHttp2Connections = true,
        },
        disposeHandler: true);
}
