using FluentAssertions;
using LoadKit.TestTargets;

namespace LoadKit.Testing.Tests.Assertions;

/// <summary>
/// Gates on the result of one real run against Kestrel on 127.0.0.1: 'fast' (10 ms), 'slow' (60 ms),
/// 'flaky' (a 500 on every fourth iteration of each VU) and 'broken' (always a 500).
/// </summary>
public class AssertionFailureMessageTests
{
    private DelayServer _server = null!;
    private LoadResult _result = null!;

    [OneTimeSetUp]
    public async Task RunOnce()
    {
        _server = await DelayServer.StartAsync(("/fast", TimeSpan.FromMilliseconds(10)), ("/slow", TimeSpan.FromMilliseconds(60)));
        var scenario = Scenario.Create("shop")
            .Step("fast", _server.Get("/fast"))
            .Step("slow", _server.Get("/slow"))
            .Step("flaky", _server.Get(ctx => ctx.Iteration % 4 == 0 ? "/fail" : "/fast"))
            .Step("broken", _server.Get("/fail"))
            .WithLoad(Load.IterationsPerUser(users: 2, iterations: 20))
            .Build();
        _result = await LoadRunner.RunAsync(scenario).WaitAsync(TimeSpan.FromSeconds(60));
    }

    [OneTimeTearDown]
    public async Task StopServer() => await _server.DisposeAsync();

    [Test]
    public void WithPercentile_GenerousLimit_Passes()
    {
        _result.Should().HaveStep("slow").WithPercentile(95).Below(TimeSpan.FromSeconds(2));
        _result.Should().HaveStep("fast").WithPercentile(99.99).AtMost(TimeSpan.FromSeconds(2))
            .And.HaveFailureCountAtMost(0);
    }

    [Test]
    public void WithPercentile_TightLimit_FailsNamingValueLimitAndPrintingTheStepTable()
    {
        var p95 = _result.GetStep("slow").Latency.P95;

        var exception = Assert.Throws<AssertionException>(
            () => _result.Should().HaveStep("slow").WithPercentile(95).Below(TimeSpan.FromMilliseconds(5)));

        Assert.That(exception.Message, Does.StartWith("Expected p95 latency of step 'slow' to be below 5.00 ms, but it was "));
        Assert.That(exception.Message, Does.Contain($"but it was {p95.TotalMilliseconds:0.00} ms (over 40 successful calls)."));
        Assert.That(p95, Is.GreaterThan(TimeSpan.FromMilliseconds(55)), "the measured value is the server's 60 ms, not a made-up one");
        Assert.That(exception.Message, Does.Match(@"step\s+ok\s+failed\s+timeout\s+cancelled\s+rps\s+min\s+mean\s+p50\s+p75\s+p90\s+p95\s+p99\s+p99\.9\s+max"));
        Assert.That(exception.Message, Does.Match(@"slow\s+40\s+0\s+0\s+0\s"));
        Assert.That(exception.Message, Does.Contain("broken: 30 × HttpRequestException"));
    }

    [Test]
    public void WithMeanAndWithMax_TightLimits_FailWithTheirFigure()
    {
        var mean = Assert.Throws<AssertionException>(() => _result.Should().HaveStep("fast").WithMean().Below(TimeSpan.FromMilliseconds(1)));
        var max = Assert.Throws<AssertionException>(() => _result.Should().HaveStep("fast").WithMax().AtMost(TimeSpan.FromMilliseconds(1)));

        Assert.That(mean.Message, Does.StartWith("Expected mean latency of step 'fast' to be below 1.00 ms, but it was"));
        Assert.That(max.Message, Does.StartWith("Expected max latency of step 'fast' to be at most 1.00 ms, but it was"));
        Assert.That(max.Message, Does.Contain($"{_result.GetStep("fast").Latency.Max.TotalMilliseconds:0.00} ms"));
    }

    [Test]
    public void HaveFailureRateBelow_FlakyStep_PassesAboveAndFailsBelowItsRate()
    {
        _result.Should().HaveStep("flaky").HaveFailureRateBelow(0.5);

        var exception = Assert.Throws<AssertionException>(() => _result.Should().HaveStep("flaky").HaveFailureRateBelow(0.01));

        Assert.That(exception.Message, Does.StartWith(
            "Expected the failure rate of step 'flaky' to be below 1 %, but it was 25 % (10 of 40 calls failed or timed out)."));
    }

