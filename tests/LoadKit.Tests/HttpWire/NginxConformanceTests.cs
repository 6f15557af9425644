using System.Collections.Concurrent;
using System.Net;
using LoadKit.TestTargets;

namespace LoadKit.Tests.HttpWire;

/// <summary>
/// LoadKit's HTTP/1.1 engine against a real nginx on 127.0.0.1, each case sent through HTTP steps on both engines: what
/// the LoadKit engine makes of nginx's responses (status, body, headers, checks, counts) must be what HttpClient makes
/// of them, and nginx's access log must show every request.
/// </summary>
[NonParallelizable]
public class NginxConformanceTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(60);

    private NginxServer _nginx = null!;

    /// <summary>What a step saw of one response.</summary>
    private sealed record Seen(int Status, string Body, bool Passed, string? Header);

    /// <summary>One engine's run of a case: each response seen, the step's statistics, and the requests nginx logged for it.</summary>
    private sealed record EngineRun(Seen[] Responses, StepStats Step, (long Connection, int Request, string Method, string Uri, int Status)[] Received);

    [OneTimeSetUp]
    public async Task StartNginx()
    {
        Assert.That(NginxServer.Executable, Is.Not.Null, "nginx is not installed on this machine: apt-get install nginx");
        _nginx = await NginxServer.StartAsync();
    }

    [OneTimeTearDown]
    public void StopNginx() => _nginx?.Dispose();

    [Test]
    public async Task ChunkedResponse_BothEngines_SeeTheSameBodyOnOneConnection()
    {
        var (client, wire) = await BothAsync("chunked", "/chunked.txt", 3);

        Assert.That(wire.Responses.Select(r => r.Body), Is.All.EqualTo(NginxServer.Text.Replace("line", "LINE", StringComparison.Ordinal)));
        Assert.That(wire.Received.Select(r => r.Connection).Distinct().Count(), Is.EqualTo(1), "a chunked response ends at its last chunk: the connection is reused");
        AssertSame(client, wire);
    }

    [Test]
    public async Task KeepAliveLimitOf3_BothEngines_ReconnectAndLoseNoRequest()
    {
        var (client, wire) = await BothAsync("keepalive", "/keepalive/text.txt", 10);

        foreach (var run in new[] { client, wire })
        {
            Assert.That((run.Step.Ok, run.Step.Failed), Is.EqualTo((10L, 0L)), string.Join("; ", run.Step.Errors.Select(e => e.Message)));
            Assert.That(run.Received, Has.Length.EqualTo(10), "nginx received every request");
            Assert.That(run.Received.Select(r => r.Request), Is.EqualTo(new[] { 1, 2, 3, 1, 2, 3, 1, 2, 3, 1 }), "3 requests a connection, then a new one");
            Assert.That(run.Received.Select(r => r.Connection).Distinct().Count(), Is.EqualTo(4));
        }

        AssertSame(client, wire);
    }

    [Test]
    public async Task ConnectionClose_BothEngines_SendEachRequestOnANewConnection()
    {
        var (client, wire) = await BothAsync("close", "/close", 3, header: "Connection");

        Assert.That(wire.Responses.Select(r => (r.Body, r.Header)), Is.All.EqualTo(("closing", "close")));
        Assert.That(wire.Received.Select(r => r.Connection).Distinct().Count(), Is.EqualTo(3));
        AssertSame(client, wire);
    }

    [TestCase(HttpEngine.LoadKit)]
    [TestCase(HttpEngine.HttpClient)]
    public async Task NewTlsConnectionsToOneServer_ResumeTheFirstConnectionsSession(HttpEngine engine)
    {
        // By name: .NET resumes a client's TLS session only for a host name (its cache's key), never for an IP address.
        var marker = $"resume-{engine}";
        var scenario = Scenario.Create(marker)
            .WithHttp(new HttpSettings { BaseAddress = new UriBuilder(_nginx.TlsAddress) { Host = "localhost" }.Uri, Engine = engine, TrustedCertificate = _nginx.Certificate })
            .Step("get", LoadKit.Http.Get($"/close?{marker}").Check(HttpCheck.BodyContains("closing")))
            .WithLoad(Load.IterationsPerUser(1, 5))
            .Build();

        var result = await LoadRunner.RunAsync(scenario).WaitAsync(Bound);

        var step = result.GetStep("get");
        Assert.That((step.Ok, step.Failed), Is.EqualTo((5L, 0L)), string.Join("; ", step.Errors.Select(e => e.Message)));
        await Eventually.UntilAsync(() => _nginx.TlsReceived(marker).Length == 5, Bound, () => $"nginx logged {_nginx.TlsReceived(marker).Length} requests, not 5");
        var received = _nginx.TlsReceived(marker);
        Assert.That(received.Select(r => r.Connection).Distinct().Count(), Is.EqualTo(5), "nginx closes each connection after its response");
        // The first may resume too: the session cache is the process's, and an earlier test may have met this server.
        Assert.That(received.Skip(1).Select(r => r.Resumed), Is.All.True, "every connection after the first resumed a TLS session");
    }

    [Test]
    [Order(1)] // before any other test meets this nginx by name: a session cached then would be resumed by all four
    public async Task ConnectionsOpenedBeforeTheRun_AfterTheFirst_ResumeItsTlsSession()
    {
        const string marker = "prepared-resume";
        var scenario = Scenario.Create(marker)
            .WithHttp(new HttpSettings
            {
                BaseAddress = new UriBuilder(_nginx.TlsAddress) { Host = "localhost" }.Uri,
                Engine = HttpEngine.LoadKit,
                Connections = HttpConnections.PerUser,
                TrustedCertificate = _nginx.Certificate,
            })
            .Step("get", LoadKit.Http.Get($"/text.txt?{marker}"))
            .WithLoad(Load.IterationsPerUser(4, 2))
            .Build();

        var result = await LoadRunner.RunAsync(scenario).WaitAsync(Bound);

        Assert.That(result.GetStep("get").Ok, Is.EqualTo(8));
        await Eventually.UntilAsync(() => _nginx.TlsReceived(marker).Length == 8, Bound, () => $"nginx logged {_nginx.TlsReceived(marker).Length} requests, not 8");
        var connections = _nginx.TlsReceived(marker).DistinctBy(r => r.Connection).ToArray();
        Assert.That(connections, Has.Length.EqualTo(4), "one connection per VU, opened before the run");
        Assert.That(connections.Count(c => c.Resumed), Is.GreaterThanOrEqualTo(3), "the first was negotiated alone, and the others resumed its session");
    }

    [Test]
    public async Task NoContent204_BothEngines_ReadNoBody()
    {
        var (client, wire) = await BothAsync("empty", "/empty", 3);

        Assert.That(wire.Responses.Select(r => (r.Status, r.Body)), Is.All.EqualTo((204, "")));
        Assert.That(wire.Received.Select(r => r.Connection).Distinct().Count(), Is.EqualTo(1), "the next response follows on the same connection");
        AssertSame(client, wire);
    }

    [Test]
    public async Task NotModified304_BothEngines_ReadNoBody()
    {
        var (client, wire) = await BothAsync("not-modified", "/text.txt", 3,
            call => call.WithHeader("If-Modified-Since", "Sat, 01 Jan 2050 00:00:00 GMT"), header: "ETag");

        Assert.That(wire.Responses.Select(r => (r.Status, r.Body)), Is.All.EqualTo((304, "")));
        Assert.That(wire.Responses.Select(r => r.Header), Is.All.Not.Null, "the headers of a 304 are read");
        Assert.That(wire.Received.Select(r => r.Connection).Distinct().Count(), Is.EqualTo(1));
        AssertSame(client, wire);
    }

    [Test]
    public async Task Head_BothEngines_ReadTheHeadersAndNoBody()
    {
        var (client, wire) = await BothAsync("head", "/text.txt", 3, method: HttpMethod.Head, header: "Content-Length");

        Assert.That(wire.Responses.Select(r => (r.Status, r.Body, r.Header)), Is.All.EqualTo((200, "", NginxServer.Text.Length.ToString(System.Globalization.CultureInfo.InvariantCulture))));
        Assert.That(wire.Received.Select(r => r.Method), Is.All.EqualTo("HEAD"));
        Assert.That(wire.Received.Select(r => r.Connection).Distinct().Count(), Is.EqualTo(1), "a HEAD response's Content-Length announces no body to read");
        AssertSame(client, wire);
    }

    [Test]
    public async Task LargeHeaders_BothEngines_ReadEveryOne()
    {
        foreach (var (name, value) in NginxServer.BigHeaders.Where((_, i) => i is 0 or 11))
        {
            var (client, wire) = await BothAsync($"big-{name}", "/big-headers", 2,
                call => call.Extract("big", HttpExtract.Header(name)), header: name);

            Assert.That(wire.Responses.Select(r => (r.Status, r.Body, r.Header)), Is.All.EqualTo((200, "big", value)));
            AssertSame(client, wire);
        }
    }

    [Test]
    public async Task Gzip_BothEnginesWithDecompression_SeeTheTextAndChecksPass()
    {
        var (client, wire) = await BothAsync("gzip", "/gzip.txt", 3,
            call => call.Check(HttpCheck.BodyContains("line 199 of a text")), DecompressionMethods.GZip);

        Assert.That(wire.Responses.Select(r => (r.Body, r.Passed)), Is.All.EqualTo((NginxServer.Text, true)));
        Assert.That(wire.Received.Select(r => r.Connection).Distinct().Count(), Is.EqualTo(1));
        // As documented: HttpClient counts the body decompressed, the LoadKit engine as it came.
        Assert.That(client.Step.Http!.BodyBytesReceived, Is.EqualTo(3L * NginxServer.Text.Length));
        Assert.That(wire.Step.Http!.BodyBytesReceived, Is.GreaterThan(0).And.LessThan(NginxServer.Text.Length), "3 compressed bodies are smaller than one text");
        AssertSame(client, wire, compressed: true);
    }

    /// <summary>Both engines saw the same responses, passed the same checks and counted the same status codes.</summary>
    private static void AssertSame(EngineRun client, EngineRun wire, bool compressed = false)
    {
        Assert.That(wire.Responses, Is.EqualTo(client.Responses), "the LoadKit engine sees what HttpClient sees");
        Assert.That((wire.Step.Ok, wire.Step.Failed, wire.Step.TimedOut), Is.EqualTo((client.Step.Ok, client.Step.Failed, client.Step.TimedOut)),
            string.Join("; ", wire.Step.Errors.Concat(client.Step.Errors).Select(e => e.Message)));
        Assert.That(wire.Step.Http!.StatusCodes, Is.EqualTo(client.Step.Http!.StatusCodes));
        if (!compressed)
        {
            Assert.That(wire.Step.Http.BodyBytesReceived, Is.EqualTo(client.Step.Http.BodyBytesReceived));
        }

        Assert.That(wire.Received.Select(r => (r.Method, r.Status)), Is.EqualTo(client.Received.Select(r => (r.Method, r.Status))), "nginx received the same requests");
    }

    /// <summary>The case sent <paramref name="times"/> times by one VU through HttpClient, then through the LoadKit engine.</summary>
    private async Task<(EngineRun Client, EngineRun Wire)> BothAsync(
        string name, string path, int times, Func<HttpCall, HttpCall>? change = null, DecompressionMethods decompression = DecompressionMethods.None,
        HttpMethod? method = null, string? header = null)
    {
        var runs = new List<EngineRun>();
        foreach (var engine in new[] { HttpEngine.HttpClient, HttpEngine.LoadKit })
        {
            // The query marks this case's and engine's requests in nginx's access log.
            var marker = $"case={name}-{engine}";
            var call = Http.Request(method ?? HttpMethod.Get, $"{path}?{marker}").Check(HttpCheck.StatusIsOneOf(200, 204, 304));
            call = change?.Invoke(call) ?? call;
            var seen = new ConcurrentQueue<Seen>();
            var scenario = Scenario.Create($"{name} on {engine}")
                .WithHttp(new HttpSettings { BaseAddress = _nginx.Address, Engine = engine, Decompression = decompression })
                .Step("call", async ctx =>
                {
                    var reply = await call.SendAsync(ctx);
                    seen.Enqueue(new Seen(reply.StatusCode, reply.Body, reply.Passed, header is null ? null : reply.Header(header)));
                })
                .WithLoad(Load.IterationsPerUser(1, times))
                .Build();

            var result = await LoadRunner.RunAsync(scenario).WaitAsync(Bound);

            runs.Add(new EngineRun([.. seen], result.GetStep("call"), _nginx.Received(marker)));
        }

        return (runs[0], runs[1]);
    }
}
