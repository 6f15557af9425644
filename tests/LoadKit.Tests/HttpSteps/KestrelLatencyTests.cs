using LoadKit.TestTargets;

namespace LoadKit.Tests.HttpSteps;

/// <summary>Runs LoadKit against a real Kestrel server on 127.0.0.1 whose delays are known.</summary>
public class KestrelLatencyTests
{
    [Test]
    public async Task RunAsync_AgainstServerWithKnownDelays_MeasuresThoseDelays()
    {
        await using var server = await DelayServer.StartAsync(("/fast", TimeSpan.FromMilliseconds(25)), ("/slow", TimeSpan.FromMilliseconds(100)));
        var scenario = Scenario.Create("known delays")
            .Step("fast", server.Get("/fast"))
            .Step("slow", server.Get("/slow"))
            .WithLoad(Load.ConstantUsers(4, TimeSpan.FromSeconds(3)))
            .Build();

        var result = await LoadRunner.RunAsync(scenario).WaitAsync(TimeSpan.FromSeconds(60));

        var (fast, slow) = (result.GetStep("fast"), result.GetStep("slow"));
        TestContext.Out.WriteLine(SummaryTable.Render(result));
        Assert.That(fast.Failed + fast.TimedOut + slow.Failed + slow.TimedOut, Is.Zero);
        Assert.That(server.Requests, Is.EqualTo(fast.Ok + slow.Ok + fast.Cancelled + slow.Cancelled));
        // The server's Task.Delay runs on a 4 ms timer tick; loopback and Kestrel add well under a millisecond at the median.
        // No call is shorter than its delay; the tails are bounded only loosely (CI runs other test assemblies beside this
        // one on 2 cores), but no slow call may be counted under the fast step.
        Assert.That(fast.Latency.Min.TotalMilliseconds, Is.GreaterThanOrEqualTo(21));
        Assert.That(fast.Latency.P50.TotalMilliseconds, Is.InRange(21, 35));
        Assert.That(fast.Latency.P95.TotalMilliseconds, Is.LessThan(96));
        Assert.That(slow.Latency.Min.TotalMilliseconds, Is.GreaterThanOrEqualTo(96));
        Assert.That(slow.Latency.P50.TotalMilliseconds, Is.InRange(96, 110));
        Assert.That(slow.Latency.P95.TotalMilliseconds, Is.LessThan(200));
    }

    [Test]
    public async Task RunAsync_ServerAnswers500_CountsFailuresWithTheStatusInTheErrorTable()
    {
        await using var server = await DelayServer.StartAsync(Array.Empty<(string, TimeSpan)>());
        var scenario = Scenario.Create("errors")
            .Step("fail", server.Get("/fail"))
            .WithLoad(Load.IterationsPerUser(2, 5))
            .Build();

        var step = (await LoadRunner.RunAsync(scenario).WaitAsync(TimeSpan.FromSeconds(60))).GetStep("fail");

        Assert.That((step.Ok, step.Failed), Is.EqualTo((0L, 10L)));
        Assert.That(step.Errors.Single().Message, Does.Contain("500 (Internal Server Error)"));
        Assert.That(server.Requests, Is.EqualTo(10));
    }
}
