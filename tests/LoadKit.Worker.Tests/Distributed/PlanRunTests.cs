using LoadKit.TestTargets;

namespace LoadKit.Worker.Tests.Distributed;

/// <summary>
/// A plan file run on worker processes (what <c>loadkit run PLAN --etcd</c> does): the controller sends the plan and
/// the workers compile it, and a lost worker's share moves to the survivor as it does for a C# scenario.
/// </summary>
public class PlanRunTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(90);

    [Test]
    public async Task WorkerKilledMidRun_PlanWithSharedIterations_SurvivorRunsTheRestAndTheMergedCountIsExact()
    {
        const int iterations = 1200;
        await using var cluster = await Cluster.StartAsync(2, environment: _ => SnapshotLog.Environment);
        var folder = Directory.CreateTempSubdirectory("loadkit-plan-run-").FullName;
        try
        {
            // 20 VUs paced at an iteration every 60 ms: about 330 a second, so the load lasts about 4 s.
            var path = Path.Combine(folder, "paced.yaml");
            await File.WriteAllTextAsync(path, $$"""
                http: { baseAddress: {{cluster.Target.BaseAddress}} }
                scenarios:
                  - name: paced
                    pacing: 60ms
                    steps:
                      - name: get
                        request: { url: /fast }
                    load:
                      - sharedIterations: { users: 20, iterations: {{iterations}}, maxDuration: 60s }
                """);
            var plan = PlanFile.Load(path);
            var options = cluster.Options() is { Target: ClusterTarget target } run
                ? run with { Target = new ClusterTarget(target.Options) { PlanSource = new PlanFileSource(path, plan.FeedFiles) } }
                : throw new InvalidOperationException("a cluster's options have a cluster target");
            var running = LoadRunner.RunAsync(plan.Scenarios, options);

            var victim = cluster.Workers[1];
            await SnapshotLog.WaitForProgressAsync(victim, "paced", Bound);
            victim.KillHard();
            var result = await running.WaitAsync(Bound);

            TestContext.Out.WriteLine(SummaryTable.Render(result));
            Assert.That(result.Workers.Count(w => w.Lost is not null), Is.EqualTo(1), "one worker was lost");
            Assert.That(result.Notes, Has.Some.Contains("iterations moved"), "its remaining iterations moved to the survivor");
            var merged = result.GetScenario("paced").Iterations;
            Assert.That(merged.Completed + merged.Cancelled, Is.EqualTo(iterations), "merged iterations: exactly the planned count");
            Assert.That(result.GetStep("get").Ok, Is.EqualTo(iterations), string.Join("; ", result.GetStep("get").Errors));
            Assert.That(cluster.Target.Requests, Is.GreaterThanOrEqualTo(iterations), "what the lost worker ran after its last snapshot is run again");
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
