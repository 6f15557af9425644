using System.Collections.Concurrent;
using System.Net.WebSockets;

namespace LoadKit.Tests.WebSockets;

/// <summary>WebSocket steps against a real Kestrel WebSocket server on 127.0.0.1.</summary>
public class WebSocketStepsTests
{
    private static readonly TimeSpan RunBound = TimeSpan.FromSeconds(60);

    private static ValueTask SetUser(Session session, CancellationToken cancellationToken)
    {
        session.Set("vu", session.UserIndex);
        return ValueTask.CompletedTask;
    }

    [Test]
    public async Task Exchange_EchoOf100MessagesPerUser_ServerCountsOneConnectionPerUser()
    {
        await using var server = await WebSocketServer.StartAsync();
        var scenario = Scenario.Create("echo")
            .WithInit(SetUser)
            .Step("connect", WebSocketSteps.Connect("chat", server.Url("/echo?vu={{vu}}")))
            .Step("echo", WebSocketSteps.Exchange("chat", "hello from {{vu}}", reply: m => m.IsText))
            .WithLoad(Load.IterationsPerUser(5, 100))
            .Build();

        var result = await LoadRunner.RunAsync(scenario).WaitAsync(RunBound);

        var echo = result.GetStep("echo");
        TestContext.Out.WriteLine(SummaryTable.Render(result));
        Assert.That(server.Connections, Is.EqualTo(5));
        Assert.That(server.ConnectionsByUser.Values, Is.All.EqualTo(1));
        var connect = result.GetStep("connect");
        Assert.That((connect.Ok, connect.WebSocket?.Opened), Is.EqualTo((5L, 5L)), "a connect that finds its connection open is not a call");
        Assert.That(result.GetScenario("echo").AllSteps.Completed, Is.EqualTo(505));
        Assert.That(server.ConnectionsByUser.Keys.Order(), Is.EqualTo(new[] { "0", "1", "2", "3", "4" }));
        Assert.That(server.Messages, Is.EqualTo(500));
        Assert.That((echo.Ok, echo.Failed, echo.TimedOut), Is.EqualTo((500L, 0L, 0L)));
        Assert.That(echo.Latency.Count, Is.EqualTo(500));
        Assert.That(echo.Latency.P50, Is.GreaterThan(TimeSpan.Zero));
        Assert.That(echo.Latency.P99, Is.LessThan(TimeSpan.FromSeconds(1)));

        // The VUs' connections are closed with a handshake when their life ends.
        Assert.That(await WebSocketServer.EventuallyAsync(() => server.ClosedByClient == 5, TimeSpan.FromSeconds(5)), Is.True,
            $"the server saw {server.ClosedByClient} of 5 connections closed by the client");
    }

    [TestCase("close", "closed by the server (1011 bye)")]
    [TestCase("abort", "dropped: ")]
    public async Task Exchange_ServerDropsTheConnection_CountsTheDropAndTheNextIterationReopens(string how, string expectedError)
    {
        await using var server = await WebSocketServer.StartAsync();
        var scenario = Scenario.Create("drop")
            .WithInit(SetUser)
            .Step("connect", WebSocketSteps.Connect("chat", server.Url($"/drop?vu={{{{vu}}}}&after=3&how={how}")))
            .Step("echo", WebSocketSteps.Exchange("chat", "ping"))
            .WithLoad(Load.IterationsPerUser(1, 6))
            .Build();

        var result = await LoadRunner.RunAsync(scenario).WaitAsync(RunBound);

        var (connect, echo) = (result.GetStep("connect"), result.GetStep("echo"));
        Assert.That((echo.Ok, echo.Failed, echo.TimedOut), Is.EqualTo((5L, 1L, 0L)));
        Assert.That(echo.Errors.Single().Message, Does.Contain("WebSocket 'chat' dropped: ").And.Contain(expectedError));
        // Six connect steps, two of which opened a connection: the others found it open and are not calls.
        Assert.That((connect.Ok, connect.Failed), Is.EqualTo((2L, 0L)));
        Assert.That(server.ConnectionsByUser["0"], Is.EqualTo(2));
        Assert.That(connect.WebSocket, Is.EqualTo(new WebSocketStats(Opened: 2, Failed: 0, ClosedByServer: 0, Dropped: 0)));
        Assert.That(echo.WebSocket, Is.EqualTo(how == "close"
            ? new WebSocketStats(Opened: 0, Failed: 0, ClosedByServer: 1, Dropped: 0)
            : new WebSocketStats(Opened: 0, Failed: 0, ClosedByServer: 0, Dropped: 1)));
        var summary = SummaryTable.Render(result);
        TestContext.Out.WriteLine(summary);
        Assert.That(summary, Does.Contain("  websocket connections:" + Environment.NewLine + "    connect: 2 opened, 0 failed to open, 0 closed by the server, 0 dropped"));
        Assert.That(LoadResult.FromJson(result.ToJson()).GetStep("echo").WebSocket, Is.EqualTo(echo.WebSocket), "kept in the JSON result");
    }

