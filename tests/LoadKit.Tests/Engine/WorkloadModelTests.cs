using System.Collections.Concurrent;
using LoadKit.TestTargets;

namespace LoadKit.Tests.Engine;

/// <summary>The load shapes against real Kestrel servers on 127.0.0.1: rates held, stalls seen, ramps followed.</summary>
public class WorkloadModelTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(90);

    [Test]
    public async Task ArrivalRate_2000PerSecondFor10Seconds_StartsEveryScheduledIterationAndReportsTheLag()
    {
        await using var server = await DelayServer.StartAsync(("/ok", TimeSpan.Zero));
        var scenario = Scenario.Create("rate")
            .Step("get", server.Get("/ok"))
            // The first second opens connections and compiles code: a warm-up keeps it out of the measurement.
            .WithWarmUp(Load.ArrivalRate(2000, TimeSpan.FromSeconds(1), preAllocatedUsers: 20, maxUsers: 400))
            .WithLoad(Load.ArrivalRate(2000, TimeSpan.FromSeconds(10), preAllocatedUsers: 20, maxUsers: 400))
            .Build();

        var result = (await LoadRunner.RunAsync(scenario).WaitAsync(Bound)).GetScenario("rate");

        var step = result.GetStep("get");
        var lag = result.SchedulingLag;
        TestContext.Out.WriteLine(
            $"ok {step.Ok}, failed {step.Failed + step.TimedOut}, dropped {result.Dropped}, lag p50 {lag.P50.TotalMilliseconds:0.000} ms " +
            $"p99 {lag.P99.TotalMilliseconds:0.000} ms max {lag.Max.TotalMilliseconds:0.000} ms, peak VUs {result.Users}; " +
            $"warm-up: ok {result.WarmUp!.GetStep("get").Ok}, dropped {result.WarmUp.Dropped}");
        TestContext.Out.WriteLine(string.Join(" ", step.Timeline.Select(p => p.Ok)));
        // Every scheduled iteration is accounted for: started (and counted) or dropped, never lost or queued.
        Assert.That(result.Iterations.Completed + result.Iterations.Cancelled + result.Dropped, Is.EqualTo(20_000));
        Assert.That(step.Ok, Is.InRange(19_800, 20_000), "achieved within 1 % of 20,000");
        Assert.That(lag.Count, Is.EqualTo(result.Iterations.Completed + result.Iterations.Cancelled));
        Assert.That(lag.P99, Is.GreaterThan(TimeSpan.Zero).And.LessThan(TimeSpan.FromSeconds(1)));
        var warmUp = result.WarmUp!.GetStep("get");
        Assert.That(server.Requests, Is.EqualTo(step.Completed + step.Cancelled + warmUp.Completed + warmUp.Cancelled));
    }

    [Test]
    public async Task ArrivalRate_EndpointStallsForOneSecond_DropsIterationsAndP99FromScheduledStartIsAtLeastOneSecond()
    {
        await using var server = await DelayServer.StartAsync(("/stall", StallFromTwoToThreeSeconds));
        var scenario = Scenario.Create("open")
            .Step("get", server.Get("/stall"))
            .WithLoad(Load.ArrivalRate(100, TimeSpan.FromSeconds(6), preAllocatedUsers: 5, maxUsers: 30))
            .Build();

        var result = (await LoadRunner.RunAsync(scenario).WaitAsync(Bound)).GetScenario("open");

        var step = result.GetStep("get");
        TestContext.Out.WriteLine(SummaryTable.Render(result));
        Assert.That(result.Dropped, Is.GreaterThanOrEqualTo(30), "the pool of 30 VUs is stuck for a second at 100/s");
        Assert.That(result.Timeline.Sum(p => p.Dropped), Is.EqualTo(result.Dropped));
        Assert.That(step.ScheduledLatency.P99, Is.GreaterThanOrEqualTo(TimeSpan.FromSeconds(1)));
        Assert.That(step.Completed + result.Dropped + step.Cancelled, Is.EqualTo(600));
    }

    [Test]
    public async Task ConstantUsers_EndpointStallsForOneSecond_ShowsTheStallAsLowerThroughput()
    {
        await using var server = await DelayServer.StartAsync(("/stall", StallFromTwoToThreeSeconds));
        var scenario = Scenario.Create("closed")
            .Step("get", server.Get("/stall"))
            .WithLoad(Load.ConstantUsers(5, TimeSpan.FromSeconds(6)))
            .Build();

        var result = (await LoadRunner.RunAsync(scenario).WaitAsync(Bound)).GetScenario("closed");

        var perSecond = result.GetStep("get").Timeline.Take(6).Select(p => p.Ok).ToArray();
        TestContext.Out.WriteLine($"calls per second: {string.Join(", ", perSecond)}; p99 {result.GetStep("get").Latency.P99.TotalMilliseconds:0.00} ms");
        var normal = perSecond.Where((_, second) => second is 0 or 4 or 5).Min();
        Assert.That(perSecond.Skip(2).Take(1).Single(), Is.LessThan(normal / 5), "the second the server stalls, the 5 VUs wait");
        Assert.That(result.Dropped, Is.Zero);
        // The closed model's own p99 hides the stall: only 5 of thousands of calls waited (coordinated omission).
        Assert.That(result.GetStep("get").Latency.P99, Is.LessThan(TimeSpan.FromSeconds(0.5)));
    }

    [Test]
    public async Task RampUsers_ZeroToTwentyOverTenSeconds_ActiveUsersFollowTheRampEachSecond()
    {
        var scenario = Scenario.Create("ramp")
            .Step("work", async ctx => await Task.Delay(50, ctx.CancellationToken))
            // The plateau keeps the level at 20 past the last sampled instant of the ramp (t = 10 s).
            .WithLoad(Load.RampUsers(to: 20, during: TimeSpan.FromSeconds(10)), Load.ConstantUsers(20, TimeSpan.FromSeconds(1)))
            .WithGracefulStop(TimeSpan.FromSeconds(1))
            .Build();

        var result = (await LoadRunner.RunAsync(scenario).WaitAsync(Bound)).GetScenario("ramp");

        var active = result.Timeline.Take(10).Select(p => p.ActiveUsers).ToArray();
        TestContext.Out.WriteLine($"active VUs at the end of each second: {string.Join(", ", active)}");
        for (var second = 0; second < 10; second++)
        {
            Assert.That(active[second], Is.InRange((2 * (second + 1)) - 1, (2 * (second + 1)) + 1), $"second {second}");
        }

        Assert.That(result.Users, Is.EqualTo(20));
    }

    [Test]
    public async Task RampUsers_DownToZero_LetsLeavingUsersFinishTheirIteration()
    {
        var scenario = Scenario.Create("down")
            .Step("work", async ctx => await Task.Delay(300, ctx.CancellationToken))
            .WithLoad(Load.ConstantUsers(4, TimeSpan.FromSeconds(1)), Load.RampUsers(to: 0, during: TimeSpan.FromSeconds(1)))
            .Build();

        var result = (await LoadRunner.RunAsync(scenario).WaitAsync(Bound)).GetScenario("down");

        var step = result.GetStep("work");
        Assert.That(step.Cancelled, Is.Zero);
        Assert.That(step.Ok, Is.InRange(4 * 3, 4 * 8));
        Assert.That(result.Timeline.Last().ActiveUsers, Is.Zero);
    }

    [Test]
    public async Task SharedIterations_RunsExactlyTheCountAcrossAllUsers()
    {
        var byUser = new ConcurrentDictionary<int, int>();
        var scenario = Scenario.Create("shared")
            .Step("take", async ctx =>
            {
                byUser.AddOrUpdate(ctx.UserIndex, 1, (_, n) => n + 1);
                await Task.Yield();
            })
            .WithLoad(Load.SharedIterations(users: 4, iterations: 1003))
            .Build();

        var result = await LoadRunner.RunAsync(scenario).WaitAsync(Bound);

        Assert.That(result.GetStep("take").Ok, Is.EqualTo(1003));
        Assert.That(byUser.Values.Sum(), Is.EqualTo(1003));
        Assert.That(byUser.Keys, Is.SubsetOf(new[] { 0, 1, 2, 3 }));
    }

    [Test]
    public async Task WarmUp_IsReportedApartAndKeptOutOfTheResult()
    {
        var scenario = Scenario.Create("warm")
            .Step("a", _ => ValueTask.CompletedTask)
            .WithWarmUp(Load.IterationsPerUser(2, 5))
            .WithLoad(Load.IterationsPerUser(2, 7))
            .Build();

        var result = (await LoadRunner.RunAsync(scenario).WaitAsync(Bound)).GetScenario("warm");

        Assert.That(result.GetStep("a").Ok, Is.EqualTo(14));
        Assert.That(result.WarmUp!.GetStep("a").Ok, Is.EqualTo(10));
        Assert.That(SummaryTable.Render(result), Does.Contain("warm-up (not in the table): 10 iterations"));
    }

    [Test]
    public async Task WarmUp_OfTheSameKind_ContinuesIntoTheLoadWithoutAGap()
    {
        var scenario = Scenario.Create("continuous")
            .Step("a", async ctx => await Task.Delay(20, ctx.CancellationToken))
            .WithWarmUp(Load.ConstantUsers(2, TimeSpan.FromSeconds(1)))
            .WithLoad(Load.ConstantUsers(2, TimeSpan.FromSeconds(1)))
            .Build();

        var result = (await LoadRunner.RunAsync(scenario).WaitAsync(Bound)).GetScenario("continuous");

        Assert.That(result.WarmUp!.GetStep("a").Ok, Is.InRange(40, 110));
        Assert.That(result.GetStep("a").Ok, Is.InRange(40, 110));
        Assert.That(result.Duration, Is.LessThan(TimeSpan.FromSeconds(2.5)));
    }

    [Test]
    public void Build_BadOpenAndClosedModelValues_ListsEachWithItsAllowedRange()
    {
        var builder = Scenario.Create("bad")
            .Step("a", _ => ValueTask.CompletedTask)
            .WithLoad(
                Load.ArrivalRate(0, TimeSpan.FromSeconds(5), preAllocatedUsers: 10, maxUsers: 5),
                Load.RampArrivalRate(-1, TimeSpan.Zero, 1, 1),
                Load.RampUsers(to: -2, during: TimeSpan.FromSeconds(1)),
                Load.ArrivalRate(5, TimeSpan.FromSeconds(5), 1, 1, per: TimeSpan.Zero));

        var exception = Assert.Throws<ScenarioValidationException>(() => builder.Build());

        Assert.That(exception.Problems.Select(p => p.ToString()), Is.EquivalentTo(new[]
        {
            "Load[0].Rate = 0: must be a finite number greater than 0",
            "Load[0].MaxUsers = 5 (< PreAllocatedUsers 10): must be at least PreAllocatedUsers",
            "Load[1].To = -1: must be a finite number, 0 or more",
            "Load[1].During = 0 s: must be longer than 0",
            "Load[2].To = -2: must be 0 or more",
            "Load[3].Per = 0 s: must be longer than 0",
        }));
    }

    /// <summary>Normally 1 ms; every request that arrives between 2 s and 3 s after the server started takes 1 s.</summary>
    private static TimeSpan StallFromTwoToThreeSeconds(TimeSpan sinceStart) =>
        sinceStart >= TimeSpan.FromSeconds(2) && sinceStart < TimeSpan.FromSeconds(3) ? TimeSpan.FromSeconds(1) : TimeSpan.FromMilliseconds(1);
}
