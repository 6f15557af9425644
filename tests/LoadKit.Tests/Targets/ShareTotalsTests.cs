using Google.Protobuf;
using LoadKit.Cluster.Protocol;
using LoadKit.Engine;
using LoadKit.Results;
using LoadKit.Stats;
using LoadKit.Targets;

namespace LoadKit.Tests.Targets;

public class ShareTotalsTests
{
    private static readonly DateTimeOffset Start = new(2026, 12, 3, 10, 0, 0, TimeSpan.Zero);

    /// <summary>
    /// A scenario's statistics as an engine keeps them, read at the end of each of <paramref name="seconds"/> seconds:
    /// three steps (one with HTTP status codes and a measurement), failures with a few messages, timeouts, cancellations,
    /// dropped and late iterations, scheduling lag.
    /// </summary>
    private static ScenarioResult[] Cumulative(int seconds, int seed)
    {
        var scenario = Scenario.Create("mix")
            .WithInit((_, _) => ValueTask.CompletedTask)
            .Step("browse", _ => ValueTask.CompletedTask)
            .Step("search", _ => ValueTask.CompletedTask)
            .Step("pay", _ => ValueTask.CompletedTask)
            .WithLoad(Load.ConstantUsers(1, TimeSpan.FromSeconds(1)))
            .Build();
        var stats = new ScenarioStats(scenario, new ActiveUsers(), isWarmUp: false, publishMetrics: false);
        var random = new Random(seed);
        var results = new ScenarioResult[seconds];
        for (var second = 0; second < seconds; second++)
        {
            for (var call = random.Next(50, 150); call > 0; call--)
            {
                var index = random.Next(3);
                var step = stats.Steps[index];
                var micros = (long)Math.Exp(random.NextDouble() * 14) + 1;
                var outcome = random.Next(100) switch
                {
                    < 85 => Outcome.Ok,
                    < 95 => Outcome.Failed,
                    < 98 => Outcome.TimedOut,
                    _ => Outcome.Cancelled,
                };
                step.Record(outcome, micros, micros + random.Next(0, 2000));
                if (outcome == Outcome.Failed)
                {
                    step.RecordError($"boom {random.Next(3)}");
                }

                if (index == 0)
                {
                    step.RecordHttp(random.Next(4) == 0 ? 503 : 200, 10, random.Next(100, 5000), micros / 2 + 1);
                    step.Measurements!.Get("lcp").Record(Outcome.Ok, micros * 3);
                }

                stats.Iterations.Record(outcome, micros * 2);
                stats.Gauges.Lag.Record(Outcome.Ok, random.Next(1, 3000));
                if (random.Next(40) == 0)
                {
                    stats.Gauges.IterationDropped();
                }

                if (random.Next(60) == 0)
                {
                    stats.Gauges.IterationLate();
                }
            }

            if (second == 0)
            {
                stats.Init!.Record(Outcome.Ok, 1234);
            }

            foreach (var source in stats.IntervalSources)
            {
                source.CollectInterval(second);
            }

            results[second] = stats.ToResult("mix", Start, TimeSpan.FromSeconds(second + 1), 10, 0, null);
        }

        return results;
    }

    /// <summary>What a worker sends: each snapshot's interval since the previous one, through protobuf as on the wire.</summary>
    /// <summary>The snapshots a process sends at <paramref name="snapshotAt"/>, each with the health samples of its new seconds.</summary>
    private static List<LoadResult> Intervals(ScenarioResult[] cumulative, IEnumerable<int> snapshotAt, string process = "worker-a")
    {
        var intervals = new List<LoadResult>();
        ScenarioResult? sent = null;
        var sentThrough = -1;
        foreach (var at in snapshotAt)
        {
            var interval = ResultDelta.Since(sent, cumulative[at], sentThrough + 1);
            var health = new GeneratorHealth(process, 2, [.. Enumerable.Range(sentThrough + 1, cumulative[at].Timeline[^1].Second - sentThrough).Select(Health)]);
            sent = cumulative[at];
            sentThrough = cumulative[at].Timeline[^1].Second;
            var message = SnapshotEncoding.ToMessage(new LoadResult(Start, Start + cumulative[at].Duration, false, [interval]) { Generators = [health] });
            intervals.Add(SnapshotEncoding.FromMessage(ShareInterval.Parser.ParseFrom(message.ToByteArray())));
        }

        return intervals;
    }

