using System.Diagnostics;
using LoadKit.Distributed.Protocol;
using LoadKit.Worker.Runs;

namespace LoadKit.Worker.Tests.Runs;

public class ShareRunTests
{
    [Test]
    public async Task TakeOverInsideAnIterationsBlock_IsSkippedAndTheResultSaysSo()
    {
        var scenario = Scenario.Create("counted")
            .Step("a", async ctx => await Task.Delay(5, ctx.CancellationToken))
            .WithLoad(Load.IterationsPerUser(4, 200))
            .Build();
        var sequence = SegmentSequence.Equal(2);
        var run = new ShareRun([scenario], RunOptions.Default, sequence, sequence.Share(0));
        run.Prepare();
        var running = run.Start(Stopwatch.GetTimestamp(), CancellationToken.None);

        run.TakeOver(new TakeOver { LostSegmentIndex = 1, PartIndex = 0, PartCount = 1, ResumeAtMs = 100 }, CancellationToken.None);
        var result = await running.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.That(result.GetStep("a").Ok, Is.EqualTo(2 * 200), "only the own share's 2 VUs × 200 iterations ran");
        Assert.That(result.Notes.Single(), Does.StartWith("Scenario 'counted': part 1 of 1 of segment 2 of 2").And.Contain("iteration-counted block"));
    }
}
