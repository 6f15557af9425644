using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using LoadKit.Cluster;
using LoadKit.TestTargets;

namespace LoadKit.Worker.Tests.Distributed;

/// <summary>
/// etcd is discovery; the controller's stream is the run's heartbeat (docs/distributed-ci.md, "How a run survives"):
/// an etcd outage changes nothing in a started run, and a silent stream (a frozen process: no RST, no FIN) ends the
/// run on the other side within a bound.
/// </summary>
public partial class OutageTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(90);

    /// <summary>
    /// docs/distributed-ci.md's bounds for a silent peer: HTTP/2 keep-alive pings after 1 s without a frame and 3 s for
    /// the answer; on the worker checked on Kestrel's 1 s heartbeat (at most about 7 s, measured 6.0-7.0 s), on the
    /// controller by SocketsHttpHandler (about 5 s, measured 4.6-5.3 s). The rest is slack for 2 shared cores.
    /// </summary>
    private static readonly TimeSpan SilenceBound = TimeSpan.FromSeconds(10);

    [Test]
    public async Task EtcdKilledMidRunAndRestarted_TheRunHasItsPlannedCount_NoWorkerLost_BothIdleAgain()
    {
        await using var cluster = await Cluster.StartAsync(2);
        var running = LoadRunner.RunAsync([DistributedScenarios.Steady600], cluster.Options());

        await cluster.WaitForRequestsAsync(600 * 2, Bound);
        await cluster.Etcd.KillAsync();
        var down = Stopwatch.StartNew();
        await cluster.WaitForRequestsAsync(600 * 7, Bound); // about 5 s of load later
        await cluster.Etcd.RestartAsync();
        TestContext.Out.WriteLine($"etcd was down for {down.Elapsed.TotalMilliseconds:0} ms");
        var result = await running.WaitAsync(Bound);

        TestContext.Out.WriteLine(SummaryTable.Render(result));
        Assert.That(result.Workers.Select(w => w.Lost), Is.All.Null, "no worker is lost because etcd was");
        Assert.That(result.Notes, Has.None.Contain("lost"));
        Assert.That(result.GetStep("get").Ok, Is.EqualTo(7200).Within(1).Percent, "600/s for 12 s");
        Assert.That(result.Workers.Select(w => w.MissingSeconds), Is.All.Empty);

        using var directory = new WorkerDirectory([new Uri(cluster.Etcd.Url)], cluster.Prefix);
        var idle = await directory.WaitForIdleAsync(2, TimeSpan.FromSeconds(30), CancellationToken.None);
        Assert.That(idle.Select(w => w.Id), Is.EquivalentTo(result.Workers.Select(w => w.Id)), "both registered again, idle");
    }

    [Test]
    public async Task EtcdGoneWhileTheWorkersPrepare_TheRunStartsAndCompletes_TheWorkersRegisterIdleWhenItIsBack()
    {
        await using var cluster = await Cluster.StartAsync(2);
        var gate = Directory.CreateTempSubdirectory("loadkit-gate-").FullName;
        Environment.SetEnvironmentVariable(OutageScenarios.GateVariable, $"{gate}|{Environment.ProcessId}");
        try
        {
            var options = cluster.Options(change: c => c with { Forward = [.. c.Forward, OutageScenarios.GateVariable] });
            var running = LoadRunner.RunAsync([OutageScenarios.GatedSteady], options);

            // Both workers were found in etcd and are building the scenario: etcd goes before the Start.
            await Eventually.UntilAsync(
                () => Directory.GetFiles(gate, "ready-*").Length == 2 || running.IsCompleted, Bound, () => "the workers did not reach their preparation");
            Assert.That(running.IsCompleted, Is.False, running.Exception?.ToString());
            await cluster.Etcd.KillAsync();
            await File.WriteAllTextAsync(Path.Combine(gate, "go"), "");
            var result = await running.WaitAsync(Bound);

            TestContext.Out.WriteLine(SummaryTable.Render(result));
            Assert.That(result.Workers.Select(w => w.Lost), Is.All.Null);
            Assert.That(result.GetStep("get").Ok, Is.EqualTo(7200).Within(1).Percent);

            await cluster.Etcd.RestartAsync();
            using var directory = new WorkerDirectory([new Uri(cluster.Etcd.Url)], cluster.Prefix);
            var idle = await directory.WaitForIdleAsync(2, TimeSpan.FromSeconds(30), CancellationToken.None);
            Assert.That(idle.Select(w => w.Id), Is.EquivalentTo(result.Workers.Select(w => w.Id)));
        }
        finally
        {
            Environment.SetEnvironmentVariable(OutageScenarios.GateVariable, null);
            Directory.Delete(gate, recursive: true);
        }
    }

    [Test]
    public async Task EtcdUnreachableBeforeTheRun_FailsClearly_NamingTheEndpointAndTheWait()
    {
        var endpoint = $"http://127.0.0.1:{EtcdServer.FreePort()}";
        var options = new RunOptions
        {
            Target = new ClusterTarget(new ClusterOptions([new Uri(endpoint)], 2, WorkerProcess.Token) { WorkerWait = TimeSpan.FromSeconds(5) }),
        };
        var clock = Stopwatch.StartNew();

        var exception = Assert.ThrowsAsync<DistributedRunException>(() => LoadRunner.RunAsync([DistributedScenarios.Short], options).WaitAsync(Bound));

        TestContext.Out.WriteLine($"failed after {clock.Elapsed.TotalMilliseconds:0} ms: {exception!.Message}");
        Assert.That(exception.Message, Does.Contain(endpoint).And.Contain("did not answer within 5 s (the worker wait)"));
        Assert.That(clock.Elapsed, Is.InRange(TimeSpan.FromSeconds(4.9), TimeSpan.FromSeconds(30)), "it waits the worker wait (its timer may fire a little early: 4.9995 s seen), no longer");
    }

    [Test]
    public async Task EtcdDownWhenTheRunIsCalled_BackWithinTheWorkerWait_TheRunWaitsAndCompletes()
    {
        await using var cluster = await Cluster.StartAsync(2);
        using (var directory = new WorkerDirectory([new Uri(cluster.Etcd.Url)], cluster.Prefix))
        {
            await directory.WaitForIdleAsync(2, Bound, CancellationToken.None);
        }

        await cluster.Etcd.KillAsync();
        var running = LoadRunner.RunAsync([DistributedScenarios.Short], cluster.Options());
        await cluster.Etcd.RestartAsync();
        var result = await running.WaitAsync(Bound);

        Assert.That(result.Workers.Select(w => w.Lost), Is.All.Null);
        Assert.That(result.GetStep("get").Ok, Is.EqualTo(200), "100/s for 2 s");
    }

    [Test]
    public async Task ControllerFrozen_TheWorkersStopTheirLoadWithinTheBound_AndAreIdleAgain()
    {
        await using var cluster = await Cluster.StartAsync(2);
        var start = new ProcessStartInfo("dotnet", [WorkerProcess.BuiltAssembly(Path.Combine("samples", "Distributed"), "Distributed.dll"),
            "--controller-only", "--etcd", cluster.Etcd.Url, "--prefix", cluster.Prefix, "--workers", "2", "--shop", cluster.Target.BaseAddress.ToString()])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.Environment[ClusterOptions.TokenVariable] = WorkerProcess.Token;
        using var controller = Process.Start(start)!;
        controller.OutputDataReceived += (_, _) => { };
        controller.ErrorDataReceived += (_, _) => { };
        controller.BeginOutputReadLine();
        controller.BeginErrorReadLine();
        try
        {
            await cluster.WaitForRequestsAsync(500, Bound);
            Signals.Send(controller.Id, "STOP"); // no RST, no FIN: the controller's connections just go silent

            var quietAfter = await cluster.WaitUntilTargetQuietAsync(TimeSpan.FromSeconds(30));
            TestContext.Out.WriteLine($"load stopped {quietAfter.TotalMilliseconds:0} ms after the controller froze");
            Assert.That(quietAfter, Is.LessThan(SilenceBound));
            foreach (var worker in cluster.Workers)
            {
                await worker.WaitForOutputAsync("stopped because the controller's call ended", TimeSpan.FromSeconds(10));
            }

            using var directory = new WorkerDirectory([new Uri(cluster.Etcd.Url)], cluster.Prefix);
            Assert.That(await directory.WaitForIdleAsync(2, TimeSpan.FromSeconds(10), CancellationToken.None), Has.Count.EqualTo(2));
        }
        finally
        {
            controller.Kill(); // SIGKILL ends a stopped process too
            await controller.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
        }
    }

    [Test]
    public async Task WorkerFrozen_IsLostWithinTheBound_ItsShareMoves_AndWhenContinuedItStopsItsLoadAndIsIdle()
    {
        await using var cluster = await Cluster.StartAsync(2);
        var running = LoadRunner.RunAsync([DistributedScenarios.Steady600], cluster.Options());

        await cluster.WaitForRequestsAsync(600 * 3, Bound);
        var (survivorProcess, frozen) = (cluster.Workers[0], cluster.Workers[1]);
        Signals.Send(frozen.ProcessId, "STOP");
        var frozenAt = DateTimeOffset.UtcNow;
        try
        {
            // The controller marks it lost and moves its share: the survivor says so.
            await survivorProcess.WaitForOutputAsync("Take-over", Bound);
        }
        finally
        {
            Signals.Send(frozen.ProcessId, "CONT");
        }

        // Continued while its plan still has seconds to run (it froze 3 s into 12), it finds its controller's connection
        // gone and stops its load by itself. Continued after the plan's end, it would end with its plan, and prove nothing.
        var continuedAt = Stopwatch.StartNew();
        var stopped = await frozen.WaitForOutputAsync("the controller's", SilenceBound);
        TestContext.Out.WriteLine($"the continued worker stopped {continuedAt.ElapsedMilliseconds} ms after SIGCONT: {stopped}");

        var result = await running.WaitAsync(Bound);
        TestContext.Out.WriteLine(SummaryTable.Render(result));
        var lost = result.Workers.Single(w => w.Lost is not null);
        Assert.That(lost.Id, Does.Contain($"-{frozen.ProcessId}-"));
        var survivor = result.Workers.Single(w => w.Lost is null);
        var resumeAtMs = long.Parse(ResumeAt().Match(survivor.Segment).Groups[1].Value, CultureInfo.InvariantCulture);
        var detectedAfter = TimeSpan.FromMilliseconds(resumeAtMs) - (frozenAt - result.StartedAt);
        TestContext.Out.WriteLine($"marked lost {detectedAfter.TotalMilliseconds:0} ms after it froze ({lost.Lost})");
        Assert.That(detectedAfter, Is.LessThan(SilenceBound));
        Assert.That(result.Notes.Single(), Does.Contain(lost.Id).And.Contain("moved to " + survivor.Id));

        // Its share from the loss on ran on the survivor; what the frozen worker owed between its last snapshot
        // and the loss (at most the bound, at 300/s) is missing, by design. What it sent once continued is not counted.
        Assert.That(result.GetStep("get").Ok, Is.InRange(7200 - (300 * (SilenceBound.TotalSeconds + 1)), 7200 * 1.01));

        var quietAfter = await cluster.WaitUntilTargetQuietAsync(TimeSpan.FromSeconds(30));
        TestContext.Out.WriteLine($"the target was quiet {quietAfter.TotalMilliseconds:0} ms after the run's end");
        Assert.That(quietAfter, Is.LessThan(SilenceBound));
        using var directory = new WorkerDirectory([new Uri(cluster.Etcd.Url)], cluster.Prefix);
        Assert.That(await directory.WaitForIdleAsync(2, TimeSpan.FromSeconds(30), CancellationToken.None), Has.Count.EqualTo(2));
    }

    [GeneratedRegex(@"from (\d+) ms")]
    private static partial Regex ResumeAt();
}
