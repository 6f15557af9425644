namespace LoadKit.Tests.WebSockets;

/// <summary>
/// An exchange step allocates little in steady state: the difference between a short and a long run is what the extra
/// exchanges cost, client and in-process Kestrel server together.
/// </summary>
public class WebSocketAllocationTests
{
    [Test]
    public async Task Exchange_SteadyState_AllocatesNoBufferPerMessage()
    {
        await using var server = await WebSocketServer.StartAsync();
        await AllocatedByRunAsync(server, 2_000);
        var shortRun = await AllocatedByRunAsync(server, 2_000);
        var longRun = await AllocatedByRunAsync(server, 12_000);

        var perExchange = (longRun - shortRun) / 10_000.0;
        TestContext.Out.WriteLine($"short run {shortRun} B, long run {longRun} B, {perExchange:0.0} B per exchange (client and server)");

        // Measured here: 21-51 B. A copy of each 39-byte message would add 64 B (its decoded string 104 B more); an
        // unpooled async state machine in the receive path added about 340 B.
        Assert.That(perExchange, Is.LessThan(80));
    }

    private static async Task<long> AllocatedByRunAsync(WebSocketServer server, int exchanges)
    {
        var scenario = Scenario.Create("echo")
            .Step("connect", WebSocketSteps.Connect("chat", server.Url("/echo")))
            .Step("echo", WebSocketSteps.Exchange("chat", "a message of some forty bytes, constant"))
            .WithLoad(Load.IterationsPerUser(1, exchanges))
            .Build();
        var before = GC.GetTotalAllocatedBytes(precise: true);
        var result = await LoadRunner.RunAsync(scenario).WaitAsync(TimeSpan.FromSeconds(60));
        var allocated = GC.GetTotalAllocatedBytes(precise: true) - before;
        Assert.That(result.GetStep("echo").Ok, Is.EqualTo(exchanges));
        return allocated;
    }
}