    [Test]
    public async Task Receive_UntilPredicate_SkipsMessagesThatDoNotMatch()
    {
        await using var server = await WebSocketServer.StartAsync();
        var seen = new ConcurrentQueue<string>();
        var scenario = Scenario.Create("burst")
            .WithInit(SetUser)
            .Step("connect", WebSocketSteps.Connect("chat", server.Url("/burst?vu={{vu}}")))
            .Step("ask", WebSocketSteps.SendText("chat", "q{{vu}}"))
            .Step("answer", WebSocketSteps.Receive("chat", until: m =>
            {
                seen.Enqueue(m.Text);
                return m.Text.StartsWith("match", StringComparison.Ordinal);
            }))
            .WithLoad(Load.IterationsPerUser(1, 3))
            .Build();

        var result = await LoadRunner.RunAsync(scenario).WaitAsync(RunBound);

        Assert.That(result.GetStep("answer").Ok, Is.EqualTo(3));
        Assert.That(seen, Is.EqualTo(Enumerable.Repeat(new[] { "noise 1", "noise 2", "match: q0" }, 3).SelectMany(x => x)));
        Assert.That(server.Connections, Is.EqualTo(1));
    }

    [TestCase(true, "WebSocket 'chat' received no matching message within 200 ms in step 'ask'.")]
    [TestCase(false, "timed out after 200 ms")]
    public async Task Exchange_NoReplyWithinTimeout_CountsTimedOutAndReconnects(bool receiveTimeout, string expectedError)
    {
        await using var server = await WebSocketServer.StartAsync();
        var scenario = Scenario.Create("silent")
            .WithInit(SetUser)
            .Step("connect", WebSocketSteps.Connect("chat", server.Url("/silent?vu={{vu}}")))
            .Step(
                "ask",
                WebSocketSteps.Exchange("chat", "anyone?", timeout: receiveTimeout ? TimeSpan.FromMilliseconds(200) : null),
                timeout: receiveTimeout ? TimeSpan.FromSeconds(10) : TimeSpan.FromMilliseconds(200))
            .WithLoad(Load.IterationsPerUser(1, 2))
            .Build();

        var clock = System.Diagnostics.Stopwatch.StartNew();
        var result = await LoadRunner.RunAsync(scenario).WaitAsync(RunBound);
        clock.Stop();

        var ask = result.GetStep("ask");
        Assert.That((ask.Ok, ask.Failed, ask.TimedOut), Is.EqualTo((0L, 0L, 2L)));
        Assert.That(ask.Errors.Single().Message, Is.EqualTo(expectedError));

        // Two waits of 200 ms: the 10 s step timeout did not end them. A timer may fire a tick (up to ~5 ms) early by
        // the stopwatch's reckoning (CI measured 399.93 ms for the two).
        Assert.That(clock.Elapsed.TotalMilliseconds, Is.InRange(390, 5000));

        // A timed-out receive aborts the socket; the next iteration's connect step opens a new one.
        Assert.That(server.ConnectionsByUser["0"], Is.EqualTo(2));
    }

