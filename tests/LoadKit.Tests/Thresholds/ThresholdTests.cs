using LoadKit.TestTargets;

namespace LoadKit.Tests.Thresholds;

public class ThresholdTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(60);

    [Test]
    public async Task AbortOnFail_CrossedAtSecond3Of30_StopsWithinOneIntervalAndNamesTheThreshold()
    {
        // Every request takes 150 ms from second 3 on: p95 crosses 100 ms a little later. The first connections and
        // JIT are slow too: the warm-up keeps them out of the gate, as it would for a user.
        await using var server = await DelayServer.StartAsync(("/api", (Func<TimeSpan, TimeSpan>)(t => t < TimeSpan.FromSeconds(3) ? TimeSpan.Zero : TimeSpan.FromMilliseconds(150))));
        var threshold = Threshold.Step("api").Percentile(95).Below(TimeSpan.FromMilliseconds(100)).AbortOnFail(TimeSpan.FromSeconds(1));
        var scenario = Scenario.Create("slowing")
            .Step("api", server.Get("/api"))
            .WithWarmUp(Load.ArrivalRate(50, TimeSpan.FromSeconds(1), preAllocatedUsers: 10, maxUsers: 50))
            .WithLoad(Load.ArrivalRate(50, TimeSpan.FromSeconds(29), preAllocatedUsers: 10, maxUsers: 50))
            .WithThresholds(threshold)
            .Build();

        var result = await LoadRunner.RunAsync(scenario).WaitAsync(Bound);

        TestContext.Out.WriteLine(SummaryTable.Render(result));
        var stoppedBy = result.StoppedBy;
        Assert.That(stoppedBy, Is.Not.Null, "the threshold stopped the run");
        Assert.That(stoppedBy!.Threshold, Is.EqualTo("p95 of step 'api' < 100.00 ms"));
        Assert.That(stoppedBy.Passed, Is.False);
        Assert.That(stoppedBy.CrossedAt, Is.GreaterThan(TimeSpan.FromSeconds(3)));
        // The delay (1 s) has passed when it is crossed, so the stop comes at the next evaluation: within one interval.
        Assert.That(stoppedBy.StoppedRunAt - stoppedBy.CrossedAt, Is.LessThanOrEqualTo(TimeSpan.FromSeconds(1.2)));
        Assert.That(result.Duration, Is.LessThan(stoppedBy.StoppedRunAt!.Value + TimeSpan.FromSeconds(2)), "the run ends promptly after the stop");
        Assert.That(result.Cancelled, Is.False, "stopped by a threshold, not cancelled by the caller");
        Assert.That(result.Notes, Has.One.Contains("because threshold 'p95 of step 'api' < 100.00 ms' was crossed"));
        Assert.That(server.Requests, Is.LessThan(50 * 10), "far less than the 30 s of load");
    }

    [Test]
    public async Task AbortOnFail_CrossedBeforeItsDelay_StopsOnlyOnceTheDelayHasPassed()
    {
        await using var server = await DelayServer.StartAsync(("/api", (Func<TimeSpan, TimeSpan>)(_ => TimeSpan.FromMilliseconds(20))));
        var scenario = Scenario.Create("slow from the start")
            .Step("api", server.Get("/api"))
            .WithLoad(Load.ArrivalRate(20, TimeSpan.FromSeconds(30), preAllocatedUsers: 5, maxUsers: 20))
            .WithThresholds(Threshold.Step("api").Max.Below(TimeSpan.FromMilliseconds(5)).AbortOnFail(TimeSpan.FromSeconds(3)))
            .Build();

        var result = await LoadRunner.RunAsync(scenario).WaitAsync(Bound);

        var stoppedBy = result.StoppedBy!;
        Assert.That(stoppedBy.CrossedAt, Is.LessThan(TimeSpan.FromSeconds(2)), "crossed at the first evaluation");
        Assert.That(stoppedBy.StoppedRunAt, Is.GreaterThanOrEqualTo(TimeSpan.FromSeconds(3)).And.LessThan(TimeSpan.FromSeconds(4.5)));
    }

    [Test]
    public async Task Percentiles_KnownSlowTail_P999PassesAndP9999Fails()
    {
        // 1 request in 2,000 waits 300 ms: 0.05 % of the calls, more than p99.99 leaves out and less than p99.9 does.
        await using var server = await DelayServer.StartAsync(("/tail", (Func<TimeSpan, long, TimeSpan>)((_, n) => n % 2000 == 0 ? TimeSpan.FromMilliseconds(300) : TimeSpan.Zero)));
        var scenario = Scenario.Create("tail")
            .Step("get", server.Get("/tail"))
            .WithLoad(Load.SharedIterations(users: 16, iterations: 10_000))
            .WithThresholds(
                Threshold.Step("get").Percentile(99.9).Below(TimeSpan.FromMilliseconds(250)),
                Threshold.Step("get").Percentile(99.99).Below(TimeSpan.FromMilliseconds(250)),
                Threshold.AllSteps.FailureRate.AtMost(0.0))
            .Build();

        var result = await LoadRunner.RunAsync(scenario).WaitAsync(Bound);

        TestContext.Out.WriteLine(SummaryTable.Render(result));
        Assert.That(result.GetStep("get").Ok, Is.EqualTo(10_000));
        Assert.That(result.Thresholds.Select(t => (t.Threshold, t.Passed)), Is.EqualTo(new[]
        {
            ("p99.9 of step 'get' < 250.00 ms", true),
            ("p99.99 of step 'get' < 250.00 ms", false),
            ("failure rate of all steps ≤ 0 %", true),
        }));
        // The tail's 300 ms, as the histogram's bucket shows it (298.75 ms seen: the server's timer may fire early).
        Assert.That(result.Thresholds[1].Observed, Does.Match(@"^(29[5-9]|3\d\d)\.\d\d ms$"), "the tail's 300 ms");
        Assert.That(result.StoppedBy, Is.Null, "no threshold aborts on failure");
    }

    [Test]
    public async Task Thresholds_WarmUp_LeftOutUnlessIncluded()
    {
        // The warm-up's 3 calls are slow, the measured part's 3 fast.
        var calls = 0;
        var scenario = Scenario.Create("warm")
            .Step("work", async ctx =>
            {
                if (Interlocked.Increment(ref calls) <= 3)
                {
                    await Task.Delay(TimeSpan.FromMilliseconds(30), ctx.CancellationToken);
                }
            })
            .WithWarmUp(Load.IterationsPerUser(users: 1, iterations: 3))
            .WithLoad(Load.IterationsPerUser(users: 1, iterations: 3))
            .WithThresholds(
                Threshold.Step("work").Max.Below(TimeSpan.FromMilliseconds(20)),
                Threshold.Step("work").Max.Below(TimeSpan.FromMilliseconds(20)).IncludingWarmUp())
            .Build();

        var result = await LoadRunner.RunAsync(scenario).WaitAsync(Bound);

        Assert.That(result.Thresholds.Select(t => t.Passed), Is.EqualTo(new[] { true, false }));
        var withWarmUp = double.Parse(result.Thresholds[1].Observed.Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture);
        Assert.That(withWarmUp, Is.GreaterThanOrEqualTo(30), "the warm-up's 30 ms");
    }

    [Test]
    public async Task RunThresholds_StepInTwoScenarios_AreEvaluatedOnBothMerged()
    {
        var fast = Scenario.Create("fast").Step("call", _ => ValueTask.CompletedTask).WithLoad(Load.IterationsPerUser(1, 50)).Build();
        var failing = Scenario.Create("failing").Step("call", ctx => { ctx.Fail("no"); return ValueTask.CompletedTask; })
            .WithLoad(Load.IterationsPerUser(1, 50)).Build();
        var options = RunOptions.Default with
        {
            Thresholds = [Threshold.Step("call").FailureRate.Below(0.6), Threshold.Step("call").FailureCount.AtMost(10)],
        };

        var result = await LoadRunner.RunAsync([fast, failing], options).WaitAsync(Bound);

        Assert.That(result.Thresholds.Select(t => (t.Scenario, t.Passed, t.Observed)), Is.EqualTo(new[]
        {
            ((string?)null, true, "50 %"),
            (null, false, "50"),
        }));
    }

    [Test]
    public async Task DroppedIterations_OpenModelWithTooFewUsers_FailsWithTheCount()
    {
        var scenario = Scenario.Create("starved")
            .Step("slow", ctx => new ValueTask(Task.Delay(TimeSpan.FromMilliseconds(200), ctx.CancellationToken)))
            .WithLoad(Load.ArrivalRate(50, TimeSpan.FromSeconds(1), preAllocatedUsers: 1, maxUsers: 1))
            .WithThresholds(Threshold.DroppedIterations.AtMost(0))
            .Build();

        var result = await LoadRunner.RunAsync(scenario).WaitAsync(Bound);

        var outcome = result.Thresholds.Single();
        Assert.That(outcome.Threshold, Is.EqualTo("dropped iterations ≤ 0"));
        Assert.That(outcome.Passed, Is.False);
        Assert.That(outcome.Observed, Is.EqualTo(result.GetScenario("starved").Dropped.ToString("N0", System.Globalization.CultureInfo.InvariantCulture)));
        Assert.That(result.GetScenario("starved").Dropped, Is.GreaterThan(0));
    }

    [Test]
    public async Task LatencyThreshold_NoSuccessfulCall_FailsSayingSo()
    {
        var scenario = Scenario.Create("broken")
            .Step("call", _ => throw new InvalidOperationException("down"))
            .WithLoad(Load.IterationsPerUser(1, 5))
            .WithThresholds(Threshold.Step("call").Percentile(95).Below(TimeSpan.FromSeconds(1)))
            .Build();

        var result = await LoadRunner.RunAsync(scenario).WaitAsync(Bound);

        Assert.That(result.Thresholds.Single(), Is.EqualTo(new ThresholdOutcome("p95 of step 'call' < 1000.00 ms", "broken", false, "no successful call")));
    }

    [Test]
    public void Build_BadThresholds_ListsEachWithWhatIsAllowed()
    {
        var builder = Scenario.Create("bad")
            .Step("pay", _ => ValueTask.CompletedTask)
            .WithLoad(Load.IterationsPerUser(1, 1))
            .WithThresholds(
                Threshold.Step("checkout").Percentile(95).Below(TimeSpan.FromMilliseconds(200)),
                Threshold.Step("pay").Percentile(100.5).Below(TimeSpan.FromMilliseconds(200)),
                Threshold.AllSteps.FailureRate.Below(1.5),
                Threshold.AllSteps.Throughput.AtLeast(-1),
                Threshold.AllSteps.Mean.Below(TimeSpan.FromSeconds(1)).AbortOnFail(TimeSpan.FromSeconds(-1)),
                null!);

        var exception = Assert.Throws<ScenarioValidationException>(() => builder.Build());

        Assert.That(exception!.Problems.Select(p => p.ToString()), Is.EquivalentTo(new[]
        {
            "Thresholds[5] = null: a threshold from Threshold.*",
            "Thresholds[0] = p95 of step 'checkout' < 200.00 ms: a step of the scenario: 'pay'",
            "Thresholds[1] = p100.5 of step 'pay' < 200.00 ms: a percentile greater than 0 and at most 100, e.g. 95 or 99.9",
            "Thresholds[2] = failure rate of all steps < 150 %: a failure rate limit from 0 to 1 (0.01 is 1 %)",
            "Thresholds[3] = throughput of all steps ≥ -1.00/s: a limit of 0 or more",
            "Thresholds[4].AbortDelay = -1 s: from 0 to 34560 min",
        }));
    }

    [Test]
    public void RunAsync_RunThresholdOnUnknownStep_ThrowsNamingIt()
    {
        var scenario = Scenario.Create("one").Step("a", _ => ValueTask.CompletedTask).WithLoad(Load.IterationsPerUser(1, 1)).Build();
        var options = RunOptions.Default with { Thresholds = [Threshold.Step("b").Max.Below(TimeSpan.FromSeconds(1))] };

        var exception = Assert.ThrowsAsync<ArgumentException>(() => LoadRunner.RunAsync([scenario], options));

        Assert.That(exception!.Message, Does.Contain("RunOptions.Thresholds[0] = max of step 'b' < 1000.00 ms: a step of the scenario: 'a'"));
    }

    [Test]
    public async Task Thresholds_SurviveAJsonRoundTrip()
    {
        var scenario = Scenario.Create("json").Step("a", _ => ValueTask.CompletedTask).WithLoad(Load.IterationsPerUser(1, 3))
            .WithThresholds(Threshold.Iterations.Max.Below(TimeSpan.FromSeconds(5)))
            .Build();
        var result = await LoadRunner.RunAsync(scenario).WaitAsync(Bound);

        var read = LoadResult.FromJson(result.ToJson());

        Assert.That(read.Thresholds, Is.EqualTo(result.Thresholds));
        Assert.That(read.Thresholds.Single().Passed, Is.True);
    }
}
