using System.Net;
using System.Net.Sockets;
using LoadKit.Engine;
using LoadKit.Tests.WebSockets;
using LoadKit.TestTargets;
using LoadKit.Workload;

namespace LoadKit.Tests.Engine;

/// <summary>
/// Before a shared start instant an engine does what its first iteration would otherwise pay for after it: the VUs
/// its first block starts at once are created and initialised, and their HTTP connections opened.
/// </summary>
public class PrepareTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);

    [Test]
    public async Task PrepareAsync_ClosedModel_InitialisesTheFirstInstantsVUsBeforeAnyStep()
    {
        var inits = 0;
        var steps = 0;
        var scenario = Scenario.Create("prepared")
            .WithInit((_, _) =>
            {
                Interlocked.Increment(ref inits);
                return ValueTask.CompletedTask;
            })
            .Step("a", async ctx =>
            {
                Interlocked.Increment(ref steps);
                await Task.Delay(10, ctx.CancellationToken);
            })
            .WithLoad(Load.RampUsers(from: 3, to: 5, during: TimeSpan.FromMilliseconds(600)))
            .Build();
        var scenarioEngine = new ScenarioEngine(scenario, RunPlan.LoadOf(scenario, LoadProfile.Full, 1), SegmentShare.Whole);

        await scenarioEngine.PrepareAsync(CancellationToken.None).WaitAsync(Bound);

        Assert.That(inits, Is.EqualTo(3), "the 3 VUs of the first instant, not the 2 the ramp adds later");
        Assert.That(steps, Is.Zero);
        var result = await scenarioEngine.RunAsync(CancellationToken.None).WaitAsync(Bound);
        Assert.That(inits, Is.EqualTo(5), "each VU's init ran once: the prepared ones were not initialised again");
        Assert.That(result.Init!.Ok, Is.EqualTo(5));
        Assert.That(steps, Is.GreaterThan(0));
    }

    [TestCase(HttpEngine.HttpClient)]
    [TestCase(HttpEngine.LoadKit)]
    public async Task PrepareAsync_ConnectionPerUser_OpensOneEachAndTheRunConnectsNoMore(HttpEngine engine)
    {
        using var server = await ArrivalRecorder.StartAsync();
        var scenario = Scenario.Create("connections")
            .WithHttp(new HttpSettings { BaseAddress = server.Address, Connections = HttpConnections.PerUser, Engine = engine })
            .Step("get", Http.Get("/"))
            .WithLoad(Load.IterationsPerUser(3, 20))
            .Build();
        var scenarioEngine = new ScenarioEngine(scenario, RunPlan.LoadOf(scenario, LoadProfile.Full, 1), SegmentShare.Whole);

        await scenarioEngine.PrepareAsync(CancellationToken.None).WaitAsync(Bound);
        await Eventually.UntilAsync(() => server.Accepted == 3, Bound, () => $"the server accepted {server.Accepted} connections, not 3.");
        Assert.That(server.Requests, Is.Zero, "opening a connection sends nothing");

        var result = await scenarioEngine.RunAsync(CancellationToken.None).WaitAsync(Bound);

        Assert.That(result.GetStep("get").Ok, Is.EqualTo(60));
        Assert.That(server.Requests, Is.EqualTo(60));
        Assert.That(server.Accepted, Is.EqualTo(3), "every VU sent its requests on the connection opened for it");
        Assert.That(result.Measurements, Is.Empty, "no connect was timed in the run (LoadKit's engine times those it makes)");
    }

    [TestCase(HttpEngine.HttpClient)]
    [TestCase(HttpEngine.LoadKit)]
    public async Task PrepareAsync_OpenedConnectionClosedByTheServer_TheVUConnectsAnew(HttpEngine engine)
    {
        using var server = await ArrivalRecorder.StartAsync(closeFirstConnections: 1);
        var scenario = Scenario.Create("closed")
            .WithHttp(new HttpSettings { BaseAddress = server.Address, Connections = HttpConnections.Shared, Engine = engine })
            .Step("get", Http.Get("/"))
            .WithLoad(Load.IterationsPerUser(1, 5))
            .Build();
        var scenarioEngine = new ScenarioEngine(scenario, RunPlan.LoadOf(scenario, LoadProfile.Full, 1), SegmentShare.Whole);

        await scenarioEngine.PrepareAsync(CancellationToken.None).WaitAsync(Bound);
        await Eventually.UntilAsync(() => server.Closed == 1, Bound, () => "the server did not close the opened connection.");
        var result = await scenarioEngine.RunAsync(CancellationToken.None).WaitAsync(Bound);

        Assert.That(result.GetStep("get").Ok, Is.EqualTo(5), "no request failed on the connection the server had closed");
        Assert.That(server.Accepted, Is.EqualTo(2));
        Assert.That(result.Measurements.Select(m => (m.Name, m.Ok)), engine == HttpEngine.LoadKit ? Is.EqualTo(new[] { ("get › connect", 1L) }) : Is.Empty);
    }

    [TestCase(HttpEngine.HttpClient)]
    [TestCase(HttpEngine.LoadKit)]
    public async Task PrepareAsync_NothingListens_PreparesAndTheRunCountsTheFailedConnects(HttpEngine engine)
    {
        int port;
        using (var probe = new TcpListener(IPAddress.Loopback, 0))
        {
            probe.Start();
            port = ((IPEndPoint)probe.LocalEndpoint).Port; // free again once stopped: nothing listens there
        }

        var scenario = Scenario.Create("refused")
            .WithHttp(new HttpSettings { BaseAddress = new Uri($"http://127.0.0.1:{port}/"), Engine = engine })
            .Step("get", Http.Get("/"))
            .WithLoad(Load.IterationsPerUser(2, 3))
            .Build();
        var scenarioEngine = new ScenarioEngine(scenario, RunPlan.LoadOf(scenario, LoadProfile.Full, 1), SegmentShare.Whole);

        await scenarioEngine.PrepareAsync(CancellationToken.None).WaitAsync(Bound);
        var result = await scenarioEngine.RunAsync(CancellationToken.None).WaitAsync(Bound);

        Assert.That(result.GetStep("get").Failed, Is.EqualTo(6));
        Assert.That(result.GetStep("get").Errors.Select(e => e.Message), Has.Some.Contain("refused").IgnoreCase);
    }

    [Test]
    public async Task PrepareAsync_WebSocketConnect_OpensEachVUsConnectionAndTheHandshakeGoesOverIt()
    {
        await using var server = await WebSocketServer.StartAsync();
        var scenario = Scenario.Create("chat")
            .WithInit((session, _) =>
            {
                session.Set("vu", session.UserIndex);
                return ValueTask.CompletedTask;
            })
            .Step("connect", WebSocketSteps.Connect("chat", server.Url("/echo?vu={{vu}}")))
            .Step("echo", WebSocketSteps.Exchange("chat", "hello"))
            .WithLoad(Load.IterationsPerUser(3, 4))
            .Build();
        var scenarioEngine = new ScenarioEngine(scenario, RunPlan.LoadOf(scenario, LoadProfile.Full, 1), SegmentShare.Whole);

        await scenarioEngine.PrepareAsync(CancellationToken.None).WaitAsync(Bound);
        await Eventually.UntilAsync(() => server.Accepted == 3, Bound, () => $"the server accepted {server.Accepted} connections, not 3.");
        Assert.That(server.Connections, Is.Zero, "no handshake before the start");

        var result = await scenarioEngine.RunAsync(CancellationToken.None).WaitAsync(Bound);

        var (connect, echo) = (result.GetStep("connect"), result.GetStep("echo"));
        Assert.That((connect.Ok, connect.WebSocket?.Opened, echo.Ok), Is.EqualTo((3L, 3L, 12L)), "each VU's handshake is its connect step's one call");
        Assert.That((server.Connections, server.Accepted), Is.EqualTo((3, 3)), "every handshake went over the connection opened for it");
        Assert.That(server.ConnectionsByUser.Keys.Order(), Is.EqualTo(new[] { "0", "1", "2" }), "the URL was filled from each VU's session");
    }

    [Test]
    public async Task PrepareAsync_WebSocketUrlNeedsAValueTheVUHasNotYet_PreparesNothingAndTheRunConnects()
    {
        await using var server = await WebSocketServer.StartAsync();
        var scenario = Scenario.Create("later")
            .Step("name", ctx =>
            {
                ctx.Session.Set("vu", ctx.UserIndex);
                return ValueTask.CompletedTask;
            })
            .Step("connect", WebSocketSteps.Connect("chat", server.Url("/echo?vu={{vu}}")))
            .Step("echo", WebSocketSteps.Exchange("chat", "hello"))
            .WithLoad(Load.IterationsPerUser(2, 2))
            .Build();
        var scenarioEngine = new ScenarioEngine(scenario, RunPlan.LoadOf(scenario, LoadProfile.Full, 1), SegmentShare.Whole);

        await scenarioEngine.PrepareAsync(CancellationToken.None).WaitAsync(Bound);
        var result = await scenarioEngine.RunAsync(CancellationToken.None).WaitAsync(Bound);

        Assert.That((result.GetStep("connect").Ok, result.GetStep("echo").Ok), Is.EqualTo((2L, 4L)));
        Assert.That((server.Connections, server.Accepted), Is.EqualTo((2, 2)), "nothing was opened before the start, nothing left unused");
    }

    [Test]
    public async Task RunAsync_FirstCallAt_IsWhenTheFirstStepCallBegan()
    {
        DateTimeOffset? seenInStep = null;
        var scenario = Scenario.Create("first")
            .Step("a", _ =>
            {
                seenInStep ??= DateTimeOffset.UtcNow;
                return ValueTask.CompletedTask;
            })
            .WithLoad(Load.IterationsPerUser(1, 3))
            .Build();

        var result = await new ScenarioEngine(scenario, RunPlan.LoadOf(scenario, LoadProfile.Full, 1), SegmentShare.Whole)
            .RunAsync(CancellationToken.None).WaitAsync(Bound);

        Assert.That(result.FirstCallAt, Is.Not.Null);
        Assert.That(result.FirstCallAt, Is.GreaterThanOrEqualTo(result.StartedAt).And.LessThanOrEqualTo(seenInStep!.Value));
        Assert.That(seenInStep!.Value - result.FirstCallAt!.Value, Is.LessThan(TimeSpan.FromMilliseconds(50)));
    }
}
