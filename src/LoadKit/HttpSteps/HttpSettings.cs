using System.Globalization;
using System.Net;
using System.Security.Cryptography.X509Certificates;
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

    /// <summary>
    /// Which client sends the requests. The default, <see cref="HttpEngine.Auto"/>, is LoadKit's own HTTP/1.1 engine
    /// (<see cref="HttpEngine.LoadKit"/>: each request description encoded once, responses read only as far as checks
    /// and extractions need) for HTTP/1.x over real connections, and .NET's HttpClient (SocketsHttpHandler) where that
    /// engine does not go: <see cref="Version"/> 2.0, a <see cref="Handler"/>, a <see cref="Proxy"/>, or a proxy from
    /// the environment (<c>HTTP_PROXY</c>, <c>HTTPS_PROXY</c>, <c>ALL_PROXY</c>, any case). Set
    /// <see cref="HttpEngine.HttpClient"/> to send every request through HttpClient.
    /// </summary>
    public HttpEngine Engine { get; init; } = HttpEngine.Auto;

    /// <summary>
    /// The content codings requests ask for (<c>Accept-Encoding</c>) and responses are decompressed from before checks
    /// and extractions read them. The default, <see cref="DecompressionMethods.None"/>, asks for none.
    /// </summary>
    public DecompressionMethods Decompression { get; init; } = DecompressionMethods.None;

    /// <summary>
    /// An HTTP proxy every request goes through, e.g. <c>http://127.0.0.1:3128</c> (<c>https://</c> addresses through
    /// CONNECT), also for loopback targets. Null: the environment's proxy settings apply (<c>HTTP_PROXY</c>,
    /// <c>HTTPS_PROXY</c>, <c>NO_PROXY</c>), as HttpClient reads them. LoadKit's own engine does not go through proxies.
    /// </summary>
    public Uri? Proxy { get; init; }

    /// <summary>
    /// A certificate trusted besides the system's authorities when an <c>https://</c> server's chain is checked: a test
    /// authority, or a server's self-signed certificate (load it with
    /// <c>X509CertificateLoader.LoadCertificateFromFile("server.crt")</c>). The server's name is checked either way.
    /// Null (the default): the system's authorities only. Both engines use it.
    /// </summary>
    public X509Certificate2? TrustedCertificate { get; init; }

    /// <summary>
    /// Whether LoadKit's engine reads its responses on .NET's socket thread rather than handing each to the thread pool:
    /// fewer thread wake-ups, so less CPU per request (bench/README.md, "Responses on the socket thread", has the
    /// figures). The thread is one for the whole process (on machines of up to 30 cores), so the engine's HTTP work is
    /// then limited to about one core: right for fixed rates that one core carries, not for the highest rate a big
    /// machine reaches. Steps, hooks and the code that awaits a request never run on that thread (LoadKit moves them to
    /// the thread pool), so a step that blocks cannot stall the process's sockets. Only LoadKit's engine reads this.
    /// Null (the default): on the socket thread when the scenario's load is arrival rates only and this process's
    /// share of it peaks at 20,000 iterations a second or less, a rate known before the start that one core carries
    /// with room to spare; on the thread pool for users and iterations, whose rate is known only once they run.
    /// </summary>
    public bool? ResponsesOnSocketThread { get; init; }

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
        if (!Enum.IsDefined(Engine))
        {
            problems.Add(new("Http.Engine", Engine.ToString(), "must be HttpEngine.Auto, HttpEngine.HttpClient or HttpEngine.LoadKit"));
        }
        else if (Engine == HttpEngine.LoadKit && Version == HttpVersion.Version20)
        {
            problems.Add(new("Http.Engine", "LoadKit", "speaks HTTP/1.1 and 1.0 only, and Http.Version is 2.0; allowed: Engine = HttpEngine.HttpClient for HTTP/2, or Version 1.1 or 1.0"));
        }
        else if (Engine == HttpEngine.LoadKit && Handler is not null)
        {
            problems.Add(new("Http.Engine", "LoadKit", "sends over connections, and Http.Handler is set (an in-process handler); allowed: Engine = HttpEngine.HttpClient with a Handler"));
        }

        if (ResponsesOnSocketThread == true && (Engine == HttpEngine.HttpClient || Version == HttpVersion.Version20 || Handler is not null))
        {
            problems.Add(new("Http.ResponsesOnSocketThread", "true",
                "applies to LoadKit's engine only, and these settings send through HttpClient (Engine = HttpClient, Version 2.0 or a Handler); allowed: false, or the LoadKit engine over HTTP/1.x"));
        }

        if (Proxy is { } proxy)
        {
            if (!proxy.IsAbsoluteUri || proxy.Scheme != Uri.UriSchemeHttp || proxy.AbsolutePath != "/" || proxy.Query.Length > 0)
            {
                problems.Add(new("Http.Proxy", proxy.OriginalString, "must be an absolute http:// address of a proxy with no path, e.g. http://127.0.0.1:3128"));
            }
            else if (Engine == HttpEngine.LoadKit)
            {
                problems.Add(new("Http.Engine", "LoadKit", "does not go through a proxy, and Http.Proxy is set; allowed: Engine = HttpEngine.HttpClient with a Proxy"));
            }
            else if (Handler is not null)
            {
                problems.Add(new("Http.Proxy", proxy.OriginalString, "does not apply when Http.Handler is set (requests go to the handler, not over connections); leave it unset"));
            }
        }

        if ((Decompression & ~(DecompressionMethods.GZip | DecompressionMethods.Deflate | DecompressionMethods.Brotli)) != 0)
        {
            problems.Add(new("Http.Decompression", Decompression.ToString(), "must be None or a combination of GZip, Deflate and Brotli"));
        }

        if (Handler is not null && MaxConnectionsPerServer != int.MaxValue)
        {
            problems.Add(new("Http.MaxConnectionsPerServer", MaxConnectionsPerServer.ToString(CultureInfo.InvariantCulture),
                "does not apply when Http.Handler is set (requests go to the handler, not over connections); leave it unset"));
        }
    }

    /// <summary>
    /// Whether requests go through LoadKit's engine: <see cref="HttpEngine.Auto"/> resolved when the run starts (the
    /// environment's proxy may be set after the scenario is built). <paramref name="environment"/> reads a variable
    /// (the process's environment when null).
    /// </summary>
    internal bool UsesLoadKitEngine(Func<string, string?>? environment = null) => Engine switch
    {
        HttpEngine.LoadKit => true,
        HttpEngine.HttpClient => false,
        _ => Version.Major == 1 && Handler is null && Proxy is null && !ProxyInEnvironment(environment),
    };

    /// <summary>Whether the environment names a proxy that .NET's clients (HttpClient, ClientWebSocket) would go through.</summary>
    internal static bool ProxyInEnvironment(Func<string, string?>? environment = null) =>
        ProxyVariables.Any(v => (environment ?? Environment.GetEnvironmentVariable)(v) is { Length: > 0 });

    private static readonly string[] ProxyVariables = ["http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"];

    internal Uri? ResolveBaseAddress() =>
        BaseAddress ?? (Handler is not null ? InProcessHandlers.DefaultAddress : null) ?? (Environment.GetEnvironmentVariable(BaseAddressVariable) is { Length: > 0 } fromEnvironment
            ? new Uri(fromEnvironment, UriKind.Absolute)
            : null);
}

/// <summary>Which client sends a scenario's HTTP requests (<see cref="HttpSettings.Engine"/>).</summary>
public enum HttpEngine
{
    /// <summary>
    /// LoadKit's own engine for HTTP/1.x over connections; HttpClient for HTTP/2, in-process handlers and proxies
    /// (the default).
    /// </summary>
    Auto,

    /// <summary>.NET's HttpClient (SocketsHttpHandler): HTTP/1.1 and HTTP/2, in-process handlers.</summary>
    HttpClient,

    /// <summary>LoadKit's own HTTP/1.1 engine: requests encoded once per description, responses read only as far as checks and extractions need.</summary>
    LoadKit,
}

/// <summary>Who uses which connections.</summary>
public enum HttpConnections
{
    /// <summary>Each VU has its own connection pool, reused across its iterations and closed when the VU ends.</summary>
    PerUser,

    /// <summary>All VUs of the scenario share one pool (fewer connections, as a server-to-server client would).</summary>
    Shared,
}
