using LoadKit.Cluster;
using LoadKit.TestTargets;

namespace LoadKit.Worker.Tests.Distributed;

/// <summary>
/// A controller that pins its workers (an authority, thumbprints, identities) uses only workers whose certificate
/// passes: anyone who can write to etcd can register an address, and nothing (no upload, no token) goes to it.
/// </summary>
public class WorkerPinningTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(90);

    [Test]
    public async Task Run_PinnedWorkers_OnlyAWorkerThatPassesIsUsedAndTheOthersAreSentNothing()
    {
        using var certificates = TestCertificates.Create();
        var team = certificates.Issue("team-worker", "worker-a");
        var rogue = certificates.SelfSigned("rogue-worker", "rogue");
        var rogueArtifacts = Directory.CreateTempSubdirectory("loadkit-rogue-").FullName;
        string[][] arguments =
        [
            ["--tls-cert", team.Certificate, "--tls-key", team.Key],
            ["--tls-cert", rogue.Certificate, "--tls-key", rogue.Key, "--artifacts-dir", rogueArtifacts],
            [], // plaintext on loopback
        ];
        await using var cluster = await Cluster.StartAsync(3, i => arguments[i]);
        using var directory = new WorkerDirectory([new Uri(cluster.Etcd.Url)], cluster.Prefix);
        var registered = await directory.WaitForIdleAsync(3, Bound, CancellationToken.None);
        string AddressOf(WorkerProcess worker) => registered.Single(w => w.Id.Contains($"-{worker.ProcessId}-", StringComparison.Ordinal)).Address;
        var (teamWorker, rogueWorker, plainWorker) = (cluster.Workers[0], cluster.Workers[1], cluster.Workers[2]);

        // One worker wanted; the authority pins: only the team's worker may get the token.
        var byAuthority = await RunOnOneAsync(cluster, o => o with { TlsCa = certificates.AuthorityFile });
        var (rogueFolders, rogueOutput) = (Directory.GetDirectories(rogueArtifacts), rogueWorker.Output);

        // Pinned by thumbprint: the self-signed worker, whatever its chain (all three idle again, so all are checked).
        await directory.WaitForIdleAsync(3, Bound, CancellationToken.None);
        var byThumbprint = await RunOnOneAsync(cluster, o => o with { WorkerThumbprints = [TestCertificates.Sha256(rogue.Certificate)] });

        // An identity nobody has: no worker passes, and the wait's error says why for each.
        await directory.WaitForIdleAsync(3, Bound, CancellationToken.None);
        var none = Assert.ThrowsAsync<DistributedRunException>(() => RunOnOneAsync(
            cluster, o => o with { TlsCa = certificates.AuthorityFile, WorkerIdentities = ["worker-z"], WorkerWait = TimeSpan.FromSeconds(2) }));

        TestContext.Out.WriteLine(string.Join(Environment.NewLine, [.. byAuthority.Notes, .. byThumbprint.Notes, none!.Message]));
        Assert.That(byAuthority.Workers.Single().Address, Is.EqualTo(AddressOf(teamWorker)));
        Assert.That(byAuthority.GetStep("get").Ok, Is.EqualTo(200));
        Assert.That(byAuthority.Notes, Has.One.StartsWith($"Worker {Id(rogueWorker)} at {AddressOf(rogueWorker)} was not used: its certificate ('CN=rogue' issued by 'CN=rogue'")
            .And.Contains($"does not chain to LOADKIT_TLS_CA = '{certificates.AuthorityFile}'"));
        Assert.That(byAuthority.Notes, Has.One.EqualTo($"Worker {Id(plainWorker)} at {AddressOf(plainWorker)} was not used: it registered a plaintext address " +
            $"({AddressOf(plainWorker)}), and this controller pins its workers (LOADKIT_TLS_CA): it uses only a worker whose TLS certificate passes. Nothing was sent to it."));

        Assert.That(byThumbprint.Workers.Single().Address, Is.EqualTo(AddressOf(rogueWorker)));
        Assert.That(byThumbprint.Notes, Has.One.Contains($"Worker {Id(teamWorker)} at {AddressOf(teamWorker)} was not used: its certificate ('CN=worker-a'")
            .And.Contains("is not one of LOADKIT_WORKER_THUMBPRINTS"));

        Assert.That(none.Message, Does.Contain("found 0 idle and unclaimed of 3 registered; not trusted with the token (nothing was sent to them):")
            .And.Contain($"{AddressOf(teamWorker)}: its certificate ('CN=worker-a' issued by 'CN=loadkit-test-ca'")
            .And.Contain("names worker-a, none of LOADKIT_WORKER_IDENTITIES (worker-z)"));

        // Refused at its handshake, the rogue worker got no upload and no run, until the thumbprint run pinned it.
        Assert.That((rogueFolders, rogueOutput.Contains("Run ", StringComparison.Ordinal)), Is.EqualTo((Array.Empty<string>(), false)));
        Assert.That(Directory.GetDirectories(rogueArtifacts), Is.Not.Empty, "the thumbprint run uploaded to it");
        Assert.That(plainWorker.Output, Does.Not.Contain("Run "), "the plaintext worker never got a call");
        Directory.Delete(rogueArtifacts, recursive: true);

        string Id(WorkerProcess worker) => registered.Single(w => w.Address == AddressOf(worker)).Id;
    }

    private static Task<LoadResult> RunOnOneAsync(Cluster cluster, Func<ClusterOptions, ClusterOptions> pins) =>
        LoadRunner.RunAsync([DistributedScenarios.Short], cluster.Options(change: o => pins(new ClusterOptions(o.Etcd, 1, o.Token)
        {
            Prefix = o.Prefix,
            WorkerWait = o.WorkerWait,
            Forward = o.Forward,
        }))).WaitAsync(Bound);
}