    [Test]
    public async Task ExchangeAsync_BinaryMessage_ComesBackAsBinaryWithTheSameBytes()
    {
        await using var server = await WebSocketServer.StartAsync();
        var payload = Enumerable.Range(0, 5000).Select(i => (byte)i).ToArray();
        var sent = new ConcurrentQueue<bool>();
        var scenario = Scenario.Create("binary")
            .Step("connect", WebSocketSteps.Connect("bin", server.Url("/echo")))
            .Step("send", WebSocketSteps.SendBinary("bin", payload))
            .Step("check", async ctx =>
            {
                var reply = await ctx.WebSocket("bin").ReceiveAsync(cancellationToken: ctx.CancellationToken);
                sent.Enqueue(reply.Type == WebSocketMessageType.Binary && reply.Data.Span.SequenceEqual(payload));
                var again = await ctx.WebSocket("bin").ExchangeAsync(payload.AsMemory(0, 3), cancellationToken: ctx.CancellationToken);
                sent.Enqueue(!again.IsText && again.Data.Span.SequenceEqual(new byte[] { 0, 1, 2 }));
            })
            .WithLoad(Load.IterationsPerUser(1, 2))
            .Build();

        var result = await LoadRunner.RunAsync(scenario).WaitAsync(RunBound);

        Assert.That(result.GetStep("check").Ok, Is.EqualTo(2));
        Assert.That(sent, Is.EqualTo(new[] { true, true, true, true }));
    }

    [Test]
    public async Task ReceiveAsync_MessageInThreeFrames_ReturnsItWhole()
    {
        await using var server = await WebSocketServer.StartAsync();
        var lengths = new ConcurrentQueue<int>();
        var scenario = Scenario.Create("frames")
            .Step("frames", async ctx =>
            {
                var chat = ctx.WebSocket("chat");
                await chat.ConnectAsync(server.Url("/frames"), cancellationToken: ctx.CancellationToken);
                var reply = await chat.ExchangeAsync("big one, please", cancellationToken: ctx.CancellationToken);
                lengths.Enqueue(reply.Text.Count(c => c == 'a'));
            })
            .WithLoad(Load.IterationsPerUser(1, 3))
            .Build();

        var result = await LoadRunner.RunAsync(scenario).WaitAsync(RunBound);

        Assert.That(result.GetStep("frames").Ok, Is.EqualTo(3));
        Assert.That(lengths, Is.EqualTo(new[] { 30_000, 30_000, 30_000 }));
        Assert.That(server.Connections, Is.EqualTo(1));
    }

    [Test]
    public async Task Connect_HeadersAndSubProtocol_ReachTheServer()
    {
        await using var server = await WebSocketServer.StartAsync();
        var replies = new ConcurrentQueue<string>();
        var scenario = Scenario.Create("whoami")
            .WithInit(SetUser)
            .Step("connect", WebSocketSteps.Connect(
                "chat", server.Url("/whoami"), new Dictionary<string, string> { ["X-User"] = "user-{{vu}}" }, subProtocol: "chat.v1"))
            .Step("who", async ctx => replies.Enqueue((await ctx.WebSocket("chat").ExchangeAsync("who?", cancellationToken: ctx.CancellationToken)).Text))
            .WithLoad(Load.IterationsPerUser(2, 1))
            .Build();

        var result = await LoadRunner.RunAsync(scenario).WaitAsync(RunBound);

        Assert.That(result.GetStep("who").Ok, Is.EqualTo(2));
        Assert.That(replies.Order(), Is.EqualTo(new[] { "user-0|chat.v1", "user-1|chat.v1" }));
    }

    [TestCase("")]
    [TestCase(" ")]
    public void Connect_EmptyConnectionName_ThrowsNamingTheValue(string connection)
    {
        var thrown = Assert.Throws<ArgumentException>(() => WebSocketSteps.Connect(connection, "ws://127.0.0.1:1/x"));

        Assert.That(thrown!.Message, Does.Contain("connection name"));
    }

