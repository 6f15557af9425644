using System.Collections.Concurrent;
using System.Net;
using System.Text;
using LoadKit.Tests.HttpWire;

namespace LoadKit.Tests.HttpSteps;

/// <summary>
/// HTTP steps against a real Kestrel server on 127.0.0.1 that verifies what the client carried along, on each engine:
/// every check and extraction works the same on HttpClient and on LoadKit's own.
/// </summary>
[TestFixture(HttpEngine.HttpClient)]
[TestFixture(HttpEngine.LoadKit)]
public class HttpStepTests(HttpEngine engine)
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(60);

    private ShopTarget _shop = null!;

    private HttpSettings Settings() => new() { BaseAddress = _shop.Http1, Engine = engine };

    [SetUp]
    public async Task StartShop() => _shop = await ShopTarget.StartAsync();

    [TearDown]
    public async Task StopShop() => await _shop.DisposeAsync();

    [Test]
    public async Task Step_LoginTokenFromJson_IsSentAsHeaderAndVerifiedByTheServer()
    {
        var scenario = Scenario.Create("shop")
            .WithHttp(Settings())
            .WithInit((session, _) =>
            {
                session.Set("user", $"user{session.UserIndex}");
                return ValueTask.CompletedTask;
            })
            .Step("login", LoadKit.Http.Post("/login")
                .WithJson(new { user = "{{user}}", password = "secret" })
                .Check(HttpCheck.JsonValueIs("$.state", "active"))
                .Extract("token", HttpExtract.JsonPath("$.token")))
            .Step("orders", LoadKit.Http.Get("/orders")
                .WithQuery("user", "{{user}}")
                .WithHeader("Authorization", "Bearer {{token}}")
                .Check(HttpCheck.StatusIs(200))
                .Check(HttpCheck.BodyContains("\"state\":\"placed\"")))
            .WithLoad(Load.IterationsPerUser(users: 4, iterations: 5))
            .Build();

        var result = await LoadRunner.RunAsync(scenario).WaitAsync(Bound);

        var (login, orders) = (result.GetStep("login"), result.GetStep("orders"));
        Assert.That(login.Ok, Is.EqualTo(20), string.Join("; ", login.Errors));
        Assert.That(orders.Ok, Is.EqualTo(20), string.Join("; ", orders.Errors));
        Assert.That(_shop.Authorized, Is.EqualTo(20));
        Assert.That(_shop.Rejected, Is.Zero);

        // Per request: status codes, body bytes both ways, time to headers.
        Assert.That(login.Http!.Count(200), Is.EqualTo(20));
        Assert.That(login.Http.BodyBytesSent, Is.EqualTo(20 * "{\"user\":\"userN\",\"password\":\"secret\"}".Length));
        Assert.That(orders.Http!.BodyBytesSent, Is.Zero);
        Assert.That(orders.Http.BodyBytesReceived, Is.EqualTo(20 * "{\"owner\":\"userN\",\"orders\":[{\"id\":4711,\"state\":\"placed\"}]}".Length));
        Assert.That(orders.Http.TimeToHeaders.Count, Is.EqualTo(20));
        Assert.That(orders.Http.TimeToHeaders.Max, Is.LessThanOrEqualTo(orders.Latency.Max));

        // They survive JSON and show in the summary.
        var copy = LoadResult.FromJson(result.ToJson()).GetStep("orders").Http!;
        Assert.That((copy.StatusCodes, copy.BodyBytesSent, copy.BodyBytesReceived, copy.TimeToHeaders.P95), Is.EqualTo((orders.Http.StatusCodes, orders.Http.BodyBytesSent, orders.Http.BodyBytesReceived, orders.Http.TimeToHeaders.P95)));
        Assert.That(SummaryTable.Render(result), Does.Contain("    orders: 200 × 20; body bytes sent 0, received 1,"));
    }

    [Test]
    public async Task SendAsync_FromInitOnTheSession_LogsInOncePerUserOnItsConnections()
    {
        var scenario = Scenario.Create("init-login")
            .WithHttp(Settings())
            .WithInit(async (session, cancellationToken) =>
            {
                session.Set("user", $"user{session.UserIndex}");
                var reply = await LoadKit.Http.Post("/login")
                    .WithJson(new { user = "{{user}}", password = "secret" })
                    .Extract("token", HttpExtract.JsonPath("$.token"))
                    .SendAsync(session, cancellationToken);
                Assert.That(reply.StatusCode, Is.EqualTo(200));
            })
            .Step("orders", LoadKit.Http.Get("/orders").WithQuery("user", "{{user}}").WithHeader("Authorization", "Bearer {{token}}"))
            .WithLoad(Load.IterationsPerUser(users: 3, iterations: 4))
            .Build();

        var result = await LoadRunner.RunAsync(scenario).WaitAsync(Bound);

        Assert.That(result.Scenarios.Single().Init!.Ok, Is.EqualTo(3));
        Assert.That(result.GetStep("orders").Ok, Is.EqualTo(12), string.Join("; ", result.GetStep("orders").Errors));
        Assert.That((_shop.Authorized, _shop.Rejected), Is.EqualTo((12L, 0L)));
        Assert.That(result.GetStep("orders").Http!.Count(200), Is.EqualTo(12), "the logins are not counted in a step");
        Assert.That(_shop.Connections, Has.Count.EqualTo(3), "each VU's login and orders share the VU's connection");
    }

    [Test]
    public void SendAsync_SessionOfNoRunningScenario_ThrowsSayingWhere()
    {
        var exception = Assert.ThrowsAsync<InvalidOperationException>(async () => await LoadKit.Http.Get("/hello").SendAsync(new Session(0), CancellationToken.None));

        Assert.That(exception!.Message, Is.EqualTo("HTTP request GET /hello: a session sends requests only in the init, pre-work or cleanup of a running scenario."));
    }

    [Test]
    public async Task Step_BodyMatchesCheck_PassesOnAMatchAndFailsWithItsPattern()
    {
        var scenario = Scenario.Create("matches")
            .WithHttp(Settings())
            .Step("yes", LoadKit.Http.Get("/hello").Check(HttpCheck.BodyMatches("^h.l+o$")))
            .Step("no", LoadKit.Http.Get("/hello").Check(HttpCheck.BodyMatches(@"\d")))
            .WithLoad(Load.IterationsPerUser(users: 1, iterations: 2))
            .Build();

        var result = await LoadRunner.RunAsync(scenario).WaitAsync(Bound);

        Assert.That(result.GetStep("yes").Ok, Is.EqualTo(2));
        Assert.That(result.GetStep("no").Errors, Is.EqualTo(new[] { new ErrorCount(@"body matches '\d'", 2) }));
        var invalid = Assert.Throws<ScenarioValidationException>(() => Scenario.Create("bad").WithHttp(Settings())
            .Step("s", LoadKit.Http.Get("/").Check(HttpCheck.BodyMatches("(")))
            .WithLoad(Load.ConstantUsers(1, TimeSpan.FromSeconds(1))).Build())!;
        Assert.That(invalid.Problems.Single().Allowed, Does.StartWith("check 'body matches '('': regex '(' is malformed: "));
    }

    [Test]
    public async Task Step_XPathCssAndRegexExtraction_CarryTheValuesToTheNextRequest()
    {
        var scenario = Scenario.Create("form")
            .WithHttp(Settings())
            .Step("page", LoadKit.Http.Get("/page")
                .Extract("csrf", HttpExtract.XPath("//input[@name='csrf']/@value"))
                .Extract("title", HttpExtract.XPath("string(//title)"))
                .Extract("next", HttpExtract.Css("a.next", "href"))
                .Extract("order", HttpExtract.Regex(@"id=(\d+)")))
            .Step("submit", LoadKit.Http.Post("/submit")
                .WithQuery("next", "{{next}}")
                .WithFormField("csrf", "{{csrf}}")
                .WithFormField("order", "{{order}}")
                .WithFormField("title", "{{title}}"))
            .WithLoad(Load.IterationsPerUser(users: 2, iterations: 3))
            .Build();

        var result = await LoadRunner.RunAsync(scenario).WaitAsync(Bound);

        var submit = result.GetStep("submit");
        Assert.That(submit.Ok, Is.EqualTo(6), string.Join("; ", result.GetStep("page").Errors.Concat(submit.Errors)));
        Assert.That(_shop.Submitted, Is.EqualTo(6));
        Assert.That(_shop.Rejected, Is.Zero);
    }

    private static IEnumerable<TestCaseData> FailingChecks()
    {
        yield return new TestCaseData(LoadKit.Http.Get("/status/503"), "status is 2xx (got 503)").SetName("NotTwoHundred");
        yield return new TestCaseData(LoadKit.Http.Get("/hello").Check(HttpCheck.StatusIs(201)), "status is 201 (got 200)").SetName("StatusIs");
        yield return new TestCaseData(LoadKit.Http.Get("/hello").Check(HttpCheck.StatusIsOneOf(201, 204)), "status is 201 or 204 (got 200)").SetName("StatusIsOneOf");
        yield return new TestCaseData(LoadKit.Http.Get("/hello").Check(HttpCheck.BodyContains("paid")), "body contains 'paid'").SetName("BodyContains");
        yield return new TestCaseData(LoadKit.Http.Get("/hello").Check(HttpCheck.BodyLengthLessThan(3)), "body length < 3 bytes").SetName("BodyLengthLessThan");
        yield return new TestCaseData(LoadKit.Http.Get("/hello").Check(HttpCheck.BodyLengthIs(4)), "body length = 4 bytes").SetName("BodyLengthIs");
        yield return new TestCaseData(LoadKit.Http.Get("/hello").Check(HttpCheck.BodyLengthGreaterThan(5)), "body length > 5 bytes").SetName("BodyLengthGreaterThan");
        yield return new TestCaseData(LoadKit.Http.Get("/page").Check(HttpCheck.JsonValueIs("$.state", "paid")), "JSON $.state is 'paid'").SetName("JsonValueIsOnHtml");
        yield return new TestCaseData(LoadKit.Http.Get("/page").Extract("x", HttpExtract.Css("a.missing")), "extract 'x': CSS a.missing found nothing").SetName("ExtractNothing");
        yield return new TestCaseData(LoadKit.Http.Get("/status/404").Check(HttpCheck.StatusIs(404)).Check(HttpCheck.BodyLengthGreaterThan(0)), "body length > 0 bytes").SetName("AllowedStatusThenBody");
    }

    [TestCaseSource(nameof(FailingChecks))]
    public async Task Step_FailingCheck_FailsWithTheChecksDescriptionAsErrorText(HttpCall request, string expected)
    {
        var scenario = Scenario.Create("checks")
            .WithHttp(Settings())
            .Step("check", request)
            .WithLoad(Load.IterationsPerUser(users: 1, iterations: 3))
            .Build();

        var step = (await LoadRunner.RunAsync(scenario).WaitAsync(Bound)).GetStep("check");

        Assert.That(step.Failed, Is.EqualTo(3));
        Assert.That(step.Errors.Select(e => (e.Message, e.Count)), Is.EqualTo(new[] { (expected, 3L) }));
    }

    [TestCase(2, "HTTP/2")]
    [TestCase(1, "HTTP/1.1")]
    public async Task Step_HttpVersion_IsWhatTheServerSees(int major, string expected)
    {
        var (address, version) = major == 2 ? (_shop.Http2, HttpVersion.Version20) : (_shop.Http1, HttpVersion.Version11);
        var builder = Scenario.Create("protocol")
            .WithHttp(Settings() with { BaseAddress = address, Version = version })
            .Step("hello", LoadKit.Http.Get("/hello"))
            .WithLoad(Load.IterationsPerUser(users: 3, iterations: 4));
        if (major == 2 && engine == HttpEngine.LoadKit)
        {
            var refused = Assert.Throws<ScenarioValidationException>(() => builder.Build())!;
            Assert.That(refused.Message, Does.Contain("Http.Engine = LoadKit: speaks HTTP/1.1 and 1.0 only, and Http.Version is 2.0; allowed: Engine = HttpEngine.HttpClient for HTTP/2"));
            return;
        }

        var scenario = builder.Build();

        var step = (await LoadRunner.RunAsync(scenario).WaitAsync(Bound)).GetStep("hello");

        Assert.That(step.Ok, Is.EqualTo(12), string.Join("; ", step.Errors));
        Assert.That(_shop.Protocols, Is.EquivalentTo(new Dictionary<string, long> { [expected] = 12 }));
    }

    [TestCase(HttpConnections.PerUser, 5)]
    [TestCase(HttpConnections.Shared, 1)]
    public async Task Step_Connections_ReusedPerUserOrShared(HttpConnections connections, int expected)
    {
        // HTTP/2 on HttpClient; on LoadKit's HTTP/1.1 engine a shared pool of one connection the VUs take turns on.
        var settings = engine == HttpEngine.LoadKit
            ? Settings() with { Connections = connections, MaxConnectionsPerServer = connections == HttpConnections.Shared ? 1 : int.MaxValue }
            : new HttpSettings { BaseAddress = _shop.Http2, Version = HttpVersion.Version20, Connections = connections };
        var scenario = Scenario.Create("connections")
            .WithHttp(settings)
            .Step("hello", LoadKit.Http.Get("/hello"))
            .WithLoad(Load.IterationsPerUser(users: 5, iterations: 10))
            .Build();

        var step = (await LoadRunner.RunAsync(scenario).WaitAsync(Bound)).GetStep("hello");

        // HTTP/2 multiplexes: a shared pool needs one connection, a VU's own pool keeps its one across iterations.
        Assert.That(step.Ok, Is.EqualTo(50), string.Join("; ", step.Errors));
        Assert.That(_shop.Connections, Has.Count.EqualTo(expected));
    }

    [Test]
    public async Task Step_HeaderExtractionFromALargeBody_DrainsTheBodyAndStoresTheHeader()
    {
        var scenario = Scenario.Create("header")
            .WithHttp(Settings())
            .Step("big", LoadKit.Http.Get("/big").Check(HttpCheck.StatusIs(200)).Extract("type", HttpExtract.Header("Content-Type")))
            .Step("echo", LoadKit.Http.Get("/orders?user={{type}}"))
            .WithLoad(Load.IterationsPerUser(users: 1, iterations: 2))
            .Build();

        var result = await LoadRunner.RunAsync(scenario).WaitAsync(Bound);

        var big = result.GetStep("big");
        Assert.That(big.Ok, Is.EqualTo(2), string.Join("; ", big.Errors));
        Assert.That(big.Http!.BodyBytesReceived, Is.EqualTo(2 * ShopTarget.BigBody));
        Assert.That(result.GetStep("echo").Errors.Single().Message, Is.EqualTo("status is 2xx (got 401)"), "the header value was carried to the next request");
    }

    [Test]
    public async Task Step_RequestTimeout_CountsAsTimedOutAndSaysWhichLimit()
    {
        var scenario = Scenario.Create("timeout")
            .WithHttp(Settings())
            .Step("slow", LoadKit.Http.Get("/slow?ms=3000").WithTimeout(TimeSpan.FromMilliseconds(200)))
            .WithLoad(Load.IterationsPerUser(users: 2, iterations: 1))
            .Build();

        var step = (await LoadRunner.RunAsync(scenario).WaitAsync(Bound)).GetStep("slow");

        Assert.That(step.TimedOut, Is.EqualTo(2));
        Assert.That(step.Errors.Single().Message, Is.EqualTo("request timed out after 200 ms"));
    }

    [Test]
    public async Task Step_TimeoutInTheMiddleOfTheBody_CountsAsTimedOutAndTheNextRequestGoesOnANewConnection()
    {
        // The first response stalls after half its body; the second comes whole.
        using var release = new CancellationTokenSource();
        await using var server = new RawHttpServer(async (request, stream, ct) =>
        {
            if (request.Number == 1)
            {
                await stream.WriteAsync("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nhello"u8.ToArray(), ct);
                await stream.FlushAsync(ct);
                using var stall = CancellationTokenSource.CreateLinkedTokenSource(ct, release.Token);
                try
                {
                    await Task.Delay(Timeout.Infinite, stall.Token);
                }
                catch (OperationCanceledException)
                {
                }

                return false;
            }

            await stream.WriteAsync("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nhelloworld"u8.ToArray(), ct);
            return true;
        });
        var scenario = Scenario.Create("mid-body")
            .WithHttp(new HttpSettings { BaseAddress = server.Address, Engine = engine })
            .Step("get", LoadKit.Http.Get("/").Check(HttpCheck.BodyContains("world")).WithTimeout(TimeSpan.FromMilliseconds(300)))
            .WithLoad(Load.IterationsPerUser(users: 1, iterations: 2))
            .Build();

        var step = (await LoadRunner.RunAsync(scenario).WaitAsync(Bound)).GetStep("get");
        await release.CancelAsync();

        Assert.That((step.TimedOut, step.Ok), Is.EqualTo((1L, 1L)), string.Join("; ", step.Errors));
        Assert.That(step.Errors.Single().Message, Is.EqualTo("request timed out after 300 ms"));
        Assert.That(server.Accepted, Is.EqualTo(2), "the cut connection was not reused");
    }

    [Test]
    public async Task Step_TemplateNamesAMissingValue_FailsNamingIt()
    {
        var scenario = Scenario.Create("missing")
            .WithHttp(Settings())
            .Step("orders", LoadKit.Http.Get("/orders/{{orderId}}"))
            .WithLoad(Load.IterationsPerUser(users: 1, iterations: 2))
            .Build();

        var step = (await LoadRunner.RunAsync(scenario).WaitAsync(Bound)).GetStep("orders");

        Assert.That(step.Failed, Is.EqualTo(2));
        Assert.That(step.Errors.Single().Message, Does.Contain("names 'orderId', which the session of VU 0 does not have"));
    }

    [Test]
    public async Task Step_HeaderValueFromTheSessionWithALineBreak_FailsUnsent()
    {
        var heads = new ConcurrentQueue<string>();
        await using var server = new RawHttpServer(async (request, stream, ct) =>
        {
            heads.Enqueue(request.Head);
            await stream.WriteAsync("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"u8.ToArray(), ct);
            return true;
        });
        var scenario = Scenario.Create("injection")
            .WithHttp(new HttpSettings { BaseAddress = server.Address, Engine = engine })
            .WithInit((session, _) =>
            {
                session.Set("name", session.UserIndex == 0 ? "ann\r\nX-Admin: yes" : "bob");
                return ValueTask.CompletedTask;
            })
            .Step("hello", LoadKit.Http.Get("/").WithHeader("X-Name", "{{name}}"))
            .WithLoad(Load.IterationsPerUser(users: 2, iterations: 2))
            .Build();

        var step = (await LoadRunner.RunAsync(scenario).WaitAsync(Bound)).GetStep("hello");

        Assert.That((step.Ok, step.Failed), Is.EqualTo((2L, 2L)), "bob's requests sent, ann's not");
        Assert.That(step.Errors.Single().Message, Is.EqualTo("HttpRequestException: header 'X-Name': its value filled from the session holds a line break (CR or LF) or NUL, which would split the request; not sent"));
        Assert.That(heads, Has.Count.EqualTo(2));
        Assert.That(heads, Has.All.Contains("X-Name: bob"));
        Assert.That(heads, Has.None.Contains("X-Admin"));
    }

    [TestCase("HTTP/1.1 200 OK\nContent-Length: 2\nX-Id: 7\n\nok")]
    [TestCase("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nX-Id: 7\r\n\r\n1\no\n1;x=y\nk\n0\nT: 1\n\n")]
    public async Task Step_ResponseWithBareLineFeeds_IsReadLikeAnyOther(string response)
    {
        var lines = new ConcurrentQueue<string>();
        await using var server = new RawHttpServer(async (request, stream, ct) =>
        {
            lines.Enqueue(request.RequestLine);
            await stream.WriteAsync(Encoding.ASCII.GetBytes(response), ct);
            return true;
        });
        var scenario = Scenario.Create("bare line feeds")
            .WithHttp(new HttpSettings { BaseAddress = server.Address, Engine = engine })
            .Step("get", LoadKit.Http.Get("/").Check(HttpCheck.BodyContains("ok")).Extract("id", HttpExtract.Header("X-Id")))
            .Step("use", LoadKit.Http.Get("/items/{{id}}"))
            .WithLoad(Load.IterationsPerUser(users: 1, iterations: 3))
            .Build();

        var result = await LoadRunner.RunAsync(scenario).WaitAsync(Bound);

        Assert.That(result.GetStep("get").Ok, Is.EqualTo(3), string.Join("; ", result.GetStep("get").Errors));
        Assert.That(result.GetStep("use").Ok, Is.EqualTo(3), string.Join("; ", result.GetStep("use").Errors));
        Assert.That(lines.Where(l => l == "GET /items/7 HTTP/1.1").Count(), Is.EqualTo(3), "the header read from the bare-LF head");
        Assert.That(server.Accepted, Is.EqualTo(1), "the connection kept");
    }

    [Test]
    public void Build_MalformedRequests_ListsEveryProblemWithItsStep()
    {
        var builder = Scenario.Create("bad")
            .Step("json", LoadKit.Http.Get("/a").Extract("x", HttpExtract.JsonPath("$.[")))
            .Step("xpath", LoadKit.Http.Get("/b").Extract("x", HttpExtract.XPath("//a[")))
            .Step("regex", LoadKit.Http.Get("/c").Extract("x", HttpExtract.Regex("id=(\\d+")))
            .Step("group", LoadKit.Http.Get("/c").Extract("x", HttpExtract.Regex("id=(\\d+)", group: 2)))
            .Step("css", LoadKit.Http.Get("/d").Extract("x", HttpExtract.Css("a[[")))
            .Step("template", LoadKit.Http.Get("/e/{{id"))
            .Step("status", LoadKit.Http.Get("/f").Check(HttpCheck.StatusIs(999)))
            .Step("header name", LoadKit.Http.Get("/g").WithHeader("X Token", "1"))
            .Step("header value", LoadKit.Http.Get("/h").WithHeader("X-Name", "ann\r\nX-Admin: yes"))
            .WithLoad(Load.IterationsPerUser(1, 1));

        var error = Assert.Throws<ScenarioValidationException>(() => builder.Build())!;

        Assert.That(error.Message, Does.Contain("'json' = GET /a: extraction 'x': JSON path '$.[' is malformed"));
        Assert.That(error.Message, Does.Contain("'xpath' = GET /b: extraction 'x': XPath '//a[' is malformed"));
        Assert.That(error.Message, Does.Contain("'regex' = GET /c: extraction 'x': regex 'id=(\\d+' is malformed"));
        Assert.That(error.Message, Does.Contain("'group' = GET /c: extraction 'x': regex 'id=(\\d+)' has no group 2"));
        Assert.That(error.Message, Does.Contain("'css' = GET /d: extraction 'x': CSS selector 'a[[' is malformed"));
        Assert.That(error.Message, Does.Contain("'template' = GET : path: Template '/e/{{id' opens a placeholder"));
        Assert.That(error.Message, Does.Contain("'status' = GET /f: check 'status is 999': status code 999 is not between 100 and 599"));
        Assert.That(error.Message, Does.Contain("'header name' = GET /g: header name 'X Token': allowed are letters, digits and !#$%&'*+-.^_`|~ (an HTTP token)"));
        Assert.That(error.Message, Does.Contain("'header value' = GET /h: header 'X-Name': its value holds a line break (CR or LF) or NUL, which would split the request; allowed is one line"));
        Assert.That(error.Message, Does.Contain($"Http.BaseAddress = not set: a base address for the relative path of GET /a"));
    }

    [Test]
    public void Build_BadAddresses_ListsEveryOneWithTheValueAndWhatIsAllowed()
    {
        var builder = Scenario.Create("bad addresses")
            .Step("port", LoadKit.Http.Get("http://127.0.0.1:99999/ok"))
            .Step("typo", LoadKit.Http.Get("ht tp://bad host/ok"))
            .Step("scheme", LoadKit.Http.Get("localhost:5000/ok"))
            .Step("templated port", LoadKit.Http.Get("http://127.0.0.1:70000/users/{{id}}"))
            .Step("space", LoadKit.Http.Post("/orders/new item/{{id}}"))
            .Step("socket", WebSocketSteps.Connect("chat", "ws://127.0.0.1:0/chat"))
            .Step("socket scheme", WebSocketSteps.Connect("feed", "http://127.0.0.1:5000/feed?user={{user}}"))
            .WithHttp(new HttpSettings { BaseAddress = new Uri("http://127.0.0.1:0/") })
            .WithLoad(Load.IterationsPerUser(1, 1));

        var error = Assert.Throws<ScenarioValidationException>(() => builder.Build())!;

        TestContext.Out.WriteLine(error.Message);
        Assert.That(error.Problems, Has.Count.EqualTo(8), error.Message);
        Assert.That(error.Message, Does.Contain(
            "'port' = GET http://127.0.0.1:99999/ok: the address has port 99999, which is not a number from 1 to 65535; allowed: an absolute http:// or https:// URL"));
        Assert.That(error.Message, Does.Contain("'typo' = GET ht tp://bad host/ok: the address has a space in its path"));
        Assert.That(error.Message, Does.Contain("'scheme' = GET localhost:5000/ok: the address has scheme 'localhost'"));
        Assert.That(error.Message, Does.Contain("'templated port' = GET http://127.0.0.1:70000/users/{{id}}: the address has port 70000"));
        Assert.That(error.Message, Does.Contain("'space' = POST /orders/new item/{{id}}: the address has a space in its path"));
        Assert.That(error.Message, Does.Contain("WebSocket 'chat' has URL 'ws://127.0.0.1:0/chat', which has port 0, which is not a number from 1 to 65535; allowed: an absolute ws:// or wss:// URL"));
        Assert.That(error.Message, Does.Contain("WebSocket 'feed' has URL 'http://127.0.0.1:5000/feed?user={{user}}', which has scheme 'http'"));
        Assert.That(error.Message, Does.Contain("Http.BaseAddress = http://127.0.0.1:0/: has port 0"));
    }

    [TestCase("/users/{{id}}")]
    [TestCase("{{base}}/users")]
    [TestCase("http://{{host}}:8080/users")]
    [TestCase("http://127.0.0.1:{{port}}/users")]
    [TestCase("https://[::1]:8443/users?q=a b")]
    [TestCase("orders?id={{id}}")]
    public void Build_AddressesThatMayBeRight_AreTaken(string path)
    {
        var scenario = Scenario.Create("good addresses")
            .Step("get", LoadKit.Http.Get(path))
            .WithHttp(new HttpSettings { BaseAddress = new Uri("http://127.0.0.1:5000/") })
            .WithLoad(Load.IterationsPerUser(1, 1))
            .Build();

        Assert.That(scenario.StepNames, Is.EqualTo(new[] { "get" }));
    }

    [Test]
    public async Task Step_TemplateFilledToABadPort_FailsNamingTheAddressAndWhatIsAllowed()
    {
        var scenario = Scenario.Create("filled port")
            .WithInit((session, _) =>
            {
                session.Set("port", 99999);
                return ValueTask.CompletedTask;
            })
            .Step("get", LoadKit.Http.Get("http://127.0.0.1:{{port}}/ok"))
            .WithLoad(Load.IterationsPerUser(1, 3))
            .Build();

        var step = (await LoadRunner.RunAsync(scenario).WaitAsync(Bound)).GetStep("get");

        Assert.That(step.Failed, Is.EqualTo(3));
        Assert.That(step.Errors.Single().Message, Does.Contain("the address 'http://127.0.0.1:99999/ok' has port 99999, which is not a number from 1 to 65535"));
    }

    [Test]
    public async Task SendAsync_FromCode_ReturnsTheReplyAndFailsTheStepOnAFailedCheck()
    {
        HttpReply? reply = null;
        var scenario = Scenario.Create("code")
            .WithHttp(Settings())
            .Step("custom", async ctx =>
            {
                reply = await LoadKit.Http.Get("/page").Extract("csrf", HttpExtract.XPath("//input/@value")).Check(HttpCheck.BodyContains("nope")).SendAsync(ctx);
            })
            .WithLoad(Load.IterationsPerUser(1, 1))
            .Build();

        var step = (await LoadRunner.RunAsync(scenario).WaitAsync(Bound)).GetStep("custom");

        Assert.That(reply!.StatusCode, Is.EqualTo(200));
        Assert.That(reply.Body, Is.EqualTo(ShopTarget.Page));
        Assert.That(reply.Header("Content-Type"), Does.StartWith("text/html"));
        Assert.That(reply.Failure, Is.EqualTo("body contains 'nope'"));
        Assert.That(step.Failed, Is.EqualTo(1));
        Assert.That(step.Http!.Count(200), Is.EqualTo(1));
    }
}