    /// <summary>The number of points of each timeline of <paramref name="scenario"/> that has any.</summary>
    private static IEnumerable<int> Timelines(ScenarioResult scenario) =>
        new[] { scenario.Iterations, scenario.Init, scenario.Cleanup }.Concat(scenario.Steps).Concat(scenario.Tasks).Concat(scenario.PreWork).Concat(scenario.Measurements)
            .OfType<StepStats>().Select(s => s.Timeline.Count).Prepend(scenario.Timeline.Count).Where(c => c > 0);

    private static HealthSample Health(int second) =>
        new(second, 10 + second % 7 * 0.5, 100_000_000 + second * 4096L, second % 5, second % 3, second % 11 == 0 ? 1 : 0, TimeSpan.FromMicroseconds(second * 13), second % 4);

    private static int[] SnapshotSeconds(int seconds, int seed)
    {
        var random = new Random(seed);
        var at = new List<int>();
        for (var s = random.Next(3); s < seconds - 1; s += random.Next(1, 4))
        {
            at.Add(s);
        }

        return [.. at, seconds - 1];
    }

    private static string Json(IReadOnlyList<ScenarioResult> scenarios) => new LoadResult(Start, Start, false, scenarios).ToJson();

    [TestCase(1)]
    [TestCase(2)]
    [TestCase(3)]
    public void Add_EveryIntervalOfARun_GivesTheWholeResultExactly(int seed)
    {
        var cumulative = Cumulative(60, seed);
        var totals = new ShareTotals();

        foreach (var interval in Intervals(cumulative, SnapshotSeconds(60, seed)))
        {
            totals.Add(interval);
        }

        var result = totals.ToResult();
        Assert.That(Json(result.Scenarios), Is.EqualTo(Json([cumulative[^1]])), "counts, histograms, errors, status codes, measurements and every point");
        Assert.That(result.GetStep("pay").Timeline.Select(p => p.Second), Is.EqualTo(Enumerable.Range(0, 60)));
        Assert.That(totals.LastSecond, Is.EqualTo(59));
    }

    [Test]
    public void Add_ReadAtRandomSnapshots_TotalsAreExactAtEveryRead()
    {
        // The totals add snapshots in batches (of 31, or whatever arrived since the last read): reads at random
        // snapshots give batches of every size, and each read must show everything added until then.
        var cumulative = Cumulative(240, 12);
        var at = SnapshotSeconds(240, 12);
        var intervals = Intervals(cumulative, at);
        using var totals = new ShareTotals();
        var random = new Random(12);
        var reads = 0;
        for (var i = 0; i < intervals.Count; i++)
        {
            totals.Add(intervals[i]);
            if (random.Next(6) == 0)
            {
                var current = totals.Current(at[i]).Single();
                Assert.That(Json([ResultDelta.WithoutTimelines(current)]), Is.EqualTo(Json([ResultDelta.WithoutTimelines(cumulative[at[i]])])), $"totals read at snapshot {i}");
                reads++;
            }
        }

        Assert.That(Json(totals.ToResult().Scenarios), Is.EqualTo(Json([cumulative[^1]])));
        Assert.That(intervals.Count, Is.GreaterThan(2 * 31), "more snapshots than two whole batches");
        Assert.That(reads, Is.GreaterThan(5));
    }

    [Test]
    public void Add_UpToALostWorkersLastSnapshot_IsExactlyItsResultThen()
    {
        var cumulative = Cumulative(40, 4);
        var at = SnapshotSeconds(40, 4);
        var lastArrived = at.Length / 2;
        var totals = new ShareTotals();

        foreach (var interval in Intervals(cumulative, at).Take(lastArrived + 1))
        {
            totals.Add(interval);
        }

        Assert.That(Json(totals.ToResult().Scenarios), Is.EqualTo(Json([cumulative[at[lastArrived]]])));
    }

