using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using Grpc.Core;
using Grpc.Net.Client;
using LoadKit.Cluster;
using LoadKit.Cluster.Protocol;
using LoadKit.TestTargets;
using WorkerClient = LoadKit.Cluster.Protocol.Worker.WorkerClient;

namespace LoadKit.Worker.Tests.Distributed;

/// <summary>
/// A worker that serves many teams keeps its disk in check: hostile uploads (zip bombs, entries that leave the folder)
/// are refused and leave nothing; the unpacked artifacts form a cache bounded by count and bytes, least recently used
/// evicted first, never one a run is using. All through real worker processes and the real gRPC upload.
/// </summary>
public class WorkerHygieneTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);
    private static readonly Metadata Headers = WorkerToken.Headers(WorkerProcess.Token);

    [Test]
    public async Task Upload_UnpacksBeyondTheCap_IsRefusedNamingTheSettingAndLeavesNothing()
    {
        var store = NewFolder();
        await using var etcd = await EtcdServer.StartAsync();
        await using var worker = WorkerProcess.Start("--etcd", etcd.Url, "--prefix", "h1", "--max-unpacked-mb", "1", "--artifacts-dir", store);
        var client = await ClientAsync(etcd, "h1");

        // 8 MiB of zeros compress to a few KiB: far under the upload cap, far over the unpacked one.
        var honest = Zip(("readme.txt", Encoding.UTF8.GetBytes("hello")), ("zeros.bin", new byte[8 * 1024 * 1024]));
        // 3 MiB stored as they are, whose headers claim 1,000 bytes: only counting what is written finds them.
        var lying = DeclareSizes(Zip(CompressionLevel.NoCompression, ("zeros.bin", new byte[3 * 1024 * 1024], 0)), "zeros.bin", 1000);

        var refused = await RefusalAsync(client, honest);
        var refusedLying = await RefusalAsync(await ClientAsync(etcd, "h1"), lying);

        TestContext.Out.WriteLine($"zip {honest.Length} bytes; refused: {refused.Status.Detail}");
        TestContext.Out.WriteLine($"lying zip {lying.Length} bytes; refused: {refusedLying.Status.Detail}");
        Assert.That(honest.Length, Is.LessThan(64 * 1024));
        Assert.That(refused.StatusCode, Is.EqualTo(StatusCode.ResourceExhausted));
        Assert.That(refused.Status.Detail, Is.EqualTo(
            $"artifact {Sha(honest)[..12]}…: unpacked size exceeds LOADKIT_WORKER_MAX_UNPACKED_MB = 1 (MB, --max-unpacked-mb): its entries declare 8 MiB; refused."));
        Assert.That(refusedLying.StatusCode, Is.EqualTo(StatusCode.ResourceExhausted));
        Assert.That(refusedLying.Status.Detail, Is.EqualTo(
            $"artifact {Sha(lying)[..12]}…: unpacked size exceeds LOADKIT_WORKER_MAX_UNPACKED_MB = 1 (MB, --max-unpacked-mb) while writing 'zeros.bin', although its entries declare 1,000 bytes; refused."));
        Assert.That(Stored(store), Is.Empty, "nothing is left of the refused uploads");
        Assert.That(BytesIn(store), Is.LessThan(100), "only the lock file");

        // A compressed bomb whose headers lie is cut at the size they declare by .NET's reader: no bomb either.
        var lyingCompressed = DeclareSizes(honest, "zeros.bin", 1000);
        await Artifact.SendAsync(await ClientAsync(etcd, "h1"), Headers, Sha(lyingCompressed), lyingCompressed, CancellationToken.None).WaitAsync(Bound);
        TestContext.Out.WriteLine($"lying compressed zip {lyingCompressed.Length} bytes: taken, {BytesIn(store)} bytes in the store");
        Assert.That(BytesIn(store), Is.LessThan(2000 + 100));

        var valid = Zip(("a.txt", Encoding.UTF8.GetBytes("fine")));
        Assert.That((await Artifact.SendAsync(await ClientAsync(etcd, "h1"), Headers, Sha(valid), valid, CancellationToken.None).WaitAsync(Bound)).Bytes,
            Is.EqualTo(valid.Length), "the worker takes a valid upload next");
        Assert.That(Stored(store), Does.Contain(Sha(valid)));
        Assert.That(worker.HasExited, Is.False);
    }

    [Test]
    public async Task Upload_EntriesLeavingTheFolderOrTooMany_AreRefusedAndNothingIsWritten()
    {
        var root = NewFolder();
        var store = Path.Combine(root, "store");
        await using var etcd = await EtcdServer.StartAsync();
        await using var worker = WorkerProcess.Start("--etcd", etcd.Url, "--prefix", "h2", "--artifacts-dir", store, "--max-entries", "10");
        var client = await ClientAsync(etcd, "h2");
        var content = Encoding.UTF8.GetBytes("pwned");

        var dotDot = await RefusalAsync(client, Zip(("ok.txt", content), ("../evil.txt", content)));
        var deep = await RefusalAsync(await ClientAsync(etcd, "h2"), Zip(("sub/../../evil.txt", content)));
        var absolute = await RefusalAsync(await ClientAsync(etcd, "h2"), Zip(("/tmp/loadkit-evil-" + Guid.NewGuid().ToString("N") + ".txt", content)));
        var backslash = await RefusalAsync(await ClientAsync(etcd, "h2"), Zip(("..\\evil.txt", content)));
        var link = await RefusalAsync(await ClientAsync(etcd, "h2"), Zip(("link", Encoding.UTF8.GetBytes("/etc/passwd"), 0xA1FF)));
        var many = Zip([.. Enumerable.Range(0, 11).Select(i => ($"f{i}.txt", content, 0))]);
        var tooMany = await RefusalAsync(await ClientAsync(etcd, "h2"), many);

        foreach (var refusal in new[] { dotDot, deep, absolute, backslash, link, tooMany })
        {
            TestContext.Out.WriteLine($"{refusal.StatusCode}: {refusal.Status.Detail}");
        }

        Assert.Multiple(() =>
        {
            Assert.That((dotDot.StatusCode, dotDot.Status.Detail), Is.EqualTo((StatusCode.InvalidArgument,
                $"artifact {Sha(Zip(("ok.txt", content), ("../evil.txt", content)))[..12]}…: entry '../evil.txt' has a '..' segment: it would not stay inside the folder it is unpacked into; refused.")));
            Assert.That(deep.Status.Detail, Does.Contain("entry 'sub/../../evil.txt' has a '..' segment"));
            Assert.That(absolute.Status.Detail, Does.Contain("has an absolute path"));
            Assert.That(backslash.Status.Detail, Does.Contain("has a backslash"));
            Assert.That(link.Status.Detail, Does.Contain("entry 'link' has a symbolic link"));
            Assert.That(new[] { deep, absolute, backslash, link }.Select(r => r.StatusCode), Is.All.EqualTo(StatusCode.InvalidArgument));
            Assert.That((tooMany.StatusCode, tooMany.Status.Detail), Is.EqualTo((StatusCode.ResourceExhausted,
                $"artifact {Sha(many)[..12]}…: 11 entries exceed LOADKIT_WORKER_MAX_ENTRIES = 10 (--max-entries); refused.")));
        });
        Assert.That(File.Exists(Path.Combine(root, "evil.txt")), Is.False, "nothing beside the store");
        Assert.That(Directory.EnumerateFiles("/tmp", "loadkit-evil-*"), Is.Empty, "nothing at the absolute path");
        Assert.That(Stored(store), Is.Empty, "nothing in the store");
        Assert.That(Directory.EnumerateFileSystemEntries(store).Select(Path.GetFileName), Is.EqualTo(new[] { ".loadkit-worker.lock" }));
        Assert.That(worker.HasExited, Is.False);
    }

    /// <summary>20 uploads of different artifacts; the bound that binds is the count (first case) or the bytes (second).</summary>
    [TestCase(5, 100, 300_000, 5)]
    [TestCase(100, 2, 700_000, 2)]
    public async Task TwentyUploads_SmallCache_StayWithinTheBoundAndKeepTheNewest(int maxArtifacts, int maxMegabytes, int artifactBytes, int expectedKept)
    {
        var store = NewFolder();
        await using var etcd = await EtcdServer.StartAsync();
        string[] Arguments() => ["--etcd", etcd.Url, "--prefix", "h3", "--artifacts-dir", store, "--cache-artifacts", $"{maxArtifacts}", "--cache-mb", $"{maxMegabytes}"];
        var worker = WorkerProcess.Start(Arguments());
        var shas = new List<string>();
        try
        {
            var client = await ClientAsync(etcd, "h3");
            var peak = (Bytes: 0L, Count: 0);
            for (var i = 0; i < 20; i++)
            {
                var zip = Zip(($"run{i}/Tests.dll", Random(i, artifactBytes)));
                await Artifact.SendAsync(client, Headers, Sha(zip), zip, CancellationToken.None).WaitAsync(Bound);
                shas.Add(Sha(zip));
                peak = (Math.Max(peak.Bytes, BytesIn(store)), Math.Max(peak.Count, Stored(store).Count));
            }

            var kept = Stored(store);
            TestContext.Out.WriteLine($"after 20 uploads of {artifactBytes} bytes: {kept.Count} artifacts, {BytesIn(store)} bytes kept; peak after an upload {peak.Count} artifacts, {peak.Bytes} bytes");
            Assert.That(peak.Count, Is.LessThanOrEqualTo(maxArtifacts));
            Assert.That(peak.Bytes, Is.LessThanOrEqualTo(maxMegabytes * 1024L * 1024));
            Assert.That(kept, Is.EquivalentTo(shas.TakeLast(expectedKept)), "the newest stay");
            Assert.That((await client.HasArtifactAsync(new ArtifactQuery { Sha256 = shas[^1] }, Headers)).Present, Is.True);
            Assert.That((await client.HasArtifactAsync(new ArtifactQuery { Sha256 = shas[0] }, Headers)).Present, Is.False);

            // Restarted on the same folder, the worker still holds them, in the same order of use: the oldest kept one,
            // asked for now, becomes the newest, so the next upload evicts the second oldest.
            worker.Terminate();
            await worker.WaitForExitAsync(Bound);
            await worker.DisposeAsync();
            worker = WorkerProcess.Start(Arguments());
            var restarted = await ClientAsync(etcd, "h3");
            var oldest = shas[^expectedKept];
            Assert.That((await restarted.HasArtifactAsync(new ArtifactQuery { Sha256 = oldest }, Headers)).Present, Is.True, "kept across the restart");
            var next = Zip(("next/Tests.dll", Random(100, artifactBytes)));
            await Artifact.SendAsync(restarted, Headers, Sha(next), next, CancellationToken.None).WaitAsync(Bound);

            var afterRestart = Stored(store);
            Assert.That(afterRestart, Does.Contain(oldest).And.Contain(Sha(next)));
            Assert.That(afterRestart, Has.Count.EqualTo(expectedKept));
            if (expectedKept > 2)
            {
                Assert.That(afterRestart, Does.Not.Contain(shas[^(expectedKept - 1)]), "the least recently used went");
            }

            Assert.That(await worker.WaitForOutputAsync("evicted", Bound), Does.Contain("Artifact "));
        }
        finally
        {
            await worker.DisposeAsync();
        }
    }

    [Test]
    public async Task ArtifactInUseByARunningRun_SurvivesEviction()
    {
        var store = NewFolder();
        await using var cluster = await Cluster.StartAsync(1, _ => ["--artifacts-dir", store, "--cache-artifacts", "1"]);
        var client = await ClientAsync(cluster.Etcd, cluster.Prefix);

        var running = LoadRunner.RunAsync([DistributedScenarios.Steady600], cluster.Options());
        await cluster.WaitForRequestsAsync(600, TimeSpan.FromSeconds(60));
        var inUse = Stored(store).Single();
        for (var i = 0; i < 3; i++)
        {
            var zip = Zip(($"other{i}.dll", Random(i, 100_000)));
            await Artifact.SendAsync(client, Headers, Sha(zip), zip, CancellationToken.None).WaitAsync(Bound);
            Assert.That(Stored(store), Does.Contain(inUse), $"after upload {i + 1} during the run");
        }

        var result = await running.WaitAsync(TimeSpan.FromSeconds(90));

        var step = result.GetStep("get");
        TestContext.Out.WriteLine($"run: {step.Ok} ok, {step.Failed} failed; kept: {string.Join(", ", Stored(store).Select(s => s[..12]))}");
        Assert.That(result.Workers.Single().Lost, Is.Null);
        Assert.That(step.Ok + result.GetScenario("steady").Dropped, Is.EqualTo(7200), "every arrival ran or was counted as dropped");
        Assert.That(step.Failed + step.TimedOut, Is.Zero);
        Assert.That(Stored(store), Does.Contain(inUse), "the artifact a run loaded last stays");
        Assert.That(Stored(store), Has.Count.LessThanOrEqualTo(2), "the cache evicted the others: the newest and the run's are kept");
    }

    private static Task<RpcException> RefusalAsync(WorkerClient client, byte[] zip) =>
        Task.FromResult(Assert.ThrowsAsync<RpcException>(() => Artifact.SendAsync(client, Headers, Sha(zip), zip, CancellationToken.None).WaitAsync(Bound))!);

    /// <summary>The artifacts the store holds: its folders named by a SHA-256.</summary>
    private static List<string> Stored(string store) =>
        [.. Directory.EnumerateDirectories(store).Select(Path.GetFileName).Where(n => n!.Length == 64 && n.All(char.IsAsciiHexDigitLower)).Select(n => n!)];

    /// <summary>The bytes of every file under <paramref name="store"/>, whatever its name.</summary>
    private static long BytesIn(string store) => new DirectoryInfo(store).EnumerateFiles("*", SearchOption.AllDirectories).Sum(f => f.Length);

    private static byte[] Zip(params (string Name, byte[] Content)[] entries) => Zip(CompressionLevel.Optimal, [.. entries.Select(e => (e.Name, e.Content, 0))]);

    private static byte[] Zip(params (string Name, byte[] Content, int Mode)[] entries) => Zip(CompressionLevel.Optimal, entries);

    /// <summary>A zip of the entries; a non-zero mode is stored as the entry's Unix mode (0xA1FF: a symbolic link).</summary>
    private static byte[] Zip(CompressionLevel level, params (string Name, byte[] Content, int Mode)[] entries)
    {
        using var buffer = new MemoryStream();
        using (var zip = new ZipArchive(buffer, ZipArchiveMode.Create, leaveOpen: true))
        {
            foreach (var (name, content, mode) in entries)
            {
                var entry = zip.CreateEntry(name, level);
                entry.LastWriteTime = new DateTimeOffset(2000, 1, 1, 0, 0, 0, TimeSpan.Zero);
                if (mode != 0)
                {
                    entry.ExternalAttributes = mode << 16;
                }

                using var stream = entry.Open();
                stream.Write(content);
            }
        }

        return buffer.ToArray();
    }

    /// <summary>Rewrites the uncompressed size that the local header and the central directory declare for an entry.</summary>
    private static byte[] DeclareSizes(byte[] zip, string entryName, int uncompressed)
    {
        var bytes = (byte[])zip.Clone();
        var name = Encoding.UTF8.GetBytes(entryName);
        for (var i = 0; i + 4 < bytes.Length; i++)
        {
            var signature = BitConverter.ToUInt32(bytes, i);
            var (sizeAt, nameLengthAt, nameAt) = signature switch
            {
                0x04034b50 => (22, 26, 30), // local file header
                0x02014b50 => (24, 28, 46), // central directory header
                _ => (-1, 0, 0),
            };
            if (sizeAt > 0 && i + nameAt + name.Length <= bytes.Length && BitConverter.ToUInt16(bytes, i + nameLengthAt) == name.Length
                && bytes.AsSpan(i + nameAt, name.Length).SequenceEqual(name))
            {
                BitConverter.TryWriteBytes(bytes.AsSpan(i + sizeAt, 4), uncompressed);
            }
        }

        return bytes;
    }

    private static byte[] Random(int seed, int bytes)
    {
        var content = new byte[bytes];
        new Random(seed).NextBytes(content);
        return content;
    }

    private static string Sha(byte[] bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));

    private static async Task<WorkerClient> ClientAsync(EtcdServer etcd, string prefix)
    {
        using var directory = new WorkerDirectory([new Uri(etcd.Url)], prefix);
        var info = (await directory.WaitForIdleAsync(1, Bound, CancellationToken.None)).Single();
        return new WorkerClient(GrpcChannel.ForAddress(info.Address));
    }

    private readonly List<string> _folders = [];

    [TearDown]
    public void DeleteFolders()
    {
        foreach (var folder in _folders)
        {
            Directory.Delete(folder, recursive: true);
        }

        _folders.Clear();
    }

    private string NewFolder()
    {
        var folder = Directory.CreateTempSubdirectory("loadkit-hygiene-").FullName;
        _folders.Add(folder);
        return folder;
    }
}
