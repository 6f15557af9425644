using System.Collections.Concurrent;
using System.Diagnostics;
using LoadKit.Engine;
using LoadKit.Workload;

namespace LoadKit.Tests.Engine;

/// <summary>
/// An engine that resumes a plan part-way (taking over a lost process's segment) runs exactly what remains of it,
/// with the state the plan has at that instant and the original run's seconds.
/// </summary>
public class ResumeTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(60);

    [Test]
    public async Task RunAsync_ArrivalRateResumedHalfWay_RunsExactlyTheRemainingIterationsInTheRemainingTime()
    {
        var scenario = Scenario.Create("rate")
            .Step("a", _ => ValueTask.CompletedTask)
            .WithLoad(Load.ArrivalRate(200, TimeSpan.FromSeconds(4), preAllocatedUsers: 5, maxUsers: 50))
            .Build();
        var plan = RunPlan.LoadOf(scenario, LoadProfile.Full, 1);
        var block = (ArrivalBlock)plan.Blocks.Single();
        var expected = block.TotalIterations - block.FirstAtOrAfter(TimeSpan.FromSeconds(2));

        var result = await new ScenarioEngine(scenario, plan, SegmentShare.Whole, TimeSpan.FromSeconds(2)).RunAsync(CancellationToken.None).WaitAsync(Bound);

        Assert.That(expected, Is.InRange(399, 401));
        Assert.That(result.Iterations.Completed + result.Iterations.Cancelled + result.Dropped, Is.EqualTo(expected));
        Assert.That(result.Dropped, Is.Zero);
        Assert.That(result.WarmUp, Is.Null);
        // The last iteration is due at 3.995 s of the plan: just under 2 s after the resume.
        Assert.That(result.Duration, Is.InRange(TimeSpan.FromSeconds(1.9), TimeSpan.FromSeconds(3.5)));
        Assert.That(result.Timeline[0].Second, Is.EqualTo(2));
        Assert.That(result.Timeline.Select(p => p.Second), Is.EqualTo(Enumerable.Range(2, result.Timeline.Count)));
        Assert.That(result.GetStep("a").Timeline[0].Second, Is.EqualTo(2));
    }

    [Test]
    public async Task RunAsync_RampResumedPartWay_StartsTheUsersRunningThenAtOnceThenFollowsTheRamp()
    {
        var firstStart = new ConcurrentDictionary<int, long>();
        var inits = 0;
        var scenario = Scenario.Create("ramp")
            .WithInit((_, _) =>
            {
                Interlocked.Increment(ref inits);
                return ValueTask.CompletedTask;
            })
            .Step("a", async ctx =>
            {
                firstStart.TryAdd(ctx.UserIndex, Stopwatch.GetTimestamp());
                await Task.Delay(10, ctx.CancellationToken);
            })
            .WithLoad(Load.RampUsers(to: 10, during: TimeSpan.FromSeconds(2)), Load.ConstantUsers(10, TimeSpan.FromSeconds(2)))
            .Build();
        var plan = RunPlan.LoadOf(scenario, LoadProfile.Full, 1);
        var engine = new ScenarioEngine(scenario, plan, SegmentShare.Whole, TimeSpan.FromSeconds(1));
        var before = Stopwatch.GetTimestamp();

        var result = await engine.RunAsync(CancellationToken.None).WaitAsync(Bound);

        // At 1 s the ramp has started VUs 0-4 (one every 0.2 s); VU 5 is due at 1.2 s and VU 9 at 2 s.
        var startedAt = firstStart.ToDictionary(p => p.Key, p => Stopwatch.GetElapsedTime(before, p.Value));
        TestContext.Out.WriteLine(string.Join(", ", startedAt.OrderBy(p => p.Key).Select(p => $"{p.Key}: {p.Value.TotalMilliseconds:0} ms")));
        Assert.That(startedAt.Keys, Is.EquivalentTo(Enumerable.Range(0, 10)));
        Assert.That(inits, Is.EqualTo(10), "no VU started for a past event only to stop again");
        Assert.That(Enumerable.Range(0, 5).Max(u => startedAt[u]), Is.LessThan(Enumerable.Range(5, 5).Min(u => startedAt[u])));
        Assert.That(startedAt[5], Is.GreaterThanOrEqualTo(TimeSpan.FromSeconds(0.2)));
        Assert.That(startedAt[9], Is.GreaterThanOrEqualTo(TimeSpan.FromSeconds(1)));
        // Second 2 ends at 3 s of the plan, inside the plateau.
        Assert.That(result.Timeline.Single(p => p.Second == 2).ActiveUsers, Is.EqualTo(10));
        Assert.That(result.Timeline[0].Second, Is.EqualTo(1));
        Assert.That(result.PeakUsers, Is.EqualTo(10));
        Assert.That(result.Users, Is.EqualTo(10));
        Assert.That(result.Duration, Is.InRange(TimeSpan.FromSeconds(2.9), TimeSpan.FromSeconds(4.5)));
    }

    [Test]
    public async Task RunAsync_ResumedPastTheWarmUp_EverythingIsMeasured()
    {
        var scenario = Scenario.Create("warm")
            .Step("a", async ctx => await Task.Delay(10, ctx.CancellationToken))
            .WithWarmUp(Load.ConstantUsers(4, TimeSpan.FromSeconds(1)))
            .WithLoad(Load.ConstantUsers(2, TimeSpan.FromSeconds(2)))
            .Build();

        var result = await new ScenarioEngine(scenario, RunPlan.LoadOf(scenario, LoadProfile.Full, 1), SegmentShare.Whole, TimeSpan.FromSeconds(1.5))
            .RunAsync(CancellationToken.None).WaitAsync(Bound);

        Assert.That(result.WarmUp, Is.Null);
        Assert.That(result.GetStep("a").Ok, Is.GreaterThan(20));
        Assert.That(result.Users, Is.EqualTo(2));
        Assert.That(result.PeakUsers, Is.EqualTo(2));
        Assert.That(result.Duration, Is.InRange(TimeSpan.FromSeconds(1.4), TimeSpan.FromSeconds(3)));
    }

    [Test]
    public async Task RunAsync_LostSegmentResumedBySurvivors_TogetherRunExactlyItsRemainingArrivals()
    {
        var scenario = Scenario.Create("rate")
            .Step("a", _ => ValueTask.CompletedTask)
            .WithLoad(Load.ArrivalRate(300, TimeSpan.FromSeconds(3), preAllocatedUsers: 6, maxUsers: 60))
            .Build();
        var plan = RunPlan.LoadOf(scenario, LoadProfile.Full, 1);
        var block = (ArrivalBlock)plan.Blocks.Single();
        var resumeAt = TimeSpan.FromSeconds(1.3);
        var lost = SegmentSequence.Equal(3).Share(1);
        var parts = Enumerable.Range(0, 2).Select(j => SegmentSequence.Equal(2).Share(j).Within(lost)).ToArray();
        var first = block.FirstAtOrAfter(resumeAt);

        var results = await Task.WhenAll(parts.Select(part => new ScenarioEngine(scenario, plan, part, resumeAt).RunAsync(CancellationToken.None))).WaitAsync(Bound);

        var remaining = lost.CountOwned(block.TotalIterations) - lost.CountOwned(first);
        Assert.That(remaining, Is.InRange(168, 172), "a third of the 510 iterations from 1.3 s on");
        Assert.That(results.Sum(r => r.Iterations.Completed + r.Iterations.Cancelled + r.Dropped), Is.EqualTo(remaining));
        for (var j = 0; j < 2; j++)
        {
            Assert.That(
                results[j].Iterations.Completed + results[j].Iterations.Cancelled + results[j].Dropped,
                Is.EqualTo(parts[j].CountOwned(block.TotalIterations) - parts[j].CountOwned(first)),
                parts[j].ToString());
        }
    }

    [Test]
    public async Task RunAsync_ResumedInsideSharedIterationsWithACount_RunsExactlyThatCount()
    {
        var scenario = Scenario.Create("shared")
            .Step("a", async ctx => await Task.Delay(2, ctx.CancellationToken))
            .WithLoad(Load.SharedIterations(4, 1000, maxDuration: TimeSpan.FromSeconds(20)))
            .Build();
        var plan = RunPlan.LoadOf(scenario, LoadProfile.Full, 1);
        IterationProgress last = default;

        var result = await new ScenarioEngine(scenario, plan, SegmentShare.Whole, TimeSpan.FromSeconds(1), (_, p) => last = p, resumedIterations: 377)
            .RunAsync(CancellationToken.None).WaitAsync(Bound);

        Assert.That(result.Iterations.Completed + result.Iterations.Cancelled, Is.EqualTo(377));
        Assert.That(result.GetStep("a").Ok, Is.EqualTo(377));
        Assert.That(last, Is.EqualTo(new IterationProgress(0, 377)), "the final report counts the block's iterations in the final statistics");
        Assert.That(ScenarioEngine.IterationBlockUnderWay(plan, TimeSpan.FromSeconds(1)), Is.EqualTo((0, (IterationsBlock)plan.Blocks[0])));
        Assert.That(ScenarioEngine.IterationBlockUnderWay(plan, TimeSpan.Zero), Is.Null, "at its start a block is not under way");
    }

    [Test]
    public async Task RunAsync_ResumedInsideIterationsPerUserWithACount_RunsThatCountSharedByItsUsers()
    {
        var users = new ConcurrentDictionary<int, int>();
        var scenario = Scenario.Create("per user")
            .Step("a", async ctx =>
            {
                users.AddOrUpdate(ctx.UserIndex, 1, (_, n) => n + 1);
                await Task.Delay(2, ctx.CancellationToken);
            })
            .WithLoad(Load.IterationsPerUser(3, 50, maxDuration: TimeSpan.FromSeconds(20)))
            .Build();

        var result = await new ScenarioEngine(scenario, RunPlan.LoadOf(scenario, LoadProfile.Full, 1), SegmentShare.Whole, TimeSpan.FromSeconds(1), resumedIterations: 100)
            .RunAsync(CancellationToken.None).WaitAsync(Bound);

        Assert.That(result.GetStep("a").Ok, Is.EqualTo(100), "the remaining total, not 50 per VU");
        Assert.That(users.Keys, Is.EquivalentTo(new[] { 0, 1, 2 }));
    }

    [Test]
    public async Task RunAsync_ResumedInsideAnIterationsBlockWithoutACount_RunsItsWholeShareThenTheNextBlock()
    {
        var calls = 0;
        var users = new ConcurrentDictionary<int, bool>();
        var scenario = Scenario.Create("mixed")
            .Step("a", async ctx =>
            {
                Interlocked.Increment(ref calls);
                users.TryAdd(ctx.UserIndex, true);
                await Task.Delay(10, ctx.CancellationToken);
            })
            .WithLoad(
                Load.ConstantUsers(3, TimeSpan.FromSeconds(1)),
                Load.IterationsPerUser(3, 5, maxDuration: TimeSpan.FromSeconds(2)),
                Load.ConstantUsers(1, TimeSpan.FromSeconds(1)))
            .Build();
        var plan = RunPlan.LoadOf(scenario, LoadProfile.Full, 1);
        var progress = new ConcurrentQueue<IterationProgress>();

        var result = await new ScenarioEngine(scenario, plan, SegmentShare.Whole, TimeSpan.FromSeconds(1.5), (_, p) => progress.Enqueue(p))
            .RunAsync(CancellationToken.None).WaitAsync(Bound);

        Assert.That(users.Keys, Is.EquivalentTo(new[] { 0, 1, 2 }));
        Assert.That(result.GetStep("a").Ok, Is.InRange(15 + 20, 15 + 110), "3 x 5, then one VU for a second");
        Assert.That(progress.Last(), Is.EqualTo(new IterationProgress(1, 15)), "block 1 is the last iteration-counted one started");
        Assert.That(result.Duration, Is.InRange(TimeSpan.FromSeconds(0.9), TimeSpan.FromSeconds(2.5)));
    }

    [Test]
    public async Task RunAsync_ResumedInsideAnIterationsBlock_ItsMaxDurationCountsFromTheOriginalStart()
    {
        var scenario = Scenario.Create("bounded")
            .Step("a", async ctx => await Task.Delay(10, ctx.CancellationToken))
            .WithLoad(Load.SharedIterations(2, 1_000_000, maxDuration: TimeSpan.FromSeconds(2)))
            .WithGracefulStop(TimeSpan.FromSeconds(1))
            .Build();

        var result = await new ScenarioEngine(scenario, RunPlan.LoadOf(scenario, LoadProfile.Full, 1), SegmentShare.Whole, TimeSpan.FromSeconds(1.5), resumedIterations: 1_000_000)
            .RunAsync(CancellationToken.None).WaitAsync(Bound);

        Assert.That(result.Duration, Is.InRange(TimeSpan.FromSeconds(0.45), TimeSpan.FromSeconds(1.5)), "2 s from a start 1.5 s ago");
        Assert.That(result.GetStep("a").Ok, Is.InRange(20, 110));
    }

    [Test]
    public async Task RunAsync_IterationsBlock_EachReportCountsExactlyTheIterationsInItsStatistics()
    {
        var scenario = Scenario.Create("reports")
            .Step("a", async ctx => await Task.Delay(1, ctx.CancellationToken))
            .WithPacing(TimeSpan.FromMilliseconds(4))
            .WithLoad(Load.ConstantUsers(2, TimeSpan.FromSeconds(1)), Load.SharedIterations(4, 2500, maxDuration: TimeSpan.FromSeconds(20)))
            .Build();
        var reports = new ConcurrentQueue<(long Iterations, long Steps, IterationProgress Progress)>();

        var result = await new ScenarioEngine(
                scenario,
                RunPlan.LoadOf(scenario, LoadProfile.Full, 1),
                SegmentShare.Whole,
                onSnapshot: (r, p) => reports.Enqueue((r.Iterations.Completed + r.Iterations.Cancelled, r.GetStep("a").Completed + r.GetStep("a").Cancelled, p)))
            .RunAsync(CancellationToken.None).WaitAsync(Bound);

        var usersBlock = reports.Where(r => r.Progress.Block == -1).Select(r => r.Iterations).DefaultIfEmpty().Max();
        var inBlock = reports.Where(r => r.Progress.Block == 1).ToArray();
        TestContext.Out.WriteLine(string.Join(", ", reports.Select(r => $"{r.Iterations}/{r.Progress}")));
        Assert.That(inBlock.Length, Is.GreaterThanOrEqualTo(2), "reports while the block runs (at least 2.5 s, paced), and the final one");
        var baseline = result.Iterations.Completed + result.Iterations.Cancelled - 2500;
        Assert.That(inBlock.Select(r => r.Iterations - r.Progress.Completed), Is.All.EqualTo(baseline), "the block's count is the statistics' count less the earlier blocks'");
        Assert.That(inBlock[^1].Progress.Completed, Is.EqualTo(2500));
        Assert.That(usersBlock, Is.LessThanOrEqualTo(baseline));
        Assert.That(reports.Select(r => r.Steps - r.Iterations), Is.All.Zero, "a one-step iteration and its step land in the same interval");
    }
}
