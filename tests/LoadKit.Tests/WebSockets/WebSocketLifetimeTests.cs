namespace LoadKit.Tests.WebSockets;

/// <summary>What the end of a VU's life closes, and what it leaves alone.</summary>
public class WebSocketLifetimeTests
{
    [Test]
    public async Task RunAsync_UserValueInSessionIsAsyncDisposable_LeavesItAloneButClosesConnections()
    {
        await using var server = await WebSocketServer.StartAsync();
        var shared = new DisposalProbe();
        var scenario = Scenario.Create("lifetime")
            .WithInit((session, _) =>
            {
                session.Set("client", shared);
                return ValueTask.CompletedTask;
            })
            .Step("connect a", WebSocketSteps.Connect("a", server.Url("/echo")))
            .Step("connect b", WebSocketSteps.Connect("b", server.Url("/echo")))
            .Step("a", WebSocketSteps.Exchange("a", "to a"))
            .Step("b", WebSocketSteps.Exchange("b", "to b"))
            .WithLoad(Load.IterationsPerUser(2, 3))
            .Build();

        var result = await LoadRunner.RunAsync(scenario).WaitAsync(TimeSpan.FromSeconds(60));

        Assert.That((result.GetStep("a").Ok, result.GetStep("b").Ok), Is.EqualTo((6L, 6L)));
        Assert.That(server.Connections, Is.EqualTo(4));
        Assert.That(await WebSocketServer.EventuallyAsync(() => server.ClosedByClient == 4, TimeSpan.FromSeconds(5)), Is.True,
            $"the server saw {server.ClosedByClient} of 4 connections closed by the client");
        Assert.That(shared.Disposed, Is.False);
    }

    private sealed class DisposalProbe : IAsyncDisposable
    {
        public bool Disposed { get; private set; }

        public ValueTask DisposeAsync()
        {
            Disposed = true;
            return ValueTask.CompletedTask;
        }
    }
}
