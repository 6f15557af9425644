using System.Diagnostics;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using LoadKit.HttpSteps;
using LoadKit.Workload;

namespace LoadKit.Targets;

/// <summary>
/// Compiles LoadKit's own hot paths in this process before its first prepared run: a tiny run goes the way a worker's
/// share goes (prepared, then started at a given instant) through every executor, and through those of LoadKit's HTTP
/// steps the run uses (its engine, over TCP and, when the run may use TLS, over TLS: headers, query, a JSON body, a
/// check) and its WebSocket steps (connect, exchange, close) when the run has them, against a responder on loopback
/// ports of its own (no request reaches the run's target). Without it a fresh worker's first requests waited tens of
/// milliseconds for the JIT after the start instant: each method met for the first time there cost its compilation.
/// Each part is warmed once per process, when a run first needs it: all of them cost about 0.9 CPU-s, one engine over
/// TCP about 0.3 (2 cores, 2026-12-05), which a short local run would otherwise pay for code it never calls. The
/// scenario's own code (its steps) is compiled on its first call, as is any HTTP client of its own, and TLS reached
/// from a code step alone (no https base address or step URL) is compiled in the run.
/// </summary>
internal static class ProcessWarmUp
{
    private static readonly Lock Gate = new();

    /// <summary>Each part's warm-up, once started (several parts started together share one).</summary>
    private static readonly Dictionary<WarmUpParts, Task> Warming = [];

    /// <summary>The parts in <see cref="Warming"/>.</summary>
    private static WarmUpParts started;

    /// <summary>
    /// Completes once the <paramref name="parts"/> have been warmed in this process (at once when they were before).
    /// Never faults: a warm-up that failed (no loopback port, say) leaves the code to compile in the run, which goes on
    /// as before.
    /// </summary>
    public static Task EnsureAsync(WarmUpParts parts)
    {
        lock (Gate)
        {
            var missing = parts & ~started;
            if (missing != WarmUpParts.None)
            {
                // Without the caller's execution context: a run's (its test assembly's) values must not live on in
                // what the warm-up leaves behind (a pooled connection's timer, say), which would keep that assembly loaded.
                Task warming;
                using (ExecutionContext.SuppressFlow())
                {
                    warming = Task.Run(() => WarmAsync(missing));
                }

                foreach (var part in Each(missing))
                {
                    Warming[part] = warming;
                }

                started |= missing;
            }

            return Task.WhenAll(Each(parts).Select(part => Warming[part]).Distinct());
        }
    }

    /// <summary>
    /// What a run of <paramref name="scenarios"/> needs warmed: each scenario's HTTP engine (also when its steps are code:
    /// an <see cref="HttpCall"/> sent from code takes it), over TLS too when its base address or a step's URL is https
    /// or may be (a URL that begins with a session value), and WebSocket steps when it has them.
    /// </summary>
    public static WarmUpParts For(IEnumerable<Scenario> scenarios)
    {
        var parts = WarmUpParts.None;
        foreach (var scenario in scenarios)
        {
            var engine = scenario.Http.UsesLoadKitEngine();
            var tls = scenario.Http.BaseAddress?.Scheme == Uri.UriSchemeHttps ||
                scenario.Steps.Any(step => step.Action.Target is HttpStepCall call && MayBeHttps(call.Request.Path.Text));
            parts |= engine ? WarmUpParts.LoadKitEngine : WarmUpParts.HttpClient;
            parts |= !tls ? WarmUpParts.None : engine ? WarmUpParts.LoadKitEngineTls : WarmUpParts.HttpClientTls;
            parts |= scenario.Steps.Any(step => step.Action.Target is WebSockets.WebSocketConnectStep) ? WarmUpParts.WebSocket : WarmUpParts.None;
        }

        return parts;

        static bool MayBeHttps(string path) =>
            path.StartsWith("https:", StringComparison.OrdinalIgnoreCase) || path.StartsWith("{{", StringComparison.Ordinal);
    }

