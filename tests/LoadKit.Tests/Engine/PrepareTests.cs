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
        // LoadKit's engine times each connect, also those made before the run: the step that first used one records it.
        Assert.That(result.Measurements.Select(m => (m.Name, m.Ok)), engine == HttpEngine.LoadKit ? Is.EqualTo(new[] { ("get › connect", 3L) }) : Is.Empty);
    }

    [TestCase(HttpEngine.HttpClient)]
    [TestCase(HttpEngine.LoadKit)]
    public async Task RunAsync_InThisProcess_OpensTheFirstUsersConnectionsBeforeTheirFirstStep(HttpEngine engine)
    {
        using var server = await ArrivalRecorder.StartAsync();
        var arrived = 0;
        var allArrived = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var acceptedBeforeAnyRequest = -1;
        var looked = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var scenario = Scenario.Create("local")
            .WithHttp(new HttpSettings { BaseAddress = server.Address, Connections = HttpConnections.PerUser, Engine = engine })
            .Step("wait for all", async ctx =>
            {
                if (Interlocked.Increment(ref arrived) == 3)
                {
                    allArrived.SetResult();
                }

                // Every VU is here, before its first request: what the server accepted so far was opened before the
                // run. One VU looks while the others wait for it.
                await allArrived.Task.WaitAsync(Bound, ctx.CancellationToken);
                if (Interlocked.CompareExchange(ref acceptedBeforeAnyRequest, 0, -1) == -1)
                {
                    try
                    {
                        await Eventually.UntilAsync(() => server.Accepted == 3, TimeSpan.FromSeconds(5), () => "");
                    }
                    catch (TimeoutException)
                    {
                    }

                    Volatile.Write(ref acceptedBeforeAnyRequest, server.Accepted);
                    looked.SetResult();
                }

                await looked.Task.WaitAsync(Bound, ctx.CancellationToken);
            })
            .Step("get", Http.Get("/"))
            .WithLoad(Load.IterationsPerUser(3, 1))
            .Build();

        var result = await LoadRunner.RunAsync(scenario).WaitAsync(Bound);

        Assert.That(result.GetStep("get").Ok, Is.EqualTo(3));
        Assert.That(acceptedBeforeAnyRequest, Is.EqualTo(3), "a run in this process opens its first VUs' connections before its clock starts, as a worker does");
        Assert.That(server.Accepted, Is.EqualTo(3));
    }

    [Test]
    public async Task RunAsync_InThisProcess_CancelledWhilePreparing_EndsCancelledWithoutThrowing()
    {
        // A listener that takes connections but never answers a TLS handshake: preparing waits for it.
        using var silent = new TcpListener(IPAddress.Loopback, 0);
        silent.Start();
        var scenario = Scenario.Create("cancelled")
            .WithHttp(new HttpSettings { BaseAddress = new Uri($"https://127.0.0.1:{((IPEndPoint)silent.LocalEndpoint).Port}/"), Engine = HttpEngine.LoadKit })
            .Step("get", Http.Get("/"))
            .WithLoad(Load.IterationsPerUser(2, 1))
            .Build();
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));

        var result = await LoadRunner.RunAsync(scenario, cancel.Token).WaitAsync(Bound);

        Assert.That(result.Cancelled, Is.True);
        Assert.That(result.GetStep("get").Ok, Is.Zero);
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
