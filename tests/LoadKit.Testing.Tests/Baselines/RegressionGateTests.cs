using System.Globalization;
using FluentAssertions;
using LoadKit.TestTargets;
using NUnit.Framework.Internal;

namespace LoadKit.Testing.Tests.Baselines;

/// <summary>
/// Regression gates on real runs against Kestrel on 127.0.0.1: a baseline run of step 'pay' against a 10 ms
/// endpoint, saved to a file and read back; a second run against the same endpoint; one against a 250 ms endpoint
/// (far apart, so that a busy shared machine's stalls cannot make the two look alike); and one where every other
/// call of 'pay' answers 500.
/// </summary>
public class RegressionGateTests
{
    private DelayServer _server = null!;
    private string _folder = null!;
    private LoadResult _baselineRun = null!;
    private Baseline _baseline = null!;
    private LoadResult _sameRun = null!;
    private LoadResult _slowRun = null!;
    private LoadResult _flakyRun = null!;

    [OneTimeSetUp]
    public async Task RunAll()
    {
        _folder = Directory.CreateTempSubdirectory("loadkit-baseline-").FullName;
        _server = await DelayServer.StartAsync(("/pay", TimeSpan.FromMilliseconds(10)), ("/pay-slow", TimeSpan.FromMilliseconds(250)));
        _baselineRun = await Run(_ => "/pay");
        _baselineRun.WriteFile(Path.Combine(_folder, "baseline.json"));
        _baseline = Baseline.FromFile(Path.Combine(_folder, "baseline.json"));
        _sameRun = await Run(_ => "/pay");
        _slowRun = await Run(_ => "/pay-slow");
        _flakyRun = await Run(ctx => ctx.Iteration % 2 == 0 ? "/fail" : "/pay");
    }

    [OneTimeTearDown]
    public async Task Stop()
    {
        await _server.DisposeAsync();
        Directory.Delete(_folder, recursive: true);
    }

    [Test]
    public void FromFile_SavedRun_ReadsTheSameStatistics()
    {
        var saved = _baseline.Result!.GetStep("pay");

        Assert.That(saved.Ok, Is.EqualTo(_baselineRun.GetStep("pay").Ok).And.EqualTo(80));
        Assert.That(saved.Latency.P95, Is.EqualTo(_baselineRun.GetStep("pay").Latency.P95));
        Assert.That(_baseline.Source, Is.EqualTo($"file '{Path.Combine(_folder, "baseline.json")}'"));
    }

    [Test]
    public void NotRegressedFrom_SlowerEndpoint_FailsShowingBothValuesAndTheChange()
    {
        var now = _slowRun.GetStep("pay").Latency.P95;
        var before = _baseline.Result!.GetStep("pay").Latency.P95;
        var change = (double)(now.Ticks - before.Ticks) / before.Ticks * 100;

        var exception = Assert.Throws<AssertionException>(
            () => _slowRun.Should().HaveStep("pay").WithPercentile(95).NotRegressedFrom(_baseline, byMoreThan: 0.10));

        Assert.That(now, Is.GreaterThanOrEqualTo(TimeSpan.FromMilliseconds(250)), "the slow endpoint's 250 ms");
        Assert.That(before, Is.LessThan(TimeSpan.FromMilliseconds(200)), "the baseline endpoint's 10 ms");
        Assert.That(exception.Message, Does.StartWith(
            $"Expected p95 latency of step 'pay' to be at most 10 % worse than in the baseline (file '{Path.Combine(_folder, "baseline.json")}'), " +
            $"but it was {Ms(now)}, {change.ToString("0.##", CultureInfo.InvariantCulture)} % worse than the baseline's {Ms(before)} " +
            "(allowed: 10 %; over 80 successful calls, the baseline over 80)."));
        Assert.That(exception.Message, Does.Match(@"pay\s+80\s+0\s+0\s+0\s"), "this run's step table");
        Assert.That(exception.Message, Does.Contain("The baseline (file '"), "and the baseline's");
    }

