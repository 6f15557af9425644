using System.Net.Http;
using System.Security.Cryptography.X509Certificates;

namespace LoadKit;

/// <summary>How a <see cref="GrpcClient{TClient}"/> connects: where, over which channels, and whom it trusts. Immutable.</summary>
public sealed class GrpcSettings
{
    /// <summary>The environment variable that gives the address when <see cref="Address"/> is not set, so CI can aim the same test elsewhere.</summary>
    public const string AddressVariable = "LOADKIT_GRPC_ADDRESS";

    /// <summary>
    /// The server: <c>http://host:port</c> for HTTP/2 without TLS (h2c, prior knowledge), <c>https://host:port</c> for
    /// TLS. Null (the default): the environment variable <see cref="AddressVariable"/>.
    /// </summary>
    public Uri? Address { get; init; }

    /// <summary>Whether each VU has a channel (and so its connections) of its own, or all VUs share one. Default <see cref="GrpcChannels.PerUser"/>.</summary>
    public GrpcChannels Channels { get; init; } = GrpcChannels.PerUser;

    /// <summary>
    /// A certificate trusted besides the system's authorities when the server's chain is checked: a test authority, or a
    /// server's self-signed certificate. Null (the default): the system's authorities only. The server's name is checked
    /// either way.
    /// </summary>
    public X509Certificate2? TrustedCertificate { get; init; }

    /// <summary>
    /// Changes the handler of each channel before it is used, for what these settings do not cover (client certificates,
    /// keep-alive pings, connection limits). LoadKit has set its connect callback, which counts connections: keep it.
    /// </summary>
    public Action<SocketsHttpHandler>? ConfigureHandler { get; init; }
}

/// <summary>Which VUs share a gRPC channel. A channel multiplexes concurrent calls as HTTP/2 streams over its connections.</summary>
public enum GrpcChannels
{
    /// <summary>
    /// Each VU has a channel of its own, kept across its iterations and closed when the VU ends: as many connections as
    /// VUs, like separate client apps or devices. Choose it when each VU stands for a client of its own, or when the
    /// service sits behind a connection-level (L4) balancer that spreads connections, not calls.
    /// </summary>
    PerUser,

    /// <summary>
    /// All VUs share one channel, which opens a further connection only when a connection's concurrent streams are
    /// used up (the server's limit, 100 by default in Kestrel): like one service calling another. Choose it to load a
    /// service as its backend callers do, with many calls on few connections; it costs the generator the least.
    /// </summary>
    Shared,
}
