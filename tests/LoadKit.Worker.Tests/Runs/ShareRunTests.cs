using System.Diagnostics;
using LoadKit.Cluster.Protocol;
using LoadKit.Worker.Runs;
using LoadKit.Workload;

namespace LoadKit.Worker.Tests.Runs;

public class ShareRunTests
{
    [TestCase(false, 0, 2 * 200 + 2 * 200, TestName = "TakeOverInsideAnIterationsBlock_NoSnapshotArrived_RunsTheLostShareWhole")]
    [TestCase(true, 150, 2 * 200 + (2 * 200) - 150, TestName = "TakeOverInsideAnIterationsBlock_ProgressKnown_RunsExactlyTheRest")]
    public async Task TakeOverInsideAnIterationsBlock_RunsWhatTheLostWorkerDidNotReport(bool progressKnown, long completed, long expected)
    {
        var scenario = Scenario.Create("counted")
            .Step("a", async ctx => await Task.Delay(5, ctx.CancellationToken))
            .WithLoad(Load.IterationsPerUser(4, 200))
            .Build();
        var sequence = SegmentSequence.Equal(2);
        var run = new ShareRun(RunOptions.Default.Plan([scenario]), sequence, 0);
        var running = run.Start(Stopwatch.GetTimestamp(), DateTimeOffset.UtcNow, CancellationToken.None);
        var takeOver = new TakeOver { LostSegmentIndex = 1, PartIndex = 0, PartCount = 1, ResumeAtMs = 100, ProgressKnown = progressKnown };
        if (progressKnown)
        {
            takeOver.IterationProgress.Add(new BlockProgress { Scenario = "counted", BlockIndex = 0, Completed = completed });
        }

        run.TakeOver(takeOver, CancellationToken.None);
        var result = await running.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.That(result.GetStep("a").Ok, Is.EqualTo(expected), "the own share's 2 VUs × 200 iterations, and what the lost share had left");
        Assert.That(result.GetScenario("counted").Iterations.Ok, Is.EqualTo(expected));
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