    [Test]
    public void HaveFailureRateBelow_WholeRun_CountsEveryStep()
    {
        var all = _result.GetScenario("shop").AllSteps;

        var exception = Assert.Throws<AssertionException>(() => _result.Should().HaveFailureRateBelow(0.2));

        Assert.That(all.Failed, Is.EqualTo(10 + 30));
        Assert.That(exception.Message, Does.StartWith(
            $"Expected the failure rate of all steps to be below 20 %, but it was {all.FailureRate * 100:0.##} % (40 of {all.Completed} calls failed or timed out)."));
    }

    [Test]
    public void HaveFailureCountAtMost_TooManyFailures_FailsWithTheCounts()
    {
        var exception = Assert.Throws<AssertionException>(() => _result.Should().HaveScenario("shop").HaveFailureCountAtMost(5));

        Assert.That(exception.Message, Does.StartWith(
            "Expected at most 5 failed or timed-out calls of scenario 'shop', but there were 40 (40 failed, 0 timed out)."));
    }

    [Test]
    public void HaveThroughputAtLeast_PassesBelowAndFailsAboveTheMeasuredRate()
    {
        var rate = _result.GetStep("fast").RequestsPerSecond;
        _result.Should().HaveStep("fast").HaveThroughputAtLeast(rate * 0.9);

        var exception = Assert.Throws<AssertionException>(() => _result.Should().HaveStep("fast").HaveThroughputAtLeast(rate * 10));

        Assert.That(exception.Message, Does.Contain($"but it was {rate:0.00} calls/s (40 calls in "));
    }

    [Test]
    public void LatencyGate_StepWithNoSuccessfulCall_FailsInsteadOfPassingOnZero()
    {
        var exception = Assert.Throws<AssertionException>(
            () => _result.Should().HaveStep("broken").WithPercentile(95).Below(TimeSpan.FromSeconds(10)));

        Assert.That(exception.Message, Does.StartWith(
            "Expected p95 latency of step 'broken' to be below 10000.00 ms, but there was no successful call to measure."));
    }

    [Test]
    public void HaveStep_UnknownName_FailsListingTheSteps()
    {
        var exception = Assert.Throws<AssertionException>(() => _result.Should().HaveStep("pay"));

        Assert.That(exception.Message, Does.StartWith(
            "Expected the run to have a step 'pay', but its steps are: 'fast', 'slow', 'flaky', 'broken'."));
    }

    [Test]
    public void Gate_WithBecause_ShowsTheReason()
    {
        var exception = Assert.Throws<AssertionException>(
            () => _result.Should().HaveStep("slow").WithPercentile(50).Below(TimeSpan.FromMilliseconds(1), "the SLO is {0}", "1 ms"));

        Assert.That(exception.Message, Does.StartWith("Expected p50 latency of step 'slow' to be below 1.00 ms because the SLO is 1 ms, but it was"));
    }

    [TestCase(0)]
    [TestCase(101)]
    public void WithPercentile_OutOfRange_ThrowsNamingTheValue(double percentile)
    {
        var exception = Assert.Throws<ArgumentOutOfRangeException>(() => _result.Should().HaveStep("fast").WithPercentile(percentile));

        Assert.That(exception.Message, Does.Contain($"Percentile {percentile} is out of range; allowed: greater than 0 and at most 100"));
    }

    [Test]
    public async Task Gate_StepNameAndErrorWithBraces_MessageKeepsThemVerbatim()
    {
        var scenario = Scenario.Create("braces")
            .Step("{id}", ctx => ctx.Iteration == 0 ? throw new FormatException("bad {json}") : ValueTask.CompletedTask)
            .WithLoad(Load.IterationsPerUser(1, 3))
            .Build();
        var result = await LoadRunner.RunAsync(scenario);

        var exception = Assert.Throws<AssertionException>(() => result.Should().HaveStep("{id}").HaveFailureCountAtMost(0));

        Assert.That(exception.Message, Does.StartWith("Expected at most 0 failed or timed-out calls of step '{id}', but there were 1"));
        Assert.That(exception.Message, Does.Contain("{id}: 1 × FormatException: bad {json}"));
    }
}