    private static IEnumerable<WarmUpParts> Each(WarmUpParts parts) =>
        Enum.GetValues<WarmUpParts>().Where(part => part is not (WarmUpParts.None or WarmUpParts.All) && parts.HasFlag(part));

    private static async Task WarmAsync(WarmUpParts parts)
    {
        try
        {
            await RunAsync(parts).ConfigureAwait(false);
        }
        catch (Exception)
        {
            // Only an optimisation: the run pays for its own first compiling instead.
        }
    }

    /// <summary>Runs the warm-up of <paramref name="parts"/> (again) and returns its last round's result: what it ran, for a test to see that it worked.</summary>
    internal static async Task<LoadResult> RunAsync(WarmUpParts parts = WarmUpParts.All)
    {
        LoadResult? last = null;
        var tls = (parts & (WarmUpParts.HttpClientTls | WarmUpParts.LoadKitEngineTls)) != 0;
        using var certificate = tls ? SelfSignedCertificate() : null; // made only when needed: it compiles the X.509 code
        using var trusted = certificate is null ? null : X509CertificateLoader.LoadCertificate(certificate.RawData);
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        using var tlsListener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        if (tls)
        {
            tlsListener.Start();
        }

        using var stop = new CancellationTokenSource();
        var responding = Task.WhenAll(RespondAsync(listener, null, stop.Token), tls ? RespondAsync(tlsListener, certificate, stop.Token) : Task.CompletedTask);
        try
        {
            var address = new Uri($"http://127.0.0.1:{((IPEndPoint)listener.LocalEndpoint).Port}/");
            var tlsAddress = new Uri($"https://127.0.0.1:{((IPEndPoint)tlsListener.LocalEndpoint).Port}/");

            // A scenario per part (an HTTP engine over plain TCP or over TLS, WebSocket steps), the parts asked for at once.
            Scenario Warm(string name, HttpEngine engine, Uri address) => Scenario.Create(name)
                .WithHttp(new HttpSettings { BaseAddress = address, Engine = engine, TrustedCertificate = address.Scheme == "https" ? trusted : null })
                .Step("get", Http.Get("/").WithHeader("X-LoadKit-Warm-Up", "1").WithQuery("q", "1").Check(HttpCheck.StatusIs(200)))
                .ThinkTime(TimeSpan.FromMilliseconds(1))
                .Step("post", Http.Post("/").WithJson("{}").Check(HttpCheck.StatusIs(200)))
                .WithLoad(
                    Load.ConstantUsers(1, TimeSpan.FromMilliseconds(30)),
                    Load.ArrivalRate(200, TimeSpan.FromMilliseconds(30), preAllocatedUsers: 1, maxUsers: 2),
                    Load.IterationsPerUser(1, 5))
                .Build();
            Scenario WebSocket() => Scenario.Create("loadkit process warm-up (WebSocket)")
                .Step("connect", WebSocketSteps.Connect("warm-up", $"ws://127.0.0.1:{address.Port}/ws"))
                .Step("exchange", WebSocketSteps.Exchange("warm-up", "hi"))
                .Step("close", WebSocketSteps.Close("warm-up"))
                .WithLoad(Load.IterationsPerUser(1, 2))
                .Build();
            (WarmUpParts Part, Func<Scenario> Create)[] all =
            [
                (WarmUpParts.HttpClient, () => Warm("loadkit process warm-up", HttpEngine.HttpClient, address)),
                (WarmUpParts.LoadKitEngine, () => Warm("loadkit process warm-up (LoadKit's HTTP engine)", HttpEngine.LoadKit, address)),
                (WarmUpParts.HttpClientTls, () => Warm("loadkit process warm-up (TLS)", HttpEngine.HttpClient, tlsAddress)),
                (WarmUpParts.LoadKitEngineTls, () => Warm("loadkit process warm-up (TLS, LoadKit's HTTP engine)", HttpEngine.LoadKit, tlsAddress)),
                (WarmUpParts.WebSocket, WebSocket),
            ];
            var scenarios = all.Where(s => parts.HasFlag(s.Part)).Select(s => s.Create()).ToArray();

            // Twice, as a worker's shares run (ShareRun: its start, observers and snapshots): the second time meets
            // what the first compiled.
            for (var round = 0; round < 2 && scenarios.Length > 0; round++)
            {
                var share = new ShareRun(RunPlan.Create(scenarios, LoadProfile.Full, 1, [], origin: null), LoadSegments.Equal(1), 0, observers: null, processWarmUp: true);
                await share.PrepareAsync().ConfigureAwait(false);
                last = await share.RunAsync(Stopwatch.GetTimestamp(), DateTimeOffset.UtcNow).ConfigureAwait(false);
                share.TakeSnapshot();
            }

            // The counts of gRPC and WebSocket steps (LoadKit.Grpc's warm-up records nothing), and the metrics a run
            // publishes (the warm-up publishes none: it would show as a scenario of its own).
            Compile(typeof(Stats.StepRecorder), typeof(Stats.GrpcCounts), typeof(Stats.WebSocketCounts));
            Compile(typeof(LoadKitMetrics), typeof(Telemetry.UserTracking), typeof(Telemetry.CpuTracking), typeof(Telemetry.StepTelemetry), typeof(Telemetry.ScenarioTelemetry));
        }
        finally
        {
            await stop.CancelAsync().ConfigureAwait(false);
            listener.Stop();
            tlsListener.Stop();
            await responding.ConfigureAwait(false);
        }

        return last!;
    }

