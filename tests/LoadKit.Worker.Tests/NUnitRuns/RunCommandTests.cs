using System.Diagnostics;
using LoadKit.TestTargets;
using LoadKit.Worker.Tests.Distributed;

namespace LoadKit.Worker.Tests.NUnitRuns;

/// <summary>
/// <c>loadkit-worker run</c> as a user runs it, a real process: the tests of tests/Fixtures/PlainNUnitTests (a plain
/// NUnit 5 assembly) as load here and across two real workers registered in a real etcd; exit codes for gates.
/// </summary>
public class RunCommandTests
{
    private const string TargetVariable = "PLAIN_NUNIT_TARGET";
    private const string EventsVariable = "PLAIN_NUNIT_EVENTS";
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(90);

    private static string Fixture => WorkerProcess.BuiltAssembly(Path.Combine("tests", "Fixtures", "PlainNUnitTests"), "PlainNUnitTests.dll");

    [Test]
    public async Task Run_LocalGatesThatHold_ExitsZeroAndPrintsTheSummary()
    {
        await using var target = await DelayServer.StartAsync(("/products", TimeSpan.Zero));

        var (exitCode, output) = await RunAsync(
            [Fixture, "--test", "ShopTests.Passes", "--test", "GetsProductsAsync", "--vus", "2", "--duration", "1s", "--p95", "5s", "--max-failure-rate", "0"],
            new() { [TargetVariable] = target.BaseAddress.ToString() });

        Assert.That(exitCode, Is.EqualTo(0), output);
        Assert.That(output, Does.Contain("Scenario 'PlainNUnitTests'"));
        Assert.That(output, Does.Match(@"GetsProductsAsync\s+[1-9][\d,]*\s+0\s"), "the async test's row: calls, none failed");
        Assert.That(output, Does.Contain("PASSED: 2 gate(s)"));
        Assert.That(target.Requests, Is.GreaterThan(0));
    }

    [Test]
    public async Task Run_LocalFailureRateGateCrossed_ExitsOneNamingTheGate()
    {
        var result = Path.Combine(Path.GetTempPath(), $"nunit-load-{Guid.NewGuid():N}.json");
        try
        {
            var (exitCode, output) = await RunAsync(
                [Fixture, "--test", "FailsEveryFifthCall", "--vus", "2", "--duration", "1s", "--max-failure-rate", "0.01", "--result", result], []);

            Assert.That(exitCode, Is.EqualTo(1), output);
            Assert.That(output, Does.Contain("FAILED: 1 of 1 gate(s): ✗ failure rate of all steps ≤ 1 %"));
            var step = LoadResult.ReadFile(result).Scenarios.Single().GetStep("FailsEveryFifthCall");
            Assert.That(step.Failed, Is.EqualTo(step.Completed / 5), "every fifth call of the one process failed");
            Assert.That(step.Errors.Single().Message, Does.StartWith("Assertion failed: every fifth call fails"));
        }
        finally
        {
            File.Delete(result);
        }
    }

    [Test]
    public async Task Run_ParameterisedAndUnknownTests_ExitsTwoNamingEach()
    {
        var (exitCode, output) = await RunAsync([Fixture, "--test", "AddsItems", "--test", "Nope", "--vus", "1", "--duration", "1s"], []);

        Assert.That(exitCode, Is.EqualTo(2), output);
        Assert.That(output, Does.Contain("test = 'AddsItems': PlainNUnitTests.ShopTests.AddsItems is parameterised"));
        Assert.That(output, Does.Contain("test = 'Nope': PlainNUnitTests.dll has no [Test] of that name"));
    }