    [Test]
    public void Add_ASnapshotThatNeverArrived_LosesOnlyItsIntervalAndItsSeconds()
    {
        var cumulative = Cumulative(40, 5);
        var at = SnapshotSeconds(40, 5);
        var intervals = Intervals(cumulative, at);
        var missing = intervals.Count / 2;
        var totals = new ShareTotals();

        foreach (var interval in intervals.Where((_, i) => i != missing))
        {
            totals.Add(interval);
        }

        var result = totals.ToResult().GetScenario("mix");
        var whole = cumulative[^1];
        var lost = intervals[missing].GetScenario("mix");
        Assert.That(result.GetStep("browse").Ok, Is.EqualTo(whole.GetStep("browse").Ok - lost.GetStep("browse").Ok));
        Assert.That(result.GetStep("browse").Latency.Count, Is.EqualTo(whole.GetStep("browse").Latency.Count - lost.GetStep("browse").Latency.Count));
        Assert.That(result.GetStep("browse").Http!.Count(503), Is.EqualTo(whole.GetStep("browse").Http!.Count(503) - lost.GetStep("browse").Http!.Count(503)));
        Assert.That(result.Iterations.Failed, Is.EqualTo(whole.Iterations.Failed - lost.Iterations.Failed));
        Assert.That(result.Dropped, Is.EqualTo(whole.Dropped - lost.Dropped));
        Assert.That(result.GetStep("pay").Timeline.Select(p => p.Second),
            Is.EqualTo(Enumerable.Range(0, 40).Except(lost.GetStep("pay").Timeline.Select(p => p.Second))), "a gap exactly where the lost snapshot's seconds were");
        Assert.That(lost.GetStep("pay").Timeline, Is.Not.Empty);
    }

    [Test]
    public void Current_TwoSources_ShowsTheSecondBothSentWithBothRates()
    {
        var first = Cumulative(10, 6);
        var second = Cumulative(10, 7);
        var live = new ShareTotals();
        foreach (var (interval, source) in Intervals(first, [2, 5, 9]).Select(i => (i, 0)).Concat(Intervals(second, [4, 8]).Select(i => (i, 1))))
        {
            live.Add(interval, source);
        }

        var current = live.Current(8).Single();

        var pay = current.GetStep("pay");
        Assert.That(pay.Timeline.Select(p => p.Second), Is.EqualTo(new[] { 0, 1, 2, 8 }), "the first seconds, then the current one");
        Assert.That(pay.Timeline[^1].Ok, Is.EqualTo(first[9].GetStep("pay").Timeline[8].Ok + second[9].GetStep("pay").Timeline[8].Ok), "both sources' calls of second 8");
        Assert.That(pay.Ok, Is.EqualTo(first[9].GetStep("pay").Ok + second[8].GetStep("pay").Ok), "totals of all that arrived");
        Assert.That(current.Users, Is.EqualTo(20), "each source's latest users, added up");
        Assert.That(live.LastSecond, Is.EqualTo(9));
    }

