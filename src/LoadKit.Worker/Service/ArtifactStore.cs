using System.Globalization;
using System.Security.Cryptography;
using System.Text.RegularExpressions;
using Grpc.Core;
using LoadKit.Cluster.Protocol;

namespace LoadKit.Worker.Service;

/// <summary>
/// The artifacts this worker holds, by SHA-256, each unpacked into a folder of its own. An upload is written to a
/// temporary file and kept only when its size is within the cap, its bytes hash to what was declared and it unpacks
/// safely (<see cref="ArtifactUnpacker"/>); anything else is refused with a reason, and the worker stays as it was.
/// The folders form a cache bounded by count and bytes: after each upload the least recently used (uploaded, asked
/// for or loaded by a run) go, never the newest, the one a run loaded last, nor one whose files this process holds.
/// Last use is each folder's last-write time, so a worker with <c>--artifacts-dir</c> keeps its order across restarts.
/// </summary>
internal sealed partial class ArtifactStore : IDisposable
{
    public const string LockFileName = ".loadkit-worker.lock";

    private readonly WorkerOptions _options;
    private readonly WorkerIdentity _identity;
    private readonly ILogger<ArtifactStore> _logger;
    private readonly string _folder;
    private readonly FileStream? _lock;
    private readonly Lock _gate = new();
    private readonly Dictionary<string, Held> _held = new(StringComparer.Ordinal);
    private string? _lastLoaded;

    public ArtifactStore(WorkerOptions options, WorkerIdentity identity, ILogger<ArtifactStore> logger)
    {
        (_options, _identity, _logger) = (options, identity, logger);
        if (options.ArtifactsDirectory is { } persistent)
        {
            _folder = Directory.CreateDirectory(persistent).FullName;
            _lock = LockFolder(_folder);
            Recover();
        }
        else
        {
            _folder = Directory.CreateTempSubdirectory($"loadkit-worker-{Environment.ProcessId}-").FullName;
        }
    }

    /// <summary>The folder the artifacts are unpacked into (one subfolder per SHA-256).</summary>
    public string Folder => _folder;

    /// <summary>Takes the folder for this process: another worker using it would evict this one's artifacts.</summary>
    /// <exception cref="IOException">Another process holds it; the message names the lock file.</exception>
    public static FileStream LockFolder(string folder)
    {
        var path = Path.Combine(folder, LockFileName);
        try
        {
            var stream = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            stream.SetLength(0);
            stream.Write(System.Text.Encoding.ASCII.GetBytes(Environment.ProcessId.ToString(CultureInfo.InvariantCulture)));
            stream.Flush();
            return stream;
        }
        catch (IOException exception) when (exception is not (FileNotFoundException or DirectoryNotFoundException))
        {
            throw new IOException($"another worker uses this folder (it holds {LockFileName}); give each worker a folder of its own.", exception);
        }
    }

    /// <summary>Whether the worker holds the artifact; asking counts as a use, since a run of it is likely to follow.</summary>
    public bool Has(string sha256)
    {
        if (!IsSha256(sha256))
        {
            return false;
        }

        lock (_gate)
        {
            return Touch(sha256);
        }
    }

    /// <summary>The artifact's files, unpacked when it was uploaded; the run that asks is its latest use.</summary>
    /// <exception cref="RpcException">FailedPrecondition: the worker does not hold that artifact.</exception>
    public string FolderOf(string sha256)
    {
        lock (_gate)
        {
            if (!IsSha256(sha256) || !Touch(sha256))
            {
                throw new RpcException(new Status(StatusCode.FailedPrecondition,
                    $"Worker {_identity.Id} holds no artifact with sha256 '{sha256}': upload it before the run."));
            }

            _lastLoaded = sha256;
            return Path.Combine(_folder, sha256);
        }
    }

