using System.Text.RegularExpressions;
using LoadKit.TestTargets;

namespace LoadKit.Worker.Tests.Distributed;

/// <summary>
/// A worker killed in the middle of an iteration-counted block: the survivors run the iterations its last snapshot
/// did not count, so the merged count is exactly the planned one.
/// </summary>
public partial class IterationTakeOverTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(90);

    [Test]
    public Task WorkerKilledMidRun_SharedIterations_SurvivorsRunItsRemainingIterations_MergedCountIsExact() =>
        KillOneOfThreeAsync(IterationScenarios.Shared3000, "shared");

    [Test]
    public Task WorkerKilledMidRun_IterationsPerUser_SurvivorsRunItsRemainingIterations_MergedCountIsExact() =>
        KillOneOfThreeAsync(IterationScenarios.PerUser3000, "per user");

    private static async Task KillOneOfThreeAsync(Func<Scenario> factory, string name)
    {
        await using var cluster = await Cluster.StartAsync(3, environment: _ => SnapshotLog.Environment);
        var running = LoadRunner.RunAsync([factory], cluster.Options());

        // 500 a second: about 2 s in, once the victim has reported progress.
        await cluster.WaitForRequestsAsync(1000, Bound);
        var victim = cluster.Workers[2];
        await SnapshotLog.WaitForProgressAsync(victim, name, Bound);
        var killedAfter = cluster.Target.Requests;
        victim.KillHard();
        var result = await running.WaitAsync(Bound);

        TestContext.Out.WriteLine(SummaryTable.Render(result));
        var lost = result.Workers.Where(w => w.Lost is not null).ToArray();
        Assert.That(lost, Has.Length.EqualTo(1));
        Assert.That(lost[0].Id, Does.Contain($"-{victim.ProcessId}-"), "the lost worker is named");
        var note = result.Notes.Single(n => n.Contains(lost[0].Id, StringComparison.Ordinal));
        var moved = MovedPattern().Match(note);
        Assert.That(moved.Success, Is.True, "the note says how many iterations moved: " + note);
        var (movedCount, owned, completed) = (long.Parse(moved.Groups[1].Value), long.Parse(moved.Groups[2].Value), long.Parse(moved.Groups[3].Value));
        TestContext.Out.WriteLine($"killed after {killedAfter} requests; {movedCount} of {owned} moved, {completed} completed; target saw {cluster.Target.Requests}");
        var victimIterations = lost[0].Result.Scenarios.Single().Iterations;
        Assert.That(owned, Is.EqualTo(IterationScenarios.Iterations / 3));
        Assert.That(completed, Is.EqualTo(victimIterations.Completed + victimIterations.Cancelled), "the moved count is that of its last snapshot");
        Assert.That(movedCount, Is.EqualTo(owned - completed));
        Assert.That(completed, Is.InRange(1, owned - 1), "killed part-way through its share");

        var iterations = result.GetScenario(name).Iterations;
        Assert.That(iterations.Completed + iterations.Cancelled, Is.EqualTo(IterationScenarios.Iterations), "merged iterations: exactly the planned count");
        Assert.That(iterations.Ok, Is.EqualTo(IterationScenarios.Iterations), string.Join("; ", result.GetStep("get").Errors));
        Assert.That(result.GetStep("get").Ok, Is.EqualTo(IterationScenarios.Iterations));
        Assert.That(cluster.Target.Requests, Is.GreaterThanOrEqualTo(IterationScenarios.Iterations), "what the lost worker ran after its last snapshot is run again");
    }

    [GeneratedRegex(@"(\d+) iterations moved, of the (\d+) it owned .*\((\d+) completed by its last snapshot")]
    private static partial Regex MovedPattern();
}
