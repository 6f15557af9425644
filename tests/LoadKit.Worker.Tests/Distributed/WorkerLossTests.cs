using System.Diagnostics;
using Grpc.Core;
using Grpc.Net.Client;
using LoadKit.Cluster;
using LoadKit.Cluster.Protocol;
using LoadKit.TestTargets;
using WorkerClient = LoadKit.Cluster.Protocol.Worker.WorkerClient;

namespace LoadKit.Worker.Tests.Distributed;

/// <summary>Processes that die mid-run, and workers that refuse bad jobs: the run and the workers cope.</summary>
public class WorkerLossTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(90);

    [Test]
    public async Task WorkerKilledMidRun_ItsShareMovesToTheSurvivors_LoadStaysWithin5Percent()
    {
        await using var cluster = await Cluster.StartAsync(3);
        var recorder = new RunRecorder();
        var running = LoadRunner.RunAsync([DistributedScenarios.Steady600], cluster.Options() with { Observers = [recorder] });

        await cluster.WaitForRequestsAsync(600 * 4, Bound);
        var victim = cluster.Workers[1];
        victim.KillHard();
        var result = await running.WaitAsync(Bound);

        TestContext.Out.WriteLine(SummaryTable.Render(result));
        var lost = result.Workers.Where(w => w.Lost is not null).ToArray();
        Assert.That(lost, Has.Length.EqualTo(1));
        Assert.That(lost[0].Id, Does.Contain($"-{victim.ProcessId}-"), "the lost worker is named");
        Assert.That(lost[0].MissingSeconds, Is.Not.Empty, "the seconds it did not report are shown as gaps");
        Assert.That(result.Notes.Single(), Does.Contain(lost[0].Id).And.Contain("moved to"));
        var achieved = result.GetStep("get").Ok;
        Assert.That(achieved, Is.EqualTo(7200).Within(5).Percent, "600/s for 12 s");
        Assert.That(cluster.Target.Requests, Is.GreaterThanOrEqualTo(achieved));

        // As it happened: the loss, named after the lost worker, and a take-over by each survivor naming whose share it took.
        TestContext.Out.WriteLine(recorder.Describe());
        var survivors = result.Workers.Where(w => w.Lost is null).Select(w => w.Id).ToArray();
        var loss = recorder.Events.Single(e => e.Kind == RunEventKind.Lost);
        Assert.That((loss.Source, loss.Level), Is.EqualTo((lost[0].Id, RunEventLevel.Warning)));
        Assert.That(loss.Message, Does.Contain(lost[0].Lost));
        var takeOvers = recorder.Events.Where(e => e.Kind == RunEventKind.TakeOver).ToArray();
        Assert.That(takeOvers.Select(e => e.Source), Is.EquivalentTo(survivors));
        Assert.That(takeOvers.Select(e => e.Message), Has.All.Contain($"of {lost[0].Id}'s share {lost[0].Segment}"));
        Assert.That(takeOvers.Select(e => e.At), Has.All.GreaterThanOrEqualTo(loss.At));
        var last = recorder.Snapshots[^1].Generators;
        Assert.That(last.Single(g => g.Process == lost[0].Id).Lost, Is.EqualTo(lost[0].Lost), "the live view marks it lost with the reason");
        Assert.That(last.Where(g => g.Process != lost[0].Id).Select(g => g.Segment), Has.All.Contain(" + "), "each survivor runs its segment and a part of the lost one's");
    }

    [Test]
    public async Task WorkerKilledMidRun_PolicyFail_RunFailsNamingIt()
    {
        await using var cluster = await Cluster.StartAsync(2);
        var running = LoadRunner.RunAsync([DistributedScenarios.Steady600], cluster.Options(WorkerLossPolicy.Fail));

        await cluster.WaitForRequestsAsync(600, Bound);
        cluster.Workers[0].KillHard();

        var exception = Assert.ThrowsAsync<DistributedRunException>(() => running.WaitAsync(Bound));
        Assert.That(exception!.Message, Does.Contain($"-{cluster.Workers[0].ProcessId}-").And.Contain("LOADKIT_ON_WORKER_LOSS = fail"));
    }

    [Test]
    public async Task WorkerTerminatedMidRun_StopsItsLoadAndExitsCleanly_TheRunNamesIt()
    {
        await using var cluster = await Cluster.StartAsync(2);
        var running = LoadRunner.RunAsync([DistributedScenarios.Steady600], cluster.Options());

        await cluster.WaitForRequestsAsync(600 * 3, Bound);
        cluster.Workers[0].Terminate();

        Assert.That(await cluster.Workers[0].WaitForExitAsync(TimeSpan.FromSeconds(10)), Is.Zero, "SIGTERM stops the run, revokes the lease, exits 0");
        var result = await running.WaitAsync(Bound);
        Assert.That(result.Workers.Single(w => w.Lost is not null).Id, Does.Contain($"-{cluster.Workers[0].ProcessId}-"));
        Assert.That(result.GetStep("get").Ok, Is.EqualTo(7200).Within(5).Percent);
    }

    [Test]
    public async Task ControllerKilledMidRun_WorkersStopWithin5SecondsAndAreIdleAgain()
    {
        await using var cluster = await Cluster.StartAsync(2);
        var start = new ProcessStartInfo("dotnet", [ControllerAssembly(), "--controller-only", "--etcd", cluster.Etcd.Url, "--prefix", cluster.Prefix,
            "--workers", "2", "--shop", cluster.Target.BaseAddress.ToString()])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.Environment[ClusterOptions.TokenVariable] = WorkerProcess.Token;
        using var controller = Process.Start(start)!;
        try
        {
            await cluster.WaitForRequestsAsync(500, Bound);
            controller.Kill();

            var quietAfter = await cluster.WaitUntilTargetQuietAsync(TimeSpan.FromSeconds(20));
            TestContext.Out.WriteLine($"load stopped within {quietAfter.TotalMilliseconds:0} ms of the kill");
            Assert.That(quietAfter, Is.LessThan(TimeSpan.FromSeconds(5)));
            using var directory = new WorkerDirectory([new Uri(cluster.Etcd.Url)], cluster.Prefix);
            Assert.That(await directory.WaitForIdleAsync(2, TimeSpan.FromSeconds(10), CancellationToken.None), Has.Count.EqualTo(2));
        }
        finally
        {
            if (!controller.HasExited)
            {
                controller.Kill();
            }
        }
    }

    [Test]
    public async Task WrongTokenOversizedAndCorruptJobs_AreRefusedClearly_ThenTheSameWorkerRunsAValidJob()
    {
        await using var cluster = await Cluster.StartAsync(1, _ => ["--max-upload-mb", "128"]);
        var options = cluster.Options();

        var wrongToken = cluster.Options(change: c => new ClusterOptions(c.Etcd, 1, "not-the-token-0123456789") { Prefix = cluster.Prefix, Forward = c.Forward });
        var refused = Assert.ThrowsAsync<DistributedRunException>(() => LoadRunner.RunAsync([DistributedScenarios.Short], wrongToken).WaitAsync(Bound));
        Assert.That(refused!.Message, Does.Contain("Unauthenticated"));

        using var directory = new WorkerDirectory([new Uri(cluster.Etcd.Url)], cluster.Prefix);
        var info = (await directory.WaitForIdleAsync(1, Bound, CancellationToken.None)).Single();
        using (var channel = GrpcChannel.ForAddress(info.Address))
        {
            var client = new WorkerClient(channel);
            var headers = WorkerToken.Headers(WorkerProcess.Token);
            var oversized = Assert.ThrowsAsync<RpcException>(() => Artifact.SendAsync(client, headers, new string('a', 64), new byte[129 * 1024 * 1024], CancellationToken.None));
            Assert.That(oversized!.StatusCode, Is.EqualTo(StatusCode.ResourceExhausted));
            Assert.That(oversized.Status.Detail, Does.Contain("accepts at most 128 MiB"));
        }

        using (var channel = GrpcChannel.ForAddress(info.Address))
        {
            var corrupt = Assert.ThrowsAsync<RpcException>(() => Artifact.SendAsync(
                new WorkerClient(channel), WorkerToken.Headers(WorkerProcess.Token), new string('b', 64), [1, 2, 3], CancellationToken.None));
            Assert.That(corrupt!.Status.Detail, Does.Contain("not the declared"));
        }

        var result = await LoadRunner.RunAsync([DistributedScenarios.Short], options).WaitAsync(Bound);
        Assert.That(result.Workers.Single().Id, Is.EqualTo(info.Id));
        Assert.That(result.GetStep("get").Ok, Is.EqualTo(200));
    }

    [Test]
    public void FactoryThatIsNotAStaticMethodGroup_IsRefusedBeforeAnyWorkerIsTouched()
    {
        var options = new RunOptions { Target = new ClusterTarget(new ClusterOptions([new Uri("http://127.0.0.1:1")], 1, WorkerProcess.Token)) };

        var exception = Assert.ThrowsAsync<ArgumentException>(() => LoadRunner.RunAsync([() => DistributedScenarios.WithParameter(5)], options));

        Assert.That(exception!.Message, Does.Contain("a distributed run needs a static method without parameters"));
    }

    /// <summary>The Distributed sample, built next to this test project; it can act as a controller only.</summary>
    private static string ControllerAssembly() => WorkerProcess.BuiltAssembly(Path.Combine("samples", "Distributed"), "Distributed.dll");
}
