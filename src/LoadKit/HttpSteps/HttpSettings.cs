using System.Globalization;
using System.Net;
using LoadKit.HttpSteps;
using LoadKit.Validation;

namespace LoadKit;

/// <summary>How a scenario's HTTP steps connect. Set with <see cref="ScenarioBuilder.WithHttp"/>.</summary>
public sealed record HttpSettings
{
    /// <summary>The environment variable that gives the base address when the scenario sets none.</summary>
    public const string BaseAddressVariable = "LOADKIT_HTTP_BASE_ADDRESS";

    /// <summary>
    /// Where relative request paths point, e.g. <c>http://127.0.0.1:5000/</c>. When null, the environment variable
    /// <see cref="BaseAddressVariable"/> gives it (so CI can aim the same test elsewhere); absolute paths need neither.
    /// </summary>
    public Uri? BaseAddress { get; init; }

    /// <summary>
    /// The HTTP version every request uses, exactly: <see cref="HttpVersion.Version20"/> on an <c>http://</c> address
    /// is HTTP/2 with prior knowledge (h2c). The default is HTTP/1.1.
    /// </summary>
    public Version Version { get; init; } = HttpVersion.Version11;

    /// <summary>Whether each VU keeps its own connections (the default, as a browser would) or all VUs share one pool.</summary>
    public HttpConnections Connections { get; init; } = HttpConnections.PerUser;

    /// <summary>The connections one pool may open to one server (per VU, or in all when shared). The default is unlimited.</summary>
    public int MaxConnectionsPerServer { get; init; } = int.MaxValue;

    /// <summary>
    /// Sends the HTTP steps through handlers this function creates instead of over connections, e.g.
    /// <c>Handler = factory.Server.CreateHandler</c> for an ASP.NET Core app hosted in the test (<c>TestServer</c>,
    /// <c>WebApplicationFactory&lt;T&gt;</c>): a smoke load with no network and no deployment. It is called for each
    /// pool (each VU's, or the one shared pool) and LoadKit disposes what it returns, so it must create a new handler on
    /// each call. Latency then excludes the network, and <see cref="LoadResult.Notes"/> says so. Relative paths resolve
    /// against <see cref="BaseAddress"/>, or <c>http://localhost/</c> (TestServer's address) when it is null;
    /// <see cref="BaseAddressVariable"/> is not read, and <see cref="MaxConnectionsPerServer"/> does not apply.
    /// The default, null, opens real connections.
    /// </summary>
    public Func<HttpMessageHandler>? Handler { get; init; }

    internal void Validate(List<ValidationProblem> problems)
    {
        if (BaseAddress is { } address && Urls.BaseAddressProblem(address.OriginalString) is { } problem)
        {
            problems.Add(new("Http.BaseAddress", address.OriginalString, $"{problem}; allowed: {Urls.BaseAddressAllowed}"));
        }

        if (Version != HttpVersion.Version11 && Version != HttpVersion.Version20 && Version != HttpVersion.Version10)
        {
            problems.Add(new("Http.Version", Version.ToString(), "must be 1.0, 1.1 or 2.0"));
        }

        Check.Positive("Http.MaxConnectionsPerServer", MaxConnectionsPerServer, problems);
        if (Handler is not null && MaxConnectionsPerServer != int.MaxValue)
        {
            problems.Add(new("Http.MaxConnectionsPerServer", MaxConnectionsPerServer.ToString(CultureInfo.InvariantCulture),
                "does not apply when Http.Handler is set (requests go to the handler, not over connections); leave it unset"));
        }
    }

    internal Uri? ResolveBaseAddress() =>
        BaseAddress ?? (Handler is not null ? InProcessHandlers.DefaultAddress : null) ?? (Environment.GetEnvironmentVariable(BaseAddressVariable) is { Length: > 0 } fromEnvironment
            ? new Uri(fromEnvironment, UriKind.Absolute)
            : null);
}

/// <summary>Who uses which connections.</summary>
public enum HttpConnections
{
    /// <summary>Each VU has its own connection pool, reused across its iterations and closed when the VU ends.</summary>
    PerUser,

    /// <summary>All VUs of the scenario share one pool (fewer connections, as a server-to-server client would).</summary>
    Shared,
}
