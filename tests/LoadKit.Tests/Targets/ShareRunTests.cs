using System.Diagnostics;
using LoadKit.Targets;

namespace LoadKit.Tests.Targets;

public class ShareRunTests
{
    [TestCase(400, 2 * 200 + 400, TestName = "TakeOverInsideAnIterationsBlock_AllItsIterations_RunsThemAll")]
    [TestCase(250, 2 * 200 + 250, TestName = "TakeOverInsideAnIterationsBlock_SomeIterations_RunsExactlyThose")]
    public async Task TakeOverInsideAnIterationsBlock_RunsTheCountItIsSent(long iterations, long expected)
    {
        var scenario = Scenario.Create("counted")
            .Step("a", async ctx => await Task.Delay(5, ctx.CancellationToken))
            .WithLoad(Load.IterationsPerUser(4, 200))
            .Build();
        var segments = LoadSegments.Equal(2);
        var run = new ShareRun(RunOptions.Default.Plan([scenario]), segments, 0);
        var running = run.RunAsync(Stopwatch.GetTimestamp(), DateTimeOffset.UtcNow, CancellationToken.None);
        var takeOver = new SegmentTakeOver(1, segments.Segment(1).Cut(0, 1), TimeSpan.FromMilliseconds(100), [new ScenarioIterations("counted", 0, iterations)]);

        Assert.That(run.TakeOver(takeOver, CancellationToken.None), Is.True);
        var result = await running.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.That(result.GetStep("a").Ok, Is.EqualTo(expected), "the own share's 2 VUs × 200 iterations, and the count it was sent");
        Assert.That(result.GetScenario("counted").Iterations.Ok, Is.EqualTo(expected));
        Assert.That(run.FinalProgress(), Is.EquivalentTo(new[] { new ScenarioProgress("counted", 0, 0, 400), new ScenarioProgress("counted", 1, 0, iterations) }),
            "each part's progress under its take-over's id");
    }

    [Test]
    public async Task TakeOver_APartOfAPartAfterTheRunEnded_IsNotRun()
    {
        var scenario = Scenario.Create("brief")
            .Step("a", _ => ValueTask.CompletedTask)
            .WithLoad(Load.IterationsPerUser(1, 1))
            .Build();
        var segments = LoadSegments.Equal(2);
        var run = new ShareRun(RunOptions.Default.Plan([scenario]), segments, 0);
        await run.RunAsync(Stopwatch.GetTimestamp(), DateTimeOffset.UtcNow, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30));

