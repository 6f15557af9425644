using System.Diagnostics;
using dotnet_etcd;
using Etcdserverpb;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
using LoadKit.Cluster;
using LoadKit.Cluster.Protocol;
using LoadKit.TestTargets;
using WorkerClient = LoadKit.Cluster.Protocol.Worker.WorkerClient;

namespace LoadKit.Worker.Tests.Distributed;

/// <summary>
/// Controllers claim their workers in one etcd transaction, so two controllers never split a pool; workers run only the
/// run that holds their claim; controller and worker refuse another protocol version. Real etcd, real worker processes.
/// </summary>
public class ClaimTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(120);

    [Test]
    public async Task TwoControllersAtOnce_OnAPoolOfTwo_BothRunsComplete_OneAfterTheOther()
    {
        await using var cluster = await Cluster.StartAsync(2);
        using var directory = new WorkerDirectory([new Uri(cluster.Etcd.Url)], cluster.Prefix);
        await directory.WaitForIdleAsync(2, Bound, CancellationToken.None);
        var options = cluster.Options(); // each wants both workers, and waits up to 30 s for them

        var results = await Task.WhenAll(
            LoadRunner.RunAsync([ClaimScenarios.Counted400], options),
            LoadRunner.RunAsync([ClaimScenarios.Counted400], options)).WaitAsync(Bound);

        var (first, second) = results[0].StartedAt <= results[1].StartedAt ? (results[0], results[1]) : (results[1], results[0]);
        TestContext.Out.WriteLine($"first {first.StartedAt:HH:mm:ss.fff}-{first.EndedAt:HH:mm:ss.fff}, second {second.StartedAt:HH:mm:ss.fff}-{second.EndedAt:HH:mm:ss.fff}, " +
            $"gap {(second.StartedAt - first.EndedAt).TotalMilliseconds:0} ms");
        foreach (var result in results)
        {
            Assert.That(result.GetStep("get").Ok, Is.EqualTo(ClaimScenarios.Iterations), "each run its planned count");
            Assert.That(result.GetStep("get").Failed, Is.Zero);
            Assert.That(result.Workers, Has.Count.EqualTo(2), "each run had the whole pool");
            Assert.That(result.Workers.Select(w => w.Lost), Is.All.Null);
        }

        Assert.That(first.EndedAt, Is.LessThanOrEqualTo(second.StartedAt), "one after the other: their time ranges do not overlap");
        Assert.That(cluster.Target.Requests, Is.EqualTo(2 * ClaimScenarios.Iterations));
        Assert.That(await ClaimKeysAsync(cluster.Etcd.Url, cluster.Prefix), Is.Empty, "no claim outlives its run");
    }

    [Test]
    public async Task Run_TwoWorkersAskedOfFourIdle_UsesExactlyTwoAndLeavesTheOthersFree()
    {
        await using var cluster = await Cluster.StartAsync(4);
        var options = new RunOptions
        {
            Target = new ClusterTarget(new ClusterOptions([new Uri(cluster.Etcd.Url)], 2, WorkerProcess.Token)
            {
                Prefix = cluster.Prefix,
                WorkerWait = TimeSpan.FromSeconds(30),
                Forward = [DistributedScenarios.TargetVariable],
            }),
        };
        var running = LoadRunner.RunAsync([ClaimScenarios.Counted400], options);

        await cluster.WaitForRequestsAsync(50, Bound);
        var during = await ClaimKeysAsync(cluster.Etcd.Url, cluster.Prefix);
        var result = await running.WaitAsync(Bound);

        Assert.That(result.Workers, Has.Count.EqualTo(2));
        Assert.That(during, Has.Count.EqualTo(2), "two claims: the other two workers stay free for other runs");
        Assert.That(result.GetStep("get").Ok, Is.EqualTo(ClaimScenarios.Iterations));
    }

    [Test]
    public async Task Run_HoldsAClaimOnEachOfItsWorkersWhileItRuns_AndNoneIsLeftAfter()
    {
        await using var cluster = await Cluster.StartAsync(2);
        var running = LoadRunner.RunAsync([ClaimScenarios.Counted400], cluster.Options());

        await cluster.WaitForRequestsAsync(50, Bound);
        var during = await ClaimKeysAsync(cluster.Etcd.Url, cluster.Prefix);
        var result = await running.WaitAsync(Bound);
        var after = await ClaimKeysAsync(cluster.Etcd.Url, cluster.Prefix);

        Assert.That(during.Keys, Is.EquivalentTo(result.Workers.Select(w => WorkerClaim.Key(cluster.Prefix, w.Id))));
        Assert.That(during.Values.Select(c => c.Run).Distinct().Count(), Is.EqualTo(1), "one run holds both");
        Assert.That(during.Values.Select(c => c.Controller), Is.All.EqualTo($"{Environment.MachineName}/{Environment.ProcessId}"));
        Assert.That(result.GetStep("get").Ok, Is.EqualTo(ClaimScenarios.Iterations));
        Assert.That(after, Is.Empty);
    }

    [Test]
    public async Task PoolClaimedByAnotherRun_ShortWorkerWait_FailsNamingTheCountsAndTheHolder()
    {
        await using var cluster = await Cluster.StartAsync(2);
        using var directory = new WorkerDirectory([new Uri(cluster.Etcd.Url)], cluster.Prefix);
        var ids = (await directory.WaitForIdleAsync(2, Bound, CancellationToken.None)).Select(w => w.Id).Order(StringComparer.Ordinal).ToArray();
        using var etcd = Client(cluster.Etcd.Url);
        var lease = await HoldClaimsAsync(etcd, cluster.Prefix, ids, "r-held", ttlSeconds: 60);
        try
        {
            var options = cluster.Options(change: c => c with { WorkerWait = TimeSpan.FromSeconds(2) });
            var clock = Stopwatch.StartNew();

            var exception = Assert.ThrowsAsync<DistributedRunException>(() => LoadRunner.RunAsync([ClaimScenarios.Counted400], options).WaitAsync(Bound));

            TestContext.Out.WriteLine(exception!.Message);
            Assert.That(exception.Message, Does.StartWith(
                $"Needed 2 idle workers under prefix '{cluster.Prefix}' in etcd at {cluster.Etcd.Url}/, and after waiting 2 s found 0 idle and unclaimed " +
                $"of 2 registered; claimed by run r-held (2: {ids[0]}, {ids[1]}; controller ci-pipeline-1/4242, since "));
            Assert.That(exception.Message, Does.Contain("LOADKIT_WORKER_WAIT"));
            Assert.That(clock.Elapsed, Is.GreaterThanOrEqualTo(TimeSpan.FromSeconds(2)).And.LessThan(TimeSpan.FromSeconds(15)));
            Assert.That(cluster.Target.Requests, Is.Zero, "nothing ran");
        }
        finally
        {
            await etcd.LeaseRevokeAsync(new LeaseRevokeRequest { ID = lease });
        }
    }

    [Test]
    public async Task ClaimOfAControllerWhoseLeaseExpires_Ends_AndTheWaitingControllerRuns()
    {
        await using var cluster = await Cluster.StartAsync(2);
        using var directory = new WorkerDirectory([new Uri(cluster.Etcd.Url)], cluster.Prefix);
        var ids = (await directory.WaitForIdleAsync(2, Bound, CancellationToken.None)).Select(w => w.Id).ToArray();
        using var etcd = Client(cluster.Etcd.Url);

        // A controller that died: its claims are under a lease nobody keeps alive.
        await HoldClaimsAsync(etcd, cluster.Prefix, ids, "r-dead", ttlSeconds: 3);
        var written = DateTimeOffset.UtcNow;
        var clock = Stopwatch.StartNew();
        var result = await LoadRunner.RunAsync([ClaimScenarios.Counted400], cluster.Options()).WaitAsync(Bound);

        TestContext.Out.WriteLine($"started {(result.StartedAt - written).TotalSeconds:0.0} s after the dead controller's claims were written (lease TTL 3 s); " +
            $"ended {clock.Elapsed.TotalSeconds:0.0} s after");
        Assert.That(result.GetStep("get").Ok, Is.EqualTo(ClaimScenarios.Iterations));
        Assert.That(result.StartedAt - written, Is.GreaterThanOrEqualTo(TimeSpan.FromSeconds(2)), "not before the lease expired");
        Assert.That(await ClaimKeysAsync(cluster.Etcd.Url, cluster.Prefix), Is.Empty);
    }

    [Test]
    public async Task Prepare_ForARunThatDoesNotHoldTheWorkersClaim_IsRefused_AndTheWorkerStaysAvailable()
    {
        await using var cluster = await Cluster.StartAsync(1);
        using var directory = new WorkerDirectory([new Uri(cluster.Etcd.Url)], cluster.Prefix);
        var info = (await directory.WaitForIdleAsync(1, Bound, CancellationToken.None)).Single();
        using var etcd = Client(cluster.Etcd.Url);
        using var channel = GrpcChannel.ForAddress(info.Address);
        var client = new WorkerClient(channel);

        // No claim at all (a controller that does not claim).
        var unclaimed = await PrepareAsync(client, "r-unclaimed", ProtocolVersion.Current);
        Assert.That(unclaimed.StatusCode, Is.EqualTo(StatusCode.FailedPrecondition));
        Assert.That(unclaimed.Status.Detail, Does.StartWith(
            $"Worker {info.Id} is not claimed by run r-unclaimed: there is no claim /{cluster.Prefix}/claims/{info.Id} in etcd."));

        // Claimed by another run.
        var lease = await HoldClaimsAsync(etcd, cluster.Prefix, [info.Id], "r-other", ttlSeconds: 60);
        var other = await PrepareAsync(client, "r-mine", ProtocolVersion.Current);
        Assert.That(other.StatusCode, Is.EqualTo(StatusCode.FailedPrecondition));
        Assert.That(other.Status.Detail, Does.StartWith($"Worker {info.Id} is claimed by run r-other (controller ci-pipeline-1/4242, since "));
        Assert.That(other.Status.Detail, Does.Contain("not by run r-mine"));

        // Still available: idle in etcd, and it runs a claimed run once the other claim is gone.
        await etcd.LeaseRevokeAsync(new LeaseRevokeRequest { ID = lease });
        await IdleAgainAsync(directory, info.Id);
        var result = await LoadRunner.RunAsync([ClaimScenarios.Counted400], cluster.Options()).WaitAsync(Bound);
        Assert.That(result.Workers.Single().Id, Is.EqualTo(info.Id));
        Assert.That(result.GetStep("get").Ok, Is.EqualTo(ClaimScenarios.Iterations));
    }

    [TestCase(99, "99")]
    [TestCase(0, "none (a LoadKit from before protocol versions)")]
    public async Task Prepare_OfAnotherProtocolVersion_IsRefusedNamingBothVersions(int version, string named)
    {
        await using var cluster = await Cluster.StartAsync(1);
        using var directory = new WorkerDirectory([new Uri(cluster.Etcd.Url)], cluster.Prefix);
        var info = (await directory.WaitForIdleAsync(1, Bound, CancellationToken.None)).Single();
        using var channel = GrpcChannel.ForAddress(info.Address);

        var refused = await PrepareAsync(new WorkerClient(channel), "r-version", version);

        Assert.That(refused.StatusCode, Is.EqualTo(StatusCode.FailedPrecondition));
        Assert.That(refused.Status.Detail, Does.StartWith(
            $"The controller speaks LoadKit worker protocol {named}, worker {info.Id} protocol {ProtocolVersion.Current}: run the same LoadKit version"));
        Assert.That(info.Protocol, Is.EqualTo(ProtocolVersion.Current), "its registration says which it speaks");
        await IdleAgainAsync(directory, info.Id);
    }

    [Test]
    public async Task RegisteredWorkerOfAnotherProtocol_IsNotClaimed_TheErrorNamesBothVersions()
    {
        await using var etcdServer = await EtcdServer.StartAsync();
        using var etcd = Client(etcdServer.Url);
        var old = new WorkerInfo("old-worker", "http://127.0.0.1:1", "0.9.0", 2, new Dictionary<string, string>(), WorkerInfo.Idle);
        await etcd.PutAsync(WorkerInfo.Key("p7", old.Id), old.ToJson());
        var clock = Stopwatch.StartNew();

        var exception = Assert.ThrowsAsync<DistributedRunException>(() =>
            WorkerClaims.ClaimAsync(new EtcdAccess([new Uri(etcdServer.Url)]), "p7", 1, "r-new", TimeSpan.FromSeconds(1.5), CancellationToken.None));

        TestContext.Out.WriteLine(exception!.Message);
        Assert.That(exception.Message, Does.StartWith(
            $"Needed 1 idle workers under prefix 'p7' in etcd at {etcdServer.Url}/, and after waiting 1.5 s found 0 idle and unclaimed of 1 registered; " +
            $"of another protocol: old-worker speaks protocol none (a LoadKit from before protocol versions) (LoadKit 0.9.0), this controller {ProtocolVersion.Current}."));
        Assert.That(clock.Elapsed, Is.LessThan(TimeSpan.FromSeconds(10)));
        Assert.That(await ClaimKeysAsync(etcdServer.Url, "p7"), Is.Empty, "nothing was claimed");
    }

    /// <summary>Waits (10 s at most) until the worker shows idle in etcd again after a refused run.</summary>
    private static async Task IdleAgainAsync(WorkerDirectory directory, string id)
    {
        IReadOnlyList<WorkerInfo> workers = [];
        var clock = Stopwatch.StartNew();
        while (!(workers = await directory.ListAsync(CancellationToken.None)).Any(w => w.Id == id && w.State == WorkerInfo.Idle))
        {
            if (clock.Elapsed > TimeSpan.FromSeconds(10))
            {
                Assert.Fail($"Worker {id} did not show idle again within 10 s: {string.Join(", ", workers.Select(w => $"{w.Id} ({w.State})"))}");
            }

            await Task.Delay(20);
        }
    }

    /// <summary>Sends a Run call's Prepare straight to the worker, as a controller of another kind would; returns the refusal.</summary>
    private static async Task<RpcException> PrepareAsync(WorkerClient client, string runId, int protocolVersion)
    {
        using var call = client.Run(WorkerToken.Headers(WorkerProcess.Token));
        await call.RequestStream.WriteAsync(new RunCommand { Prepare = new Prepare { RunId = runId, ProtocolVersion = protocolVersion } });
        try
        {
            await call.ResponseStream.MoveNext(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30));
        }
        catch (RpcException exception)
        {
            return exception;
        }

        throw new AssertionException($"The worker answered {call.ResponseStream.Current} to a Prepare of run {runId} (protocol {protocolVersion}).");
    }

    /// <summary>Writes claims for <paramref name="workerIds"/> as a controller would, under a lease of <paramref name="ttlSeconds"/> nobody keeps alive.</summary>
    private static async Task<long> HoldClaimsAsync(EtcdClient etcd, string prefix, IEnumerable<string> workerIds, string runId, int ttlSeconds)
    {
        var lease = await etcd.LeaseGrantAsync(new LeaseGrantRequest { TTL = ttlSeconds });
        var claim = new WorkerClaim(runId, "ci-pipeline-1/4242", DateTimeOffset.UtcNow).ToJson();
        foreach (var id in workerIds)
        {
            await etcd.PutAsync(new PutRequest { Key = ByteString.CopyFromUtf8(WorkerClaim.Key(prefix, id)), Value = ByteString.CopyFromUtf8(claim), Lease = lease.ID });
        }

        return lease.ID;
    }

    private static async Task<Dictionary<string, WorkerClaim>> ClaimKeysAsync(string url, string prefix)
    {
        using var etcd = Client(url);
        var range = await etcd.GetRangeAsync(WorkerClaim.KeyPrefix(prefix));
        return range.Kvs.ToDictionary(kv => kv.Key.ToStringUtf8(), kv => WorkerClaim.FromJson(kv.Value.ToStringUtf8()));
    }

    private static EtcdClient Client(string url) => new(url, configureChannelOptions: o => o.Credentials = ChannelCredentials.Insecure);
}

/// <summary>An iteration-counted scenario with a known total, for the claim tests: 400 iterations by 10 VUs, one each 50 ms per VU (about 2 s).</summary>
public static class ClaimScenarios
{
    public const int Iterations = 400;

    private static readonly HttpClient Http = new(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5) });

    /// <summary>400 iterations shared by 10 VUs.</summary>
    public static Scenario Counted400() => Scenario.Create("counted")
        .Step("get", async ctx =>
        {
            using var response = await Http.GetAsync(
                Environment.GetEnvironmentVariable(DistributedScenarios.TargetVariable)!.TrimEnd('/') + "/fast", ctx.CancellationToken);
            response.EnsureSuccessStatusCode();
        })
        .WithPacing(TimeSpan.FromMilliseconds(50))
        .WithLoad(Load.SharedIterations(10, Iterations, maxDuration: TimeSpan.FromSeconds(60)))
        .Build();
}
