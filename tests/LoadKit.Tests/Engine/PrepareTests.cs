using System.Net;
using System.Net.Sockets;
using System.Text;
using LoadKit.Engine;
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
        var engine = new ScenarioEngine(scenario, RunPlan.LoadOf(scenario, LoadProfile.Full, 1), SegmentShare.Whole);

        await engine.PrepareAsync(CancellationToken.None).WaitAsync(Bound);

        Assert.That(inits, Is.EqualTo(3), "the 3 VUs of the first instant, not the 2 the ramp adds later");
        Assert.That(steps, Is.Zero);
        var result = await engine.RunAsync(CancellationToken.None).WaitAsync(Bound);
        Assert.That(inits, Is.EqualTo(5), "each VU's init ran once: the prepared ones were not initialised again");
        Assert.That(result.Init!.Ok, Is.EqualTo(5));
        Assert.That(steps, Is.GreaterThan(0));
    }

    [Test]
    public async Task PrepareAsync_ConnectionPerUser_OpensOneEachAndTheRunConnectsNoMore()
    {
        await using var server = await CountingServer.StartAsync();
        var scenario = Scenario.Create("connections")
            .WithHttp(new HttpSettings { BaseAddress = server.Address, Connections = HttpConnections.PerUser })
            .Step("get", Http.Get("/"))
            .WithLoad(Load.IterationsPerUser(3, 20))
            .Build();
        var engine = new ScenarioEngine(scenario, RunPlan.LoadOf(scenario, LoadProfile.Full, 1), SegmentShare.Whole);

        await engine.PrepareAsync(CancellationToken.None).WaitAsync(Bound);
        await Eventually.UntilAsync(() => server.Accepted == 3, Bound, () => $"the server accepted {server.Accepted} connections, not 3.");
        Assert.That(server.Requests, Is.Zero, "opening a connection sends nothing");

        var result = await engine.RunAsync(CancellationToken.None).WaitAsync(Bound);

        Assert.That(result.GetStep("get").Ok, Is.EqualTo(60));
        Assert.That(server.Requests, Is.EqualTo(60));
        Assert.That(server.Accepted, Is.EqualTo(3), "every VU sent its requests on the connection opened for it");
    }

    [Test]
    public async Task PrepareAsync_OpenedConnectionClosedByTheServer_TheVUConnectsAnew()
    {
        await using var server = await CountingServer.StartAsync(closeFirstConnections: 1);
        var scenario = Scenario.Create("closed")
            .WithHttp(new HttpSettings { BaseAddress = server.Address, Connections = HttpConnections.Shared })
            .Step("get", Http.Get("/"))
            .WithLoad(Load.IterationsPerUser(1, 5))
            .Build();
        var engine = new ScenarioEngine(scenario, RunPlan.LoadOf(scenario, LoadProfile.Full, 1), SegmentShare.Whole);

        await engine.PrepareAsync(CancellationToken.None).WaitAsync(Bound);
        await Eventually.UntilAsync(() => server.Closed == 1, Bound, () => "the server did not close the opened connection.");
        var result = await engine.RunAsync(CancellationToken.None).WaitAsync(Bound);

        Assert.That(result.GetStep("get").Ok, Is.EqualTo(5), "no request failed on the connection the server had closed");
        Assert.That(server.Accepted, Is.EqualTo(2));
    }

    [Test]
    public async Task PrepareAsync_NothingListens_PreparesAndTheRunCountsTheFailedConnects()
    {
        int port;
        using (var probe = new TcpListener(IPAddress.Loopback, 0))
        {
            probe.Start();
            port = ((IPEndPoint)probe.LocalEndpoint).Port; // free again once stopped: nothing listens there
        }

        var scenario = Scenario.Create("refused")
            .WithHttp(new HttpSettings { BaseAddress = new Uri($"http://127.0.0.1:{port}/") })
            .Step("get", Http.Get("/"))
            .WithLoad(Load.IterationsPerUser(2, 3))
            .Build();
        var engine = new ScenarioEngine(scenario, RunPlan.LoadOf(scenario, LoadProfile.Full, 1), SegmentShare.Whole);

        await engine.PrepareAsync(CancellationToken.None).WaitAsync(Bound);
        var result = await engine.RunAsync(CancellationToken.None).WaitAsync(Bound);

        Assert.That(result.GetStep("get").Failed, Is.EqualTo(6));
        Assert.That(result.GetStep("get").Errors.Select(e => e.Message), Has.Some.Contain("refused").IgnoreCase);
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

    /// <summary>
    /// A raw HTTP/1.1 server on 127.0.0.1 that counts the connections it accepts and the requests it answers (a fixed
    /// 200); it can close the first connections it accepts at once, as a server closes an idle one.
    /// </summary>
    private sealed class CountingServer : IAsyncDisposable
    {
        private static readonly byte[] Answer = Encoding.ASCII.GetBytes("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
        private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
        private readonly CancellationTokenSource _stop = new();
        private readonly List<Task> _connections = [];
        private readonly int _closeFirst;
        private Task _accepting = Task.CompletedTask;
        private int _accepted;
        private int _closed;
        private int _requests;

        private CountingServer(int closeFirst) => _closeFirst = closeFirst;

        public Uri Address => new($"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}/");

        public int Accepted => Volatile.Read(ref _accepted);

        public int Closed => Volatile.Read(ref _closed);

        public int Requests => Volatile.Read(ref _requests);

        public static Task<CountingServer> StartAsync(int closeFirstConnections = 0)
        {
            var server = new CountingServer(closeFirstConnections);
            server._listener.Start();
            server._accepting = server.AcceptAsync();
            return Task.FromResult(server);
        }

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            _listener.Stop();
            await _accepting;
            await Task.WhenAll(_connections);
            _stop.Dispose();
        }

        private async Task AcceptAsync()
        {
            try
            {
                while (true)
                {
                    var client = await _listener.AcceptTcpClientAsync(_stop.Token);
                    if (Interlocked.Increment(ref _accepted) <= _closeFirst)
                    {
                        client.Dispose();
                        Interlocked.Increment(ref _closed);
                        continue;
                    }

                    lock (_connections)
                    {
                        _connections.Add(AnswerAsync(client));
                    }
                }
            }
            catch (Exception exception) when (exception is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                // Stopped.
            }
        }

        private async Task AnswerAsync(TcpClient client)
        {
            using var _ = client;
            var stream = client.GetStream();
            var buffer = new byte[4096];
            var text = new StringBuilder();
            try
            {
                int read;
                while ((read = await stream.ReadAsync(buffer, _stop.Token)) > 0)
                {
                    text.Append(Encoding.ASCII.GetString(buffer, 0, read));
                    int end;
                    while ((end = text.ToString().IndexOf("\r\n\r\n", StringComparison.Ordinal)) >= 0)
                    {
                        text.Remove(0, end + 4);
                        Interlocked.Increment(ref _requests);
                        await stream.WriteAsync(Answer, _stop.Token);
                    }
                }
            }
            catch (Exception exception) when (exception is OperationCanceledException or IOException or SocketException)
            {
                // The client went, or the server stopped.
            }
        }
    }
}