        Assert.That(run.TakeOver(new SegmentTakeOver(4, segments.Segment(1).Cut(1, 2).Cut(0, 3), TimeSpan.Zero, []), CancellationToken.None), Is.False);
        Assert.That(run.FinalProgress().Select(p => p.TakeOverId), Is.All.Zero);
    }

    [Test]
    public void TakeOver_APartOfOtherSegments_IsRefusedNamingBoth()
    {
        var plan = RunOptions.Default.Plan([Scenario.Create("brief").Step("a", _ => ValueTask.CompletedTask).WithLoad(Load.IterationsPerUser(1, 1)).Build()]);
        var run = new ShareRun(plan, LoadSegments.Equal(2), 0);

        Assert.That(() => run.TakeOver(new SegmentTakeOver(1, LoadSegments.Equal(3).Segment(1), TimeSpan.Zero, [])),
            Throws.ArgumentException.With.Message.StartWith("take-over part = segment 2 of 3 (1/3, 2/3] of segments 0,1/3,2/3,1: allowed a part of segments 0,1/2,1"));
    }

    [Test]
    public void TakeOver_ACountForABlockNotUnderWay_IsRefusedNamingIt()
    {
        var plan = RunOptions.Default.Plan([Scenario.Create("brief").Step("a", _ => ValueTask.CompletedTask).WithLoad(Load.IterationsPerUser(1, 1)).Build()]);
        var segments = LoadSegments.Equal(2);
        var run = new ShareRun(plan, segments, 0);

        Assert.That(() => run.TakeOver(new SegmentTakeOver(1, segments.Segment(1), TimeSpan.Zero, [new ScenarioIterations("brief", 1, 5)])),
            Throws.ArgumentException.With.Message.StartWith("take-over iterations = 5 of block 1 of scenario 'brief' at 0 ms: allowed only a count from 0"));
    }

    [Test]
    public async Task TakeSnapshot_WhileRunning_SendsEachHealthSampleOnce()
    {
        var scenario = Scenario.Create("steady")
            .Step("a", async ctx => await Task.Delay(5, ctx.CancellationToken))
            .WithLoad(Load.ConstantUsers(2, TimeSpan.FromSeconds(2.6)))
            .Build();
        var run = new ShareRun(RunOptions.Default.Plan([scenario]), LoadSegments.Equal(1), 0);
        var running = run.RunAsync(Stopwatch.GetTimestamp(), DateTimeOffset.UtcNow, CancellationToken.None);
        var sent = new List<HealthSample>();

        // As the worker's sender does, only more often: each snapshot carries the samples no earlier one carried.
        var clock = Stopwatch.StartNew();
        while (!running.IsCompleted && clock.Elapsed < TimeSpan.FromSeconds(30))
        {
            sent.AddRange(run.TakeSnapshot().Result.Generators.Single().Samples);
            await Task.WhenAny(running, Task.Delay(300));
        }

        var final = await running.WaitAsync(TimeSpan.FromSeconds(30));
        sent.AddRange(final.Generators.Single().Samples);

        TestContext.Out.WriteLine(string.Join(", ", sent.Select(s => $"{s.Second}: {s.CpuPercent} %")));
        Assert.That(sent.Select(s => s.Second), Is.Unique.And.Ordered.Ascending);
        Assert.That(sent, Has.Count.InRange(1, 4), "about one a second of a 2.6 s run");
        Assert.That(final.Generators.Single().Process, Does.Contain($"pid {Environment.ProcessId}"));
    }

    [Test]
    public async Task RunAsync_EverySegmentMerged_CountsThePlannedIterationsOnce()
    {
        var scenario = Scenario.Create("counted").Step("a", _ => ValueTask.CompletedTask).WithLoad(Load.SharedIterations(3, 100, TimeSpan.FromSeconds(30))).Build();
        var plan = RunOptions.Default.Plan([scenario]);
        var segments = LoadSegments.Equal(3);
        var start = Stopwatch.GetTimestamp();

        var shares = await Task.WhenAll(Enumerable.Range(0, 3).Select(i => new ShareRun(plan, segments, i).RunAsync(start, cancellationToken: CancellationToken.None))).WaitAsync(TimeSpan.FromSeconds(30));
        var merged = ShareResults.Merge(shares, DateTimeOffset.UtcNow, DateTimeOffset.UtcNow, cancelled: false);

        Assert.That(shares.Select(s => s.GetStep("a").Ok), Is.All.InRange(1, 99), "each segment ran a part");
        Assert.That(merged.GetStep("a").Ok, Is.EqualTo(100));
        Assert.That(merged.Generators, Has.Count.EqualTo(3), "each share's health stays its own");
    }

    [Test]
    public async Task RunAsync_Twice_Throws()
    {
        var scenario = Scenario.Create("once").Step("a", _ => ValueTask.CompletedTask).WithLoad(Load.IterationsPerUser(1, 1, TimeSpan.FromSeconds(30))).Build();
        var run = new ShareRun(RunOptions.Default.Plan([scenario]), LoadSegments.Equal(1), 0);
        await run.RunAsync(0, cancellationToken: CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30));

        Assert.That(() => run.RunAsync(0, cancellationToken: CancellationToken.None), Throws.InvalidOperationException.With.Message.Contain("a share runs once"));
    }

    [Test]
    public void Constructor_SegmentIndexOutsideTheSegments_NamesWhatIsAllowed()
    {
        var plan = RunOptions.Default.Plan([Scenario.Create("s").Step("a", _ => ValueTask.CompletedTask).WithLoad(Load.ConstantUsers(1, TimeSpan.FromSeconds(1))).Build()]);

        Assert.That(() => new ShareRun(plan, LoadSegments.Equal(2), 2),
            Throws.TypeOf<ArgumentOutOfRangeException>().With.Message.Contain("segment index = 2: allowed 0 to 1 for segments 0,1/2,1"));
    }
}
