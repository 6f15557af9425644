using System.Diagnostics;
using dotnet_etcd;
using Grpc.Core;
using Grpc.Net.Client;
using LoadKit.Cluster;
using LoadKit.Cluster.Protocol;
using LoadKit.TestTargets;
using WorkerClient = LoadKit.Cluster.Protocol.Worker.WorkerClient;

namespace LoadKit.Worker.Tests;

/// <summary>Real worker processes against a real etcd server on 127.0.0.1.</summary>
public class RegistrationTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(20);

    [Test]
    public async Task Start_WithEtcd_RegistersIdleWithItsAddressAndAnswersPing()
    {
        await using var etcd = await EtcdServer.StartAsync();
        await using var worker = WorkerProcess.Start("--etcd", etcd.Url, "--prefix", "t1", "--label", "zone=a");

        var info = (await WaitForWorkersAsync(etcd, "t1", count: 1)).Single();

        Assert.That(info.Address, Does.Match(@"^http://127\.0\.0\.1:\d+$"));
        Assert.That((info.State, info.Cores, info.Labels["zone"]), Is.EqualTo((WorkerInfo.Idle, Environment.ProcessorCount, "a")));
        var before = DateTime.UtcNow;
        var reply = await Client(info.Address).PingAsync(new PingRequest(), WorkerToken.Headers(WorkerProcess.Token));
        Assert.That(reply.WorkerId, Is.EqualTo(info.Id));
        Assert.That(new DateTime(reply.WorkerUtcTicks, DateTimeKind.Utc), Is.InRange(before, DateTime.UtcNow));
    }

    [Test]
    public async Task Ping_WithoutOrWithAWrongToken_IsRefusedAndTheWorkerStaysAvailable()
    {
        await using var etcd = await EtcdServer.StartAsync();
        await using var worker = WorkerProcess.Start("--etcd", etcd.Url, "--prefix", "t2");
        var client = Client((await WaitForWorkersAsync(etcd, "t2", count: 1)).Single().Address);

        var none = Assert.ThrowsAsync<RpcException>(async () => await client.PingAsync(new PingRequest()));
        var wrong = Assert.ThrowsAsync<RpcException>(async () => await client.PingAsync(new PingRequest(), WorkerToken.Headers("not-the-token-at-all")));

        Assert.That((none!.StatusCode, none.Status.Detail), Is.EqualTo((StatusCode.Unauthenticated,
            "No token: send 'authorization: Bearer <token>' with the worker's shared token.")));
        Assert.That((wrong!.StatusCode, wrong.Status.Detail), Is.EqualTo((StatusCode.Unauthenticated, "Wrong token for this worker.")));
        Assert.That((await client.PingAsync(new PingRequest(), WorkerToken.Headers(WorkerProcess.Token))).WorkerId, Is.Not.Empty);
    }

    [Test]
    public async Task Sigterm_RevokesTheLeaseAndExitsZero()
    {
        await using var etcd = await EtcdServer.StartAsync();
        await using var worker = WorkerProcess.Start("--etcd", etcd.Url, "--prefix", "t3", "--lease-seconds", "30");
        await WaitForWorkersAsync(etcd, "t3", count: 1);

        worker.Terminate();
        var exitCode = await worker.WaitForExitAsync(Bound);

        Assert.That(exitCode, Is.Zero);
        // The lease lasts 30 s: the key is gone at once only because the worker revoked it.
        Assert.That(await WorkersAsync(etcd, "t3"), Is.Empty);
        Assert.That(worker.Output, Does.Contain("Revoked lease"));
    }

    [Test]
    public async Task Sigkill_TheKeyVanishesWhenTheLeaseExpires()
    {
        await using var etcd = await EtcdServer.StartAsync();
        await using var worker = WorkerProcess.Start("--etcd", etcd.Url, "--prefix", "t4", "--lease-seconds", "2");
        await WaitForWorkersAsync(etcd, "t4", count: 1);

        worker.KillHard();
        var clock = Stopwatch.StartNew();
        await WaitForWorkersAsync(etcd, "t4", count: 0);

        Assert.That(clock.Elapsed, Is.LessThan(TimeSpan.FromSeconds(5)));
    }

    [Test]
    public async Task Start_EtcdNotThereYet_SaysWhichEndpointItTriedAndRegistersOnceEtcdIsUp()
    {
        var port = EtcdServer.FreePort();
        await using var worker = WorkerProcess.Start("--etcd", $"http://127.0.0.1:{port}", "--prefix", "t5");

        var complaint = await worker.WaitForOutputAsync("did not answer", Bound);
        await using var etcd = await EtcdServer.StartAsync(clientPort: port);
        var info = await WaitForWorkersAsync(etcd, "t5", count: 1);

        Assert.That(complaint, Does.Contain($"etcd at http://127.0.0.1:{port}/ did not answer"));
        Assert.That(info.Single().State, Is.EqualTo(WorkerInfo.Idle));
    }

    [Test]
    public async Task Start_BadOptions_ExitsWithCodeTwoNamingEveryProblem()
    {
        await using var worker = WorkerProcess.StartWithToken("short", "--listen", "localhost", "--lease-seconds", "0", "--bogus", "1");

        var exitCode = await worker.WaitForExitAsync(Bound);

        Assert.That(exitCode, Is.EqualTo(2));
        Assert.That(worker.Output, Does.Contain("--listen 'localhost': not an address; allowed: IP:PORT"));
        Assert.That(worker.Output, Does.Contain("--lease-seconds '0': allowed: a whole number from 1 to 60."));
        Assert.That(worker.Output, Does.Contain("--bogus: unknown option"));
        Assert.That(worker.Output, Does.Contain("--etcd: missing"));
        Assert.That(worker.Output, Does.Contain("LOADKIT_WORKER_TOKEN: 5 characters; allowed: at least 16."));
    }

    private static WorkerClient Client(string address) =>
        new(GrpcChannel.ForAddress(address));

    private static async Task<IReadOnlyList<WorkerInfo>> WorkersAsync(EtcdServer etcd, string prefix)
    {
        using var client = new EtcdClient(etcd.Url, configureChannelOptions: o => o.Credentials = ChannelCredentials.Insecure);
        var range = await client.GetRangeAsync($"/{prefix}/workers/", deadline: DateTime.UtcNow.AddSeconds(5));
        return range.Kvs.Select(kv => WorkerInfo.FromJson(kv.Value.ToStringUtf8())).ToArray();
    }

    /// <summary>Waits until exactly <paramref name="count"/> workers are registered under the prefix (bounded).</summary>
    private static async Task<IReadOnlyList<WorkerInfo>> WaitForWorkersAsync(EtcdServer etcd, string prefix, int count)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            var workers = await WorkersAsync(etcd, prefix);
            if (workers.Count == count)
            {
                return workers;
            }

            if (clock.Elapsed > Bound)
            {
                throw new TimeoutException($"{workers.Count} workers registered under /{prefix}/workers/ after {Bound}, not {count}.");
            }

            await Task.Delay(50);
        }
    }
}