    /// <summary>Runs the static constructors of <paramref name="types"/> and compiles their methods, without calling them.</summary>
    private static void Compile(params Type[] types)
    {
        const System.Reflection.BindingFlags all = System.Reflection.BindingFlags.Instance | System.Reflection.BindingFlags.Static |
            System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.DeclaredOnly;
        foreach (var type in types)
        {
            System.Runtime.CompilerServices.RuntimeHelpers.RunClassConstructor(type.TypeHandle);
            foreach (var method in type.GetMethods(all).Cast<System.Reflection.MethodBase>().Concat(type.GetConstructors(all)))
            {
                if (!method.IsAbstract && !method.ContainsGenericParameters)
                {
                    System.Runtime.CompilerServices.RuntimeHelpers.PrepareMethod(method.MethodHandle);
                }
            }
        }
    }

    /// <summary>A certificate for 127.0.0.1 with its key, made for this warm-up (an ECDSA P-256 key, as servers commonly use).</summary>
    private static X509Certificate2 SelfSignedCertificate()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=127.0.0.1", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(names.Build());
        return request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
    }

    /// <summary>
    /// Answers every request on every connection (over TLS with <paramref name="certificate"/> when given) with a fixed
    /// 200 until stopped; a WebSocket handshake (a request with <c>Sec-WebSocket-Key</c>) with 101, after which it
    /// echoes each message and answers a close.
    /// </summary>
    private static async Task RespondAsync(TcpListener listener, X509Certificate2? certificate, CancellationToken cancellationToken)
    {
        var answer = Encoding.ASCII.GetBytes("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
        var connections = new List<Task>();
        try
        {
            while (true)
            {
                var client = await listener.AcceptTcpClientAsync(cancellationToken).ConfigureAwait(false);
                connections.Add(AnswerAsync(client));
            }
        }
        catch (Exception exception) when (exception is OperationCanceledException or SocketException or ObjectDisposedException)
        {
            // Stopped.
        }

        await Task.WhenAll(connections).ConfigureAwait(false);

        async Task AnswerAsync(TcpClient client)
        {
            using var _ = client;
            Stream stream = client.GetStream();
            var buffer = new byte[4096];
            var head = new StringBuilder();
            var seen = 0;
            try
            {
                if (certificate is not null)
                {
                    var tls = new SslStream(stream);
                    stream = tls;
                    await tls.AuthenticateAsServerAsync(new SslServerAuthenticationOptions { ServerCertificate = certificate }, cancellationToken).ConfigureAwait(false);
                }

                int read;
                while ((read = await stream.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
                {
                    // Requests without a body: each ends with an empty line.
                    for (var i = 0; i < read; i++)
                    {
                        head.Append((char)buffer[i]);
                        seen = buffer[i] == (seen % 2 == 0 ? '\r' : '\n') ? seen + 1 : buffer[i] == '\r' ? 1 : 0;
                        if (seen < 4)
                        {
                            continue;
                        }

                        if (WebSocketKey(head.ToString()) is { } key)
                        {
                            await EchoWebSocketAsync(stream, key, cancellationToken).ConfigureAwait(false);
                            return;
                        }

                        await stream.WriteAsync(answer, cancellationToken).ConfigureAwait(false);
                        (seen, head.Length) = (0, 0);
                    }
                }
            }
            catch (Exception exception) when (exception is OperationCanceledException or IOException or SocketException or EndOfStreamException or AuthenticationException)
            {
                // The client went, or the warm-up ended.
            }
            finally
            {
                if (stream is SslStream tls)
                {
                    await tls.DisposeAsync().ConfigureAwait(false);
                }
            }
        }
    }

    private static string? WebSocketKey(string head)
    {
        const string name = "\r\nSec-WebSocket-Key:";
        var at = head.IndexOf(name, StringComparison.OrdinalIgnoreCase);
        return at < 0 ? null : head[(at + name.Length)..head.IndexOf('\r', at + name.Length)].Trim();
    }

    /// <summary>Accepts the handshake, then sends back each message it receives (short, single-frame: what the warm-up sends) until a close, which it answers.</summary>
    private static async Task EchoWebSocketAsync(Stream stream, string key, CancellationToken cancellationToken)
    {
        var accept = Convert.ToBase64String(SHA1.HashData(Encoding.ASCII.GetBytes(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11")));
        await stream.WriteAsync(Encoding.ASCII.GetBytes($"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: {accept}\r\n\r\n"), cancellationToken).ConfigureAwait(false);
        var header = new byte[2];
        var mask = new byte[4];
        while (true)
        {
            await stream.ReadExactlyAsync(header, cancellationToken).ConfigureAwait(false);
            var (opcode, length) = (header[0] & 0x0F, header[1] & 0x7F);
            await stream.ReadExactlyAsync(mask, cancellationToken).ConfigureAwait(false);
            var frame = new byte[2 + length];
            await stream.ReadExactlyAsync(frame.AsMemory(2), cancellationToken).ConfigureAwait(false);
            for (var i = 0; i < length; i++)
            {
                frame[2 + i] ^= mask[i % 4];
            }

            // The same frame back, unmasked, as a server sends it.
            (frame[0], frame[1]) = ((byte)(0x80 | opcode), (byte)length);
            await stream.WriteAsync(frame, cancellationToken).ConfigureAwait(false);
            if (opcode == 0x8)
            {
                return;
            }
        }
    }
}

/// <summary>The parts of LoadKit a <see cref="ProcessWarmUp"/> compiles.</summary>
[Flags]
internal enum WarmUpParts
{
    /// <summary>Nothing.</summary>
    None = 0,

    /// <summary>HTTP steps on HttpClient over TCP.</summary>
    HttpClient = 1,

    /// <summary>HTTP steps on LoadKit's engine over TCP.</summary>
    LoadKitEngine = 2,

    /// <summary>HTTP steps on HttpClient over TLS.</summary>
    HttpClientTls = 4,

    /// <summary>HTTP steps on LoadKit's engine over TLS.</summary>
    LoadKitEngineTls = 8,

    /// <summary>WebSocket steps (connect, exchange, close).</summary>
    WebSocket = 16,

    /// <summary>All of them.</summary>
    All = HttpClient | LoadKitEngine | HttpClientTls | LoadKitEngineTls | WebSocket,
}
