using dotnet_etcd;
using Grpc.Core;
using LoadKit.Cluster;
using LoadKit.TestTargets;

namespace LoadKit.Worker.Tests.Distributed;

/// <summary>The watch that wakes a controller's waits (idle workers, claims) and the control page's workers table, against a real etcd.</summary>
[NonParallelizable] // one test replaces the process's standard error
public class PrefixWatchTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);

    [Test]
    public async Task Changes_UnderThePrefix_WakeIt_AndAfterEtcdRestartsItWakesAgainAndWatchesOn()
    {
        await using var etcdServer = await EtcdServer.StartAsync();
        using var etcd = new EtcdClient(etcdServer.Url, configureChannelOptions: o => o.Credentials = ChannelCredentials.Insecure);
        var wakes = 0;
        await using var watch = await PrefixWatch.StartAsync(new EtcdAccess([new Uri(etcdServer.Url)]), "/pw/", () => Interlocked.Increment(ref wakes), CancellationToken.None);

        await etcd.PutAsync("/pw/a", "1");
        await Eventually.UntilAsync(() => Volatile.Read(ref wakes) >= 1, Bound, () => "a change under the prefix did not wake the watch");

        // Counted before the restart: the watch may reconnect (and wake its owner) before RestartAsync returns.
        var beforeRestart = Volatile.Read(ref wakes);
        await etcdServer.RestartAsync();
        await Eventually.UntilAsync(() => Volatile.Read(ref wakes) > beforeRestart, Bound,
            () => "the watch did not wake its owner once it watched again (changes during the outage would be missed)");
        var watching = Volatile.Read(ref wakes);
        await etcd.PutAsync("/pw/b", "2");
        await Eventually.UntilAsync(() => Volatile.Read(ref wakes) > watching, Bound, () => "a change after the restart did not wake the watch");
    }

    [Test]
    public async Task DisposeAsync_WhileChangesArrive_EndsQuietly_NothingOnStandardError()
    {
        await using var etcdServer = await EtcdServer.StartAsync();
        using var etcd = new EtcdClient(etcdServer.Url, configureChannelOptions: o => o.Credentials = ChannelCredentials.Insecure);
        var access = new EtcdAccess([new Uri(etcdServer.Url)]);
        var errors = new StringWriter();
        var standardError = Console.Error;
        Console.SetError(errors);
        var wakes = 0;
        try
        {
            for (var round = 0; round < 20; round++)
            {
                var watch = await PrefixWatch.StartAsync(access, "/quiet/", () => Interlocked.Increment(ref wakes), CancellationToken.None);
                var puts = Enumerable.Range(0, 10).Select(i => etcd.PutAsync($"/quiet/{round}-{i}", "x")).ToArray();
                await Task.WhenAll(puts);
                await watch.DisposeAsync(); // events of the puts are still arriving
            }
        }
        finally
        {
            Console.SetError(standardError);
        }

        Assert.That(errors.ToString(), Is.Empty, "what the watches printed to standard error");
        Assert.That(wakes, Is.GreaterThan(0), "the watches saw the changes");
    }
}
