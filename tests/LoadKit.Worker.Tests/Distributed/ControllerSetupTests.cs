using System.Diagnostics;
using Grpc.Core;
using Grpc.Net.Client;
using LoadKit.Cluster;
using LoadKit.Cluster.Protocol;
using LoadKit.TestTargets;
using WorkerClient = LoadKit.Cluster.Protocol.Worker.WorkerClient;

namespace LoadKit.Worker.Tests.Distributed;

/// <summary>The controller's first steps against real etcd and real worker processes: find the workers, read their clocks.</summary>
public class ControllerSetupTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);

    [Test]
    public async Task WaitForIdleAsync_WorkersThatJoinLate_AreFoundAsTheyRegister()
    {
        await using var etcd = await EtcdServer.StartAsync();
        using var directory = new WorkerDirectory([new Uri(etcd.Url)], "c1");
        var waiting = directory.WaitForIdleAsync(2, Bound, CancellationToken.None);

        await using var first = WorkerProcess.Start("--etcd", etcd.Url, "--prefix", "c1");
        await using var second = WorkerProcess.Start("--etcd", etcd.Url, "--prefix", "c1");
        var workers = await waiting.WaitAsync(Bound);

        Assert.That(workers, Has.Count.EqualTo(2));
        Assert.That(workers.Select(w => w.Id).Distinct().Count(), Is.EqualTo(2));
        Assert.That(workers.Select(w => w.State), Is.All.EqualTo(WorkerInfo.Idle));
    }

    [Test]
    public async Task WaitForIdleAsync_TooFewWorkers_ErrorSaysWhatItSawAndForHowLong()
    {
        await using var etcd = await EtcdServer.StartAsync();
        await using var worker = WorkerProcess.Start("--etcd", etcd.Url, "--prefix", "c2");
        using var directory = new WorkerDirectory([new Uri(etcd.Url)], "c2");
        var id = (await directory.WaitForIdleAsync(1, Bound, CancellationToken.None)).Single().Id;

        var exception = Assert.ThrowsAsync<DistributedRunException>(() => directory.WaitForIdleAsync(3, TimeSpan.FromSeconds(1.5), CancellationToken.None));

        Assert.That(exception!.Message, Does.StartWith(
            $"Waited 1.5 s for 3 idle workers under /c2/workers/ in etcd at {etcd.Url}/, and saw 1 idle of 1 registered: {id} (idle)."));
    }

    [Test]
    public async Task ListAsync_EtcdNotAnswering_ErrorNamesTheEndpointWithinTheDeadline()
    {
        var endpoint = $"http://127.0.0.1:{EtcdServer.FreePort()}";
        using var directory = new WorkerDirectory([new Uri(endpoint)], "c3");
        var clock = Stopwatch.StartNew();

        var exception = Assert.ThrowsAsync<DistributedRunException>(() => directory.ListAsync(CancellationToken.None));

        Assert.That(exception!.Message, Does.StartWith($"etcd at {endpoint}/ did not answer within 2 s"));
        Assert.That(clock.Elapsed, Is.LessThan(TimeSpan.FromSeconds(5)), "not the client's 7 s of built-in retries");
    }

    [TestCase(0)]
    [TestCase(250)]
    [TestCase(-1500)]
    public async Task EstimateAsync_WorkerClock_IsMeasuredToWithinAMillisecond(int offsetMilliseconds)
    {
        await using var etcd = await EtcdServer.StartAsync();
        await using var worker = WorkerProcess.Start(
            "--etcd", etcd.Url, "--prefix", "c4", "--test-clock-offset-ms", offsetMilliseconds.ToString(System.Globalization.CultureInfo.InvariantCulture));
        using var directory = new WorkerDirectory([new Uri(etcd.Url)], "c4");
        var info = (await directory.WaitForIdleAsync(1, Bound, CancellationToken.None)).Single();
        var client = new WorkerClient(GrpcChannel.ForAddress(info.Address));
        var headers = WorkerToken.Headers(WorkerProcess.Token);

        var estimate = await ClockSync.EstimateAsync(client, headers, ClockSync.DefaultRounds, CancellationToken.None);

        TestContext.Out.WriteLine($"offset {estimate.Offset.TotalMilliseconds:0.000} ms, round trip {estimate.RoundTrip.TotalMilliseconds:0.000} ms");
        Assert.That(estimate.Offset.TotalMilliseconds, Is.EqualTo(offsetMilliseconds).Within(1));
        Assert.That(estimate.RoundTrip, Is.LessThan(TimeSpan.FromMilliseconds(20)));
    }
}