    [Test]
    public void NotRegressedFrom_SameEndpointWithGenerousAllowance_Passes()
    {
        _sameRun.Should().HaveStep("pay").WithPercentile(95).NotRegressedFrom(_baseline, byMoreThan: 1.0)
            .And.HaveThroughputNotRegressedFrom(_baseline, byMoreThan: 0.5);
        _sameRun.Should().HaveStep("pay").WithMean().NotRegressedFrom(_baseline, byMoreThan: 1.0);
        _sameRun.Should().HaveScenario("shop").WithPercentile(50).NotRegressedFrom(_baselineRun, byMoreThan: 1.0);
        _sameRun.Should().WithMax().NotRegressedFrom(_baselineRun, byMoreThan: 20);
    }

    [Test]
    public void NotRegressedFrom_Mean_NamesTheMean()
    {
        var exception = Assert.Throws<AssertionException>(
            () => _slowRun.Should().HaveStep("pay").WithMean().NotRegressedFrom(_baseline, byMoreThan: 0.5));

        Assert.That(exception.Message, Does.StartWith("Expected mean latency of step 'pay' to be at most 50 % worse than in the baseline"));
        Assert.That(exception.Message, Does.Contain($"but it was {Ms(_slowRun.GetStep("pay").Latency.Mean)}, "));
        Assert.That(exception.Message, Does.Contain($"worse than the baseline's {Ms(_baselineRun.GetStep("pay").Latency.Mean)} (allowed: 50 %;"));
    }

    [Test]
    public void HaveThroughputNotRegressedFrom_SlowerEndpoint_FailsShowingBothRates()
    {
        var now = _slowRun.GetStep("pay").RequestsPerSecond;
        var before = _baselineRun.GetStep("pay").RequestsPerSecond;

        var exception = Assert.Throws<AssertionException>(
            () => _slowRun.Should().HaveStep("pay").HaveThroughputNotRegressedFrom(_baseline, byMoreThan: 0.10));

        Assert.That(now, Is.LessThan(before * 0.9), "closed model: a higher latency, a lower rate");
        Assert.That(exception.Message, Does.StartWith(
            $"Expected the throughput of step 'pay' to be at most 10 % lower than in the baseline (file '{Path.Combine(_folder, "baseline.json")}'), " +
            $"but it was {now.ToString("0.00", CultureInfo.InvariantCulture)} calls/s, "));
        Assert.That(exception.Message, Does.Contain($"lower than the baseline's {before.ToString("0.00", CultureInfo.InvariantCulture)} calls/s (allowed: 10 %;"));
    }

    [Test]
    public void HaveFailureRateNoHigherThan_HalfFailing_FailsInPercentagePointsAndPassesWithRoom()
    {
        _flakyRun.Should().HaveStep("pay").HaveFailureRateNoHigherThan(_baseline, plus: 0.6);

        var exception = Assert.Throws<AssertionException>(
            () => _flakyRun.Should().HaveStep("pay").HaveFailureRateNoHigherThan(_baseline, plus: 0.01));

        Assert.That(exception.Message, Does.StartWith(
            "Expected the failure rate of step 'pay' to be at most 1 percentage point above the baseline's (file '"));
        Assert.That(exception.Message, Does.Contain(
            "but it was 50 % (40 of 80 calls failed or timed out), 50 percentage points above the baseline's 0 % (0 of 80; allowed: 1 percentage point above)."));
    }

