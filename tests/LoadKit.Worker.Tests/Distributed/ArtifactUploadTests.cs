using System.Text;
using Grpc.Core;
using Grpc.Net.Client;
using LoadKit.Cluster;
using LoadKit.Cluster.Protocol;
using LoadKit.TestTargets;
using WorkerClient = LoadKit.Cluster.Protocol.Worker.WorkerClient;

namespace LoadKit.Worker.Tests.Distributed;

/// <summary>Uploading a test's output folder to a real worker: once per content hash, capped, verified.</summary>
public class ArtifactUploadTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);
    private static readonly Metadata Headers = WorkerToken.Headers(WorkerProcess.Token);

    [Test]
    public void Pack_SameFolderTwice_GivesTheSameHash()
    {
        var folder = NewFolder(("a.dll", 3000), ("sub/b.json", 20));

        var first = Artifact.Pack(folder);
        File.SetLastWriteTimeUtc(Path.Combine(folder, "a.dll"), DateTime.UtcNow.AddDays(-3));
        var second = Artifact.Pack(folder);
        File.AppendAllText(Path.Combine(folder, "sub/b.json"), "!");
        var changed = Artifact.Pack(folder);

        Assert.That(second.Sha256, Is.EqualTo(first.Sha256), "timestamps do not change the hash");
        Assert.That(changed.Sha256, Is.Not.EqualTo(first.Sha256), "contents do");
        Directory.Delete(folder, recursive: true);
    }

    [Test]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public void Pack_ExecutableFile_StaysExecutableWhenExtracted()
    {
        var folder = NewFolder(("tools/node", 100), ("data.json", 10));
        File.SetUnixFileMode(Path.Combine(folder, "tools/node"), UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var extracted = Directory.CreateTempSubdirectory("loadkit-artifact-out-").FullName;

        // As the worker's ArtifactStore extracts what it received.
        System.IO.Compression.ZipFile.ExtractToDirectory(new MemoryStream(Artifact.Pack(folder).Bytes), extracted);

        Assert.That(File.GetUnixFileMode(Path.Combine(extracted, "tools/node")) & UnixFileMode.UserExecute, Is.EqualTo(UnixFileMode.UserExecute));
        Assert.That(File.GetUnixFileMode(Path.Combine(extracted, "data.json")) & UnixFileMode.UserExecute, Is.EqualTo(UnixFileMode.None));
        Directory.Delete(folder, recursive: true);
        Directory.Delete(extracted, recursive: true);
    }

    [Test]
    public async Task UploadAsync_ValidArtifact_IsStoredOnceThenSkipped()
    {
        await using var etcd = await EtcdServer.StartAsync();
        await using var worker = WorkerProcess.Start("--etcd", etcd.Url, "--prefix", "u1");
        var client = await ClientAsync(etcd, "u1");
        var folder = NewFolder(("big.bin", 3 * Artifact.ChunkBytes + 123), ("small.txt", 10));
        var artifact = Artifact.Pack(folder);

        var sent = await artifact.UploadAsync(client, Headers, CancellationToken.None);
        var sentAgain = await artifact.UploadAsync(client, Headers, CancellationToken.None);

        Assert.That((sent, sentAgain), Is.EqualTo((true, false)));
        Assert.That(artifact.Bytes.Length, Is.GreaterThan(3 * Artifact.ChunkBytes), "several chunks");
        Directory.Delete(folder, recursive: true);
    }

    [Test]
    public async Task Upload_CorruptHashOrOverTheCap_IsRefusedClearlyAndTheWorkerThenTakesAValidOne()
    {
        await using var etcd = await EtcdServer.StartAsync();
        await using var worker = WorkerProcess.Start("--etcd", etcd.Url, "--prefix", "u2", "--max-upload-mb", "1");
        var client = await ClientAsync(etcd, "u2");
        var small = Artifact.Pack(NewFolder(("a.bin", 1000)));
        var large = Artifact.Pack(NewFolder(("b.bin", 2 * Artifact.ChunkBytes)));
        var wrongHash = new string('0', 64);

        var unauthorised = Assert.ThrowsAsync<RpcException>(() => small.UploadAsync(client, new Metadata(), CancellationToken.None).WaitAsync(Bound));
        var corrupt = Assert.ThrowsAsync<RpcException>(() => Artifact.SendAsync(client, Headers, wrongHash, small.Bytes, CancellationToken.None).WaitAsync(Bound));
        var oversized = Assert.ThrowsAsync<RpcException>(() => large.UploadAsync(client, Headers, CancellationToken.None).WaitAsync(Bound));

        Assert.That((corrupt!.StatusCode, corrupt.Status.Detail), Is.EqualTo((StatusCode.InvalidArgument,
            $"The artifact's bytes hash to {small.Sha256}, not the declared {wrongHash}: it was corrupted or tampered with; refused.")));
        Assert.That(oversized!.StatusCode, Is.EqualTo(StatusCode.ResourceExhausted));
        Assert.That(oversized.Status.Detail, Does.Match(@"^The artifact is 2(\.\d+)? MiB; worker \S+ accepts at most 1 MiB \(--max-upload-mb\)\.$"));
        Assert.That(unauthorised!.StatusCode, Is.EqualTo(StatusCode.Unauthenticated));
        // A new channel: the next call on the connection whose stream the worker reset can fail as Internal (open finding).
        var again = await ClientAsync(etcd, "u2");
        Assert.That(await small.UploadAsync(again, Headers, CancellationToken.None), Is.True, "the same worker takes a valid upload next");
    }

    private static async Task<WorkerClient> ClientAsync(EtcdServer etcd, string prefix)
    {
        using var directory = new WorkerDirectory([new Uri(etcd.Url)], prefix);
        var info = (await directory.WaitForIdleAsync(1, Bound, CancellationToken.None)).Single();
        return new WorkerClient(GrpcChannel.ForAddress(info.Address));
    }

    private static string NewFolder(params (string Name, int Bytes)[] files)
    {
        var folder = Directory.CreateTempSubdirectory("loadkit-artifact-").FullName;
        var random = new Random(files.Length);
        foreach (var (name, bytes) in files)
        {
            var path = Path.Combine(folder, name);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            var content = new byte[bytes];
            random.NextBytes(content);
            File.WriteAllBytes(path, content);
        }

        return folder;
    }
}
