using System.Diagnostics;
using LoadKit.TestTargets;

namespace LoadKit.Worker.Tests.Distributed;

/// <summary>A unique feed shared by two worker processes: each reads only its segment's records.</summary>
public class DistributedFeedTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(90);

    [Test]
    public async Task TwoWorkers_UniqueFeed_ServerSeesEachRecordOnceAndBothPartsStop()
    {
        await using var cluster = await Cluster.StartAsync(2);
        await using var server = await ValueServer.StartAsync();
        var target = Environment.GetEnvironmentVariable(DistributedScenarios.TargetVariable);
        Environment.SetEnvironmentVariable(DistributedScenarios.TargetVariable, server.BaseAddress.ToString());
        try
        {
            var clock = Stopwatch.StartNew();
            var result = await LoadRunner.RunAsync([FeedScenarios.UniqueIds], cluster.Options()).WaitAsync(Bound);
            clock.Stop();

            TestContext.Out.WriteLine($"{clock.Elapsed.TotalSeconds:0.0} s{Environment.NewLine}{string.Join(Environment.NewLine, result.Notes)}");
            Assert.That(result.Workers, Has.Count.EqualTo(2));
            Assert.That(server.Values.Keys.Select(int.Parse).Order(), Is.EqualTo(Enumerable.Range(0, FeedScenarios.Ids)), "every record was sent");
            Assert.That(server.Values.Values.Max(), Is.EqualTo(1), "no record was sent by both workers, nor twice by one");
            Assert.That(result.GetScenario("unique ids").Iterations.Ok, Is.EqualTo(FeedScenarios.Ids));
            Assert.That(result.Notes.Where(n => n.Contains("feed 'ids' ran out after 300 records", StringComparison.Ordinal)).Count(), Is.EqualTo(2),
                "each worker's half ran out");
            Assert.That(clock.Elapsed, Is.LessThan(TimeSpan.FromSeconds(18)), "the 20 s phase ended when the feed ran out");
        }
        finally
        {
            Environment.SetEnvironmentVariable(DistributedScenarios.TargetVariable, target);
        }
    }
}
