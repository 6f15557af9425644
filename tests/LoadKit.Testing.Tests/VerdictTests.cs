using System.Net;
using System.Net.Sockets;
using NUnit.Framework.Internal;

namespace LoadKit.Testing.Tests;

/// <summary>What <see cref="LoadTest.RunAsync(Scenario[])"/> decides after the run: pass, a crossed threshold, or no load.</summary>
public class VerdictTests
{
    [Test]
    public void RunAsync_ThresholdCrossed_FailsNamingTheThresholdTheFigureAndTheStepTable()
    {
        var scenario = Scenario.Create("gated")
            .Step("pay", async ctx => await Task.Delay(TimeSpan.FromMilliseconds(25), ctx.CancellationToken))
            .WithLoad(Load.IterationsPerUser(2, 5))
            .WithThresholds(
                Threshold.Step("pay").Percentile(95).Below(TimeSpan.FromMilliseconds(10)),
                Threshold.Step("pay").FailureRate.Below(0.01))
            .Build();

        var failure = Assert.ThrowsAsync<AssertionException>(() => LoadTest.RunAsync(scenario));

        Assert.That(failure!.Message, Does.Contain("Expected every threshold to pass, but 1 of 2 crossed its limit:"));
        Assert.That(failure.Message, Does.Match(@"✗ \[gated\] p95 of step 'pay' < 10\.00 ms: \d+\.\d\d ms"));
        Assert.That(failure.Message, Does.Not.Contain("✗ [gated] failure rate"), "only the crossed ones are marked");
        Assert.That(failure.Message, Does.Match(@"pay\s+10\s+0\s+0\s+0\s"), "the step table");
    }

    [Test]
    public async Task RunAsync_ThresholdsKept_ReturnsTheResultWithTheirOutcomes()
    {
        var scenario = Scenario.Create("kept")
            .Step("pay", _ => ValueTask.CompletedTask)
            .WithLoad(Load.IterationsPerUser(1, 5))
            .WithThresholds(Threshold.Step("pay").Percentile(99.99).Below(TimeSpan.FromSeconds(1)))
            .Build();

        var result = await LoadTest.RunAsync(scenario);

        Assert.That(result.Thresholds.Single().Passed, Is.True);
        Assert.That(TestExecutionContext.CurrentContext.CurrentResult.Output, Does.Contain("Thresholds: 1 of 1 passed"));
    }

    [Test]
    public void RunAsync_TargetDown_IsNoLoadNotACrossedThreshold()
    {
        var port = UnusedPort();
        var scenario = Scenario.Create("down")
            .Step("get", Http.Get($"http://127.0.0.1:{port}/"))
            .WithLoad(Load.IterationsPerUser(2, 5))
            .WithThresholds(Threshold.Step("get").FailureRate.Below(0.01))
            .Build();

        var error = Assert.ThrowsAsync<NoLoadException>(() => LoadTest.RunAsync(scenario));

        Assert.That(error!.Message, Does.StartWith("The run produced no load: none of its 10 step calls succeeded"));
        Assert.That(error.Message, Does.Contain("10 × HttpRequestException: Connection refused"));
        Assert.That(error.Result.GetStep("get").Failed, Is.EqualTo(10));
    }

    /// <summary>A loopback port nothing listens on: bound, read, released.</summary>
    private static int UnusedPort()
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)socket.LocalEndPoint!).Port;
    }
}