    [Test]
    public void NotRegressedFrom_StepMissingInTheBaseline_FailsNamingIt()
    {
        var renamed = _baselineRun with
        {
            Scenarios = [_baselineRun.Scenarios[0] with { Steps = [_baselineRun.GetStep("pay") with { Name = "checkout" }] }],
        };

        var exception = Assert.Throws<AssertionException>(
            () => _sameRun.Should().HaveStep("pay").WithPercentile(99).NotRegressedFrom(renamed, byMoreThan: 0.1));

        Assert.That(exception.Message, Does.StartWith(
            "Expected the baseline (a result of ") );
        Assert.That(exception.Message, Does.Contain(
            "to have step 'pay' to compare its p99 latency with, but the baseline has no step 'pay' in scenario 'shop'; its steps there are: 'checkout'."));
    }

    [Test]
    public void NotRegressedFrom_ScenarioMissingInTheBaseline_FailsNamingIt()
    {
        var renamed = _baselineRun with { Scenarios = [_baselineRun.Scenarios[0] with { Name = "old-shop" }] };

        var exception = Assert.Throws<AssertionException>(
            () => _sameRun.Should().HaveScenario("shop").WithPercentile(95).NotRegressedFrom(renamed, byMoreThan: 0.1));

        Assert.That(exception.Message, Does.Contain("but the baseline has no scenario 'shop'; its scenarios are: 'old-shop'."));
    }

    [TestCase(-0.1)]
    [TestCase(double.NaN)]
    public void NotRegressedFrom_NegativeAllowance_ThrowsNamingTheValue(double byMoreThan)
    {
        var exception = Assert.Throws<ArgumentOutOfRangeException>(
            () => _sameRun.Should().HaveStep("pay").WithPercentile(95).NotRegressedFrom(_baseline, byMoreThan));

        Assert.That(exception.Message, Does.StartWith($"Allowed regression {byMoreThan} is out of range; allowed: 0 or more (0.10 is 10 %)."));
    }

    [Test]
    public void NotRegressedFrom_FirstRunWithoutBaselineFile_PassesAndSaysSoInTheOutput()
    {
        var missing = Path.Combine(_folder, "not-yet.json");

        var baseline = Baseline.FromFile(missing);
        _slowRun.Should().HaveStep("pay").WithPercentile(95).NotRegressedFrom(baseline, byMoreThan: 0.10);

        Assert.That(baseline.Result, Is.Null);
        Assert.That(TestExecutionContext.CurrentContext.CurrentResult.Output, Does.Contain(
            $"LoadKit: p95 latency of step 'pay' was not compared with a baseline: the baseline file '{missing}' does not exist yet. " +
            "The regression gate passed without comparing; LOADKIT_BASELINE_SAVE saves a run's result as the next baseline."));
    }

    [Test]
    public void GetBaseline_NothingConfigured_PassesAndSaysHowToConfigureOne()
    {
        Assume.That(Environment.GetEnvironmentVariable(LoadTest.BaselineVariable), Is.Null.Or.Empty);
        Assume.That(TestContext.Parameters.Get("LoadKit.Baseline"), Is.Null.Or.Empty);

        var baseline = LoadTest.GetBaseline();
        _slowRun.Should().HaveStep("pay").HaveFailureRateNoHigherThan(baseline);

        Assert.That(baseline.Result, Is.Null);
        Assert.That(TestExecutionContext.CurrentContext.CurrentResult.Output, Does.Contain(
            "LoadKit: failure rate of step 'pay' was not compared with a baseline: no baseline file is configured " +
            "(the environment variable LOADKIT_BASELINE or the NUnit run parameter LoadKit.Baseline)."));
    }

    private static string Ms(TimeSpan value) => value.TotalMilliseconds.ToString("0.00", CultureInfo.InvariantCulture) + " ms";

    private Task<LoadResult> Run(Func<StepContext, string> path) =>
        LoadRunner.RunAsync(Scenario.Create("shop")
                .Step("pay", _server.Get(path))
                .WithWarmUp(Load.IterationsPerUser(users: 8, iterations: 1)) // connections and JIT, kept out of the gates
                .WithLoad(Load.IterationsPerUser(users: 8, iterations: 10))
                .Build())
            .WaitAsync(TimeSpan.FromSeconds(60));
}