    [TestCase("http://127.0.0.1:1/x", "'http://127.0.0.1:1/x', which has scheme 'http'; allowed: an absolute ws:// or wss:// URL")]
    [TestCase("not a url", "'not a url', which is not an absolute URL")]
    [TestCase("ws://127.0.0.1:99999/x", "'ws://127.0.0.1:99999/x', which has port 99999")]
    [TestCase("ws://127.0.0.1/{{vu", "never closes it")]
    public void Build_ConnectToABadUrl_ReportsItWithTheOtherProblems(string url, string expected)
    {
        var builder = Scenario.Create("bad url")
            .Step("connect", WebSocketSteps.Connect("chat", url))
            .Step("", WebSocketSteps.SendText("chat", "hi"))
            .WithLoad(Load.IterationsPerUser(1, 1));

        var thrown = Assert.Throws<ScenarioValidationException>(() => builder.Build())!;

        Assert.That(thrown.Problems, Has.Count.EqualTo(2), thrown.Message);
        Assert.That(thrown.Message, Does.Contain("Steps[0] 'connect' = WebSocketSteps.Connect: ").And.Contain(expected));
    }

    [Test]
    public void Exchange_NonPositiveTimeout_ThrowsNamingTheConnection()
    {
        var thrown = Assert.Throws<ArgumentOutOfRangeException>(() => WebSocketSteps.Exchange("chat", "x", timeout: TimeSpan.Zero));

        Assert.That(thrown!.Message, Does.Contain("WebSocket 'chat' has receive timeout 00:00:00"));
    }

    [Test]
    public async Task SendText_ConnectionNeverOpened_FailsNamingStepAndConnection()
    {
        var scenario = Scenario.Create("unopened")
            .Step("say", WebSocketSteps.SendText("chat", "hi"))
            .WithLoad(Load.IterationsPerUser(1, 2))
            .Build();

        var say = (await LoadRunner.RunAsync(scenario).WaitAsync(RunBound)).GetStep("say");

        Assert.That(say.Failed, Is.EqualTo(2));
        Assert.That(say.Errors.Single().Message, Does.Contain("WebSocket 'chat' is not open in step 'say' (never opened)"));
    }

    [Test]
    public async Task Connect_TemplatedUrlRendersToHttp_FailsNamingTheValue()
    {
        var scenario = Scenario.Create("templated url")
            .WithInit((session, _) =>
            {
                session.Set("scheme", "http");
                return ValueTask.CompletedTask;
            })
            .Step("connect", WebSocketSteps.Connect("chat", "{{scheme}}://127.0.0.1:1/echo"))
            .WithLoad(Load.IterationsPerUser(1, 1))
            .Build();

        var connect = (await LoadRunner.RunAsync(scenario).WaitAsync(RunBound)).GetStep("connect");

        Assert.That(connect.Failed, Is.EqualTo(1));
        Assert.That(connect.Errors.Single().Message, Does.Contain("WebSocket 'chat' has URL 'http://127.0.0.1:1/echo', which has scheme 'http'"));
    }

    [Test]
    public async Task Connect_ServerRefusesTheUpgrade_FailsNamingConnectionAndUrl()
    {
        await using var server = await WebSocketServer.StartAsync();
        var scenario = Scenario.Create("refused")
            .Step("connect", WebSocketSteps.Connect("chat", server.Url("/")))
            .WithLoad(Load.IterationsPerUser(1, 1))
            .Build();

        var connect = (await LoadRunner.RunAsync(scenario).WaitAsync(RunBound)).GetStep("connect");

        Assert.That(connect.Failed, Is.EqualTo(1));
        Assert.That(connect.Errors.Single().Message, Does.Contain($"WebSocket 'chat' could not connect to ws://{server.Address}/: "));
        Assert.That(connect.WebSocket, Is.EqualTo(new WebSocketStats(Opened: 0, Failed: 1, ClosedByServer: 0, Dropped: 0)));
        TestContext.Out.WriteLine(connect.Errors.Single().Message);
    }
}