    public async Task<UploadReply> ReceiveAsync(IAsyncStreamReader<ArtifactChunk> chunks, CancellationToken cancellationToken)
    {
        if (!await chunks.MoveNext(cancellationToken).ConfigureAwait(false))
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, "The upload was empty; the first chunk must declare sha256 and total_bytes."));
        }

        var declared = chunks.Current.Sha256;
        var size = chunks.Current.TotalBytes;
        if (!IsSha256(declared))
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, $"The upload declares sha256 '{declared}'; allowed: 64 lowercase hex digits."));
        }

        if (size < 0 || size > _options.MaxUploadBytes)
        {
            throw new RpcException(new Status(StatusCode.ResourceExhausted,
                $"The artifact is {Megabytes(size)} MiB; worker {_identity.Id} accepts at most {Megabytes(_options.MaxUploadBytes)} MiB (--max-upload-mb)."));
        }

        var unique = Guid.NewGuid().ToString("N");
        var temporary = Path.Combine(_folder, $"{declared}.{unique}.part");
        var unpacking = Path.Combine(_folder, $"{declared}.{unique}.unpacking");
        try
        {
            long received = 0;
            using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            await using (var file = File.Create(temporary))
            {
                do
                {
                    var data = chunks.Current.Data;
                    received += data.Length;
                    if (received > size)
                    {
                        throw new RpcException(new Status(StatusCode.InvalidArgument,
                            $"The upload sent more than the {size} bytes it declared; refused."));
                    }

                    hash.AppendData(data.Span);
                    await file.WriteAsync(data.Memory, cancellationToken).ConfigureAwait(false);
                }
                while (await chunks.MoveNext(cancellationToken).ConfigureAwait(false));
            }

            var actual = Convert.ToHexStringLower(hash.GetHashAndReset());
            if (received != size)
            {
                throw new RpcException(new Status(StatusCode.InvalidArgument, $"The upload declared {size} bytes but sent {received}; refused."));
            }

            if (actual != declared)
            {
                throw new RpcException(new Status(StatusCode.InvalidArgument,
                    $"The artifact's bytes hash to {actual}, not the declared {declared}: it was corrupted or tampered with; refused."));
            }

            long bytes;
            try
            {
                // Unpacked beside, then renamed: a folder named by its hash is complete.
                bytes = await Task.Run(() => ArtifactUnpacker.Unpack(temporary, unpacking, declared, _options), cancellationToken).ConfigureAwait(false);
            }
            catch (RpcException exception)
            {
                _logger.LogWarning("Upload refused: {Reason}", exception.Status.Detail);
                throw;
            }

            Keep(declared, unpacking, bytes);
            return new UploadReply { Sha256 = actual, Bytes = received };
        }
        finally
        {
            File.Delete(temporary);
            DeleteQuietly(unpacking);
        }
    }

    public void Dispose()
    {
        if (_lock is not null)
        {
            // Kept for the next start; only the lock goes.
            _lock.Dispose();
            return;
        }

        try
        {
            Directory.Delete(_folder, recursive: true);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            // A file still open is left to the OS's temp cleanup.
        }
    }

    /// <summary>Moves a freshly unpacked folder into place as the newest artifact, then evicts down to the bounds.</summary>
    private void Keep(string sha256, string unpacked, long bytes)
    {
        lock (_gate)
        {
            var folder = Path.Combine(_folder, sha256);
            if (!_held.ContainsKey(sha256))
            {
                if (Directory.Exists(folder))
                {
                    // Left by a failed eviction: replaced by what was just verified.
                    Delete(folder);
                }

                Directory.Move(unpacked, folder);
                _held[sha256] = new Held(bytes, DateTime.UtcNow);
            }

            Touch(sha256);
            Evict(newest: sha256);
        }
    }

    /// <summary>Marks a held artifact as used now, in memory and on disk; false when it is not held.</summary>
    private bool Touch(string sha256)
    {
        if (!_held.TryGetValue(sha256, out var held))
        {
            return false;
        }

        var now = DateTime.UtcNow;
        _held[sha256] = held with { LastUse = now };
        try
        {
            Directory.SetLastWriteTimeUtc(Path.Combine(_folder, sha256), now);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            // The order in memory holds until a restart.
        }

        return true;
    }

    /// <summary>Removes the least recently used artifacts until the cache is within its bounds, sparing those in use.</summary>
    private void Evict(string? newest)
    {
        bool Over() => _held.Count > _options.CacheArtifacts || _held.Values.Sum(h => h.Bytes) > _options.CacheBytes;
        if (!Over())
        {
            return;
        }

        var spared = new HashSet<string>(FilesInUse.SubfoldersOf(_folder), StringComparer.Ordinal);
        if (newest is not null)
        {
            spared.Add(newest);
        }

        if (_lastLoaded is not null)
        {
            // One run at a time: the artifact loaded last is the one a run may still be using.
            spared.Add(_lastLoaded);
        }

        foreach (var (sha256, held) in _held.OrderBy(h => h.Value.LastUse).ToArray())
        {
            if (!Over())
            {
                break;
            }

            if (spared.Contains(sha256))
            {
                continue;
            }

            // Renamed first, so a half-deleted folder is never taken for the artifact.
            var folder = Path.Combine(_folder, sha256);
            var evicted = Path.Combine(_folder, $"{sha256}.{Guid.NewGuid():N}.evicted");
            try
            {
                Directory.Move(folder, evicted);
            }
            catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
            {
                _logger.LogWarning("Artifact {Artifact}: not evicted, its folder is in use ({Reason})", sha256, exception.Message);
                continue;
            }

            _held.Remove(sha256);
            DeleteQuietly(evicted);
            _logger.LogInformation(
                "Artifact {Artifact}: evicted ({Megabytes} MiB, last used {LastUse:u}); {Count} artifacts, {Total} MiB kept (--cache-artifacts {MaxCount}, --cache-mb {MaxMegabytes})",
                sha256, Megabytes(held.Bytes), held.LastUse, _held.Count, Megabytes(_held.Values.Sum(h => h.Bytes)), _options.CacheArtifacts, _options.CacheBytes / (1024 * 1024));
        }

        if (Over())
        {
            _logger.LogWarning(
                "The artifact cache holds {Count} artifacts, {Total} MiB, over its bounds (--cache-artifacts {MaxCount}, --cache-mb {MaxMegabytes}): the rest are the newest or in use",
                _held.Count, Megabytes(_held.Values.Sum(h => h.Bytes)), _options.CacheArtifacts, _options.CacheBytes / (1024 * 1024));
        }
    }

    /// <summary>Reads back what a persistent folder holds: leftovers of an interrupted upload or eviction go; the rest is the cache.</summary>
    private void Recover()
    {
        foreach (var entry in new DirectoryInfo(_folder).EnumerateFileSystemInfos())
        {
            if (entry.Name == LockFileName)
            {
                continue;
            }

            if (entry is DirectoryInfo folder && IsSha256(folder.Name))
            {
                var bytes = folder.EnumerateFiles("*", SearchOption.AllDirectories).Sum(f => f.Length);
                _held[folder.Name] = new Held(bytes, folder.LastWriteTimeUtc);
            }
            else if (entry.Name.EndsWith(".part", StringComparison.Ordinal) || entry.Name.EndsWith(".unpacking", StringComparison.Ordinal)
                || entry.Name.EndsWith(".evicted", StringComparison.Ordinal))
            {
                DeleteQuietly(entry.FullName);
            }
        }

        lock (_gate)
        {
            Evict(newest: null);
        }

        _logger.LogInformation("Artifacts in {Folder}: {Count} kept from before, {Total} MiB", _folder, _held.Count, Megabytes(_held.Values.Sum(h => h.Bytes)));
    }

    private static void Delete(string path)
    {
        if (Directory.Exists(path))
        {
            Directory.Delete(path, recursive: true);
        }
        else
        {
            File.Delete(path);
        }
    }

    private void DeleteQuietly(string path)
    {
        try
        {
            Delete(path);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            _logger.LogWarning("{Path}: not deleted ({Reason}); a restart with --artifacts-dir retries", path, exception.Message);
        }
    }

    private static bool IsSha256(string text) => Sha256Pattern().IsMatch(text);

    private static string Megabytes(long bytes) => (bytes / (1024.0 * 1024)).ToString("0.##", CultureInfo.InvariantCulture);

    [GeneratedRegex("^[0-9a-f]{64}$")]
    private static partial Regex Sha256Pattern();

    private readonly record struct Held(long Bytes, DateTime LastUse);
}