    [Test]
    public async Task Run_AcrossTwoWorkers_RunsFixturesThereAndCountsFailuresPerTest()
    {
        await using var cluster = await Distributed.Cluster.StartAsync(2);
        var events = Directory.CreateTempSubdirectory("nunit-events-").FullName;
        var result = Path.Combine(Path.GetTempPath(), $"nunit-load-{Guid.NewGuid():N}.json");
        try
        {
            var (exitCode, output) = await RunAsync(
                [
                    Fixture, "--test", "ShopTests.Passes", "--test", "GetsProductsAsync", "--test", "FailsEveryFifthCall",
                    "--vus", "4", "--iterations", "10", "--duration", "60s", "--max-failure-rate", "0.01",
                    "--etcd", cluster.Etcd.Url, "--prefix", cluster.Prefix, "--workers", "2", "--worker-wait", "30s",
                    "--forward", $"{TargetVariable},{EventsVariable}", "--result", result,
                ],
                new() { [TargetVariable] = cluster.Target.BaseAddress.ToString(), [EventsVariable] = events, [ClusterOptions.TokenVariable] = WorkerProcess.Token });

            Assert.That(exitCode, Is.EqualTo(1), "the failure-rate gate fails: every fifth call of FailsEveryFifthCall fails" + Environment.NewLine + output);
            var run = LoadResult.ReadFile(result);
            Assert.That(run.Workers, Has.Count.EqualTo(2));
            Assert.That(run.Workers.Select(w => w.Lost), Is.All.Null);
            var merged = run.Scenarios.Single();
            Assert.That(merged.GetStep("ShopTests.Passes").Failed, Is.Zero);
            Assert.That(merged.GetStep("GetsProductsAsync").Ok, Is.EqualTo(cluster.Target.Requests), "each call of the async test was one request to the target");
            Assert.That(merged.GetStep("ShopTests.Passes").Ok, Is.EqualTo(40));
            Assert.That(merged.GetStep("FailsEveryFifthCall").Failed, Is.EqualTo(8));
            Assert.That(merged.GetStep("FailsEveryFifthCall").Errors.Single().Message, Does.StartWith("Assertion failed: every fifth call fails"));
            foreach (var worker in run.Workers)
            {
                // The fixture counts calls per process: each worker made 2 VUs x 10 calls, and every fifth failed.
                var fifth = worker.Result.Scenarios.Single().GetStep("FailsEveryFifthCall");
                Assert.That((fifth.Ok, fifth.Failed), Is.EqualTo((16L, 4L)), worker.Id);
                Assert.That(worker.Result.Scenarios.Single().Users, Is.EqualTo(2), "half the VUs each");
            }

            Assert.That(merged.GetStep("FailsEveryFifthCall").Failed, Is.EqualTo(run.Workers.Sum(w => w.Result.Scenarios.Single().GetStep("FailsEveryFifthCall").Failed)));

            // Nothing of the test assembly (its NUnit included) outlives the run on a worker.
            foreach (var worker in cluster.Workers)
            {
                await worker.WaitForOutputAsync("test assembly unloaded", TimeSpan.FromSeconds(20));
            }

            // The fixtures ran on the workers: one instance per VU, 2 VUs in each worker process, set up and torn down once.
            var lines = Directory.GetFiles(events).SelectMany(File.ReadAllLines).Select(l => l.Split(' ', 2)).ToArray();
            var processes = lines.Select(l => l[0]).Distinct().ToArray();
            Assert.That(processes, Has.Length.EqualTo(2), "two worker processes");
            Assert.That(processes, Does.Not.Contain(Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture)));
            foreach (var process in processes)
            {
                foreach (var what in new[] { "constructed", "one-time-set-up", "one-time-tear-down", "disposed" })
                {
                    Assert.That(lines.Count(l => l[0] == process && l[1] == what), Is.EqualTo(2), $"{what} in process {process}");
                }
            }
        }
        finally
        {
            Directory.Delete(events, recursive: true);
            File.Delete(result);
        }
    }

    /// <summary>Runs <c>loadkit-worker run</c> with <paramref name="arguments"/>; returns its exit code and output (stdout, then stderr).</summary>
    private static async Task<(int ExitCode, string Output)> RunAsync(string[] arguments, Dictionary<string, string> environment)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(WorkerProcess.BuiltAssembly(Path.Combine("src", "LoadKit.Worker"), "LoadKit.Worker.dll"));
        start.ArgumentList.Add("run");
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        foreach (var name in new[] { ClusterOptions.EtcdVariable, ClusterOptions.TokenVariable, TargetVariable, EventsVariable })
        {
            start.Environment.Remove(name);
        }

        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        try
        {
            await process.WaitForExitAsync().WaitAsync(Bound);
        }
        catch (TimeoutException)
        {
            process.Kill();
            throw;
        }

        var output = await stdout + await stderr;
        await TestContext.Out.WriteLineAsync(output);
        return (process.ExitCode, output);
    }
}