    [Test]
    public void Current_TotalsThatKeepRecentSeconds_ShowTheLatestSecondAndTheFirstOnesButNotForgottenOnes()
    {
        var cumulative = Cumulative(60, 8);
        var whole = new ShareTotals();
        var live = new ShareTotals(recentSeconds: 10);
        foreach (var interval in Intervals(cumulative, SnapshotSeconds(60, 8)))
        {
            whole.Add(interval);
            live.Add(interval);
        }

        Assert.That(Json(live.Current(59)), Is.EqualTo(Json(whole.Current(59))), "totals, the first seconds and the latest, as whole totals show them");
        Assert.That(live.Current(52).Single().GetStep("pay").Timeline.Select(p => p.Second), Is.EqualTo(new[] { 0, 1, 2, 52 }), "a second within the last 10");
        Assert.That(live.Current(30).Single().GetStep("pay").Timeline.Select(p => p.Second), Is.EqualTo(new[] { 0, 1, 2 }), "second 30 is forgotten");
        Assert.That(whole.Current(30).Single().GetStep("pay").Timeline.Select(p => p.Second), Is.EqualTo(new[] { 0, 1, 2, 30 }));
        var result = whole.ToResult();
        var timelines = Timelines(result.Scenarios.Single()).Append(result.Generators.Single().Samples.Count).ToArray();
        Assert.That(whole.PointsInMemory, Is.EqualTo(timelines.Sum()), "whole totals of a minute keep every second's");
        Assert.That(live.PointsInMemory, Is.LessThanOrEqualTo(timelines.Length * (3 + 10 + 1 + 3)),
            "live totals keep, of each timeline and the health samples, the first 3 seconds, the last 10 and those of a snapshot");
        Assert.That(() => live.ToResult(), Throws.InvalidOperationException.With.Message.Contain("recentSeconds = 10"));
        Assert.That(() => new ShareTotals(recentSeconds: 0), Throws.InstanceOf<ArgumentOutOfRangeException>().With.Message.Contain("recentSeconds"));
    }

    [Test]
    public void Add_ALongRun_KeepsOnlyItsLatestSecondsInMemory_AndTheWholeResultIsExact()
    {
        var cumulative = Cumulative(300, 9);
        using var totals = new ShareTotals(keptSeconds: 5, movedSeconds: 10);
        var mostInMemory = 0;
        foreach (var interval in Intervals(cumulative, SnapshotSeconds(300, 9)))
        {
            totals.Add(interval);
            mostInMemory = Math.Max(mostInMemory, totals.PointsInMemory);
        }

        var result = totals.ToResult();
        Assert.That(Json(result.Scenarios), Is.EqualTo(Json([cumulative[^1]])), "every point, read back from the file");
        Assert.That(result.Generators.Single().Samples, Is.EqualTo(Enumerable.Range(0, 300).Select(Health)), "every health sample, read back from the file");
        // Each timeline and the health samples: at most 3 first + 5 kept + 10 batched + 3 per snapshot seconds.
        Assert.That(mostInMemory, Is.LessThanOrEqualTo((Timelines(result.Scenarios.Single()).Count() + 1) * (3 + 5 + 10 + 3)), "points in memory at any time");
        Assert.That(mostInMemory, Is.GreaterThan(0));
    }

    [Test]
    public void Add_ASourceWhosePointsComeAfterTheirSecondsMovedToTheFile_AddsThemUpExactly()
    {
        var first = Intervals(Cumulative(120, 10), SnapshotSeconds(120, 10));
        var late = Intervals(Cumulative(120, 11), SnapshotSeconds(120, 11), process: "worker-b");
        using var moving = new ShareTotals(keptSeconds: 5, movedSeconds: 10);
        using var inMemory = new ShareTotals(keptSeconds: 1_000_000, movedSeconds: 1);

        // The second source's snapshots all arrive after the first source's last: their seconds were moved long before.
        foreach (var (interval, source) in first.Select(i => (i, 0)).Concat(late.Select(i => (i, 1))))
        {
            moving.Add(interval, source);
            inMemory.Add(interval, source);
        }

        var result = moving.ToResult();
        Assert.That(Json(result.Scenarios), Is.EqualTo(Json(inMemory.ToResult().Scenarios)));
        Assert.That(result.Generators.Select(g => (g.Process, g.Samples.Count)), Is.EqualTo(new[] { ("worker-a", 120), ("worker-b", 120) }), "each process's samples, once per second");
        Assert.That(result.Generators[1].Samples, Is.EqualTo(Enumerable.Range(0, 120).Select(Health)));
        Assert.That(result.GetStep("pay").Timeline.Sum(p => p.Ok), Is.EqualTo(result.GetStep("pay").Ok), "each second's calls of both sources");
        Assert.That(result.GetStep("pay").Timeline.Select(p => p.Second), Is.EqualTo(Enumerable.Range(0, 120)));
    }
}
