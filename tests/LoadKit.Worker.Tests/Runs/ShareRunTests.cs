using System.Diagnostics;
using LoadKit.Cluster.Protocol;
using LoadKit.Worker.Runs;
using LoadKit.Workload;

namespace LoadKit.Worker.Tests.Runs;

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
        var sequence = SegmentSequence.Equal(2);
        var run = new ShareRun(RunOptions.Default.Plan([scenario]), sequence, 0);
        var running = run.Start(Stopwatch.GetTimestamp(), DateTimeOffset.UtcNow, CancellationToken.None);
        var takeOver = new TakeOver
        {
            LostSegmentIndex = 1,
            Cuts = { new SegmentCut { PartIndex = 0, PartCount = 1 } },
            ResumeAtMs = 100,
            TakeOverId = 1,
            Iterations = { new BlockIterations { Scenario = "counted", BlockIndex = 0, Iterations = iterations } },
        };

        Assert.That(run.TakeOver(takeOver, CancellationToken.None), Is.True);
        var result = await running.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.That(result.GetStep("a").Ok, Is.EqualTo(expected), "the own share's 2 VUs × 200 iterations, and the count it was sent");
        Assert.That(result.GetScenario("counted").Iterations.Ok, Is.EqualTo(expected));
        var progress = run.FinalProgress();
        Assert.That(progress.Select(p => (p.TakeOverId, p.BlockIndex, p.Completed)), Is.EquivalentTo(new[] { (0, 0, 400L), (1, 0, iterations) }),
            "each part's progress under its take-over's id");
    }

    [Test]
    public async Task TakeOver_APartOfAPartAfterTheRunEnded_IsNotRun()
    {
        var scenario = Scenario.Create("brief")
            .Step("a", _ => ValueTask.CompletedTask)
            .WithLoad(Load.IterationsPerUser(1, 1))
            .Build();
        var run = new ShareRun(RunOptions.Default.Plan([scenario]), SegmentSequence.Equal(2), 0);
        await run.Start(Stopwatch.GetTimestamp(), DateTimeOffset.UtcNow, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30));
        var takeOver = new TakeOver
        {
            LostSegmentIndex = 1,
            Cuts = { new SegmentCut { PartIndex = 1, PartCount = 2 }, new SegmentCut { PartIndex = 0, PartCount = 3 } },
            TakeOverId = 4,
        };

        Assert.That(run.TakeOver(takeOver, CancellationToken.None), Is.False);
        Assert.That(run.FinalProgress().Select(p => p.TakeOverId), Is.All.Zero);
    }

    [Test]
    public void TakeOver_ACutOutOfRange_IsRefusedNamingIt()
    {
        var scenario = Scenario.Create("brief").Step("a", _ => ValueTask.CompletedTask).WithLoad(Load.IterationsPerUser(1, 1)).Build();
        var run = new ShareRun(RunOptions.Default.Plan([scenario]), SegmentSequence.Equal(2), 0);
        var takeOver = new TakeOver { LostSegmentIndex = 1, Cuts = { new SegmentCut { PartIndex = 2, PartCount = 2 } }, TakeOverId = 1 };

        var exception = Assert.Throws<ArgumentException>(() => run.TakeOver(takeOver, CancellationToken.None));

        Assert.That(exception!.Message, Does.StartWith("take-over = segment 1 cut [2 of 2]: allowed a segment 0 to 1"));
    }

    [Test]
    public async Task TakeSnapshot_WhileRunning_SendsEachHealthSampleOnce()
    {
        var scenario = Scenario.Create("steady")
            .Step("a", async ctx => await Task.Delay(5, ctx.CancellationToken))
            .WithLoad(Load.ConstantUsers(2, TimeSpan.FromSeconds(2.6)))
            .Build();
        var sequence = SegmentSequence.Equal(1);
        var run = new ShareRun(RunOptions.Default.Plan([scenario]), sequence, 0);
        var running = run.Start(Stopwatch.GetTimestamp(), DateTimeOffset.UtcNow, CancellationToken.None);
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
}
