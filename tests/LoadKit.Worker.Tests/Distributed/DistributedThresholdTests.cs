namespace LoadKit.Worker.Tests.Distributed;

/// <summary>Thresholds in a distributed run: evaluated on the merged snapshots while it lasts, and able to stop it.</summary>
public class DistributedThresholdTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(90);

    [Test]
    public async Task AbortOnFail_CrossedOnTheMergedStatistics_StopsEveryWorkerAndKeepsTheirFinalSnapshots()
    {
        await using var cluster = await Cluster.StartAsync(2);

        var result = await LoadRunner.RunAsync([DistributedScenarios.StoppedByThreshold], cluster.Options()).WaitAsync(Bound);

        TestContext.Out.WriteLine(SummaryTable.Render(result));
        var stoppedBy = result.StoppedBy;
        Assert.That(stoppedBy, Is.Not.Null);
        Assert.That(stoppedBy!.Threshold, Is.EqualTo("failures of step 'get' ≤ 0"));
        Assert.That(stoppedBy.Scenario, Is.EqualTo("gated"));
        Assert.That(stoppedBy.StoppedRunAt, Is.GreaterThanOrEqualTo(TimeSpan.FromSeconds(2)).And.LessThan(TimeSpan.FromSeconds(5)),
            "crossed in the first second, stopped once its 2 s delay had passed");
        Assert.That(result.Duration, Is.LessThan(TimeSpan.FromSeconds(10)), "well before the 20 s of load");
        Assert.That(result.Workers.Select(w => w.Lost), Is.All.Null, "stopped, not lost: each sent its final snapshot");
        foreach (var worker in cluster.Workers)
        {
            await worker.WaitForOutputAsync("the controller stopped it", TimeSpan.FromSeconds(10));
        }

        // The outcome is that of the merged statistics: the failures of both workers together.
        var step = result.GetStep("get");
        Assert.That(stoppedBy.Observed, Is.EqualTo(step.Failed.ToString("N0", System.Globalization.CultureInfo.InvariantCulture)));
        Assert.That(step.Failed, Is.EqualTo(result.Workers.Sum(w => w.Result.GetStep("get").Failed)));
        Assert.That(result.Thresholds[1].Passed, Is.True, "the other threshold is reported too");
    }
}
