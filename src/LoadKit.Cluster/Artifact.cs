using System.IO.Compression;
using System.Security.Cryptography;
using Google.Protobuf;
using Grpc.Core;
using LoadKit.Cluster.Protocol;

namespace LoadKit.Cluster;

/// <summary>
/// A test's output folder packed for the workers: a zip whose bytes depend only on the files' paths and contents
/// (sorted entries, fixed timestamps), so the same build gives the same SHA-256 and a worker that has it already
/// skips the upload.
/// </summary>
internal sealed class Artifact
{
    /// <summary>The largest chunk sent: gRPC's default message limit is 4 MB.</summary>
    public const int ChunkBytes = ArtifactChunk.MaxDataBytes;

    private static readonly DateTimeOffset FixedTimestamp = new(2000, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private Artifact(byte[] bytes)
    {
        Bytes = bytes;
        Sha256 = Convert.ToHexStringLower(SHA256.HashData(bytes));
    }

    public byte[] Bytes { get; }

    public string Sha256 { get; }

    /// <summary>Packs every file under <paramref name="folder"/>.</summary>
    public static Artifact Pack(string folder)
    {
        var root = new DirectoryInfo(folder);
        if (!root.Exists)
        {
            throw new DirectoryNotFoundException($"The test output folder '{folder}' does not exist, so there is nothing to send to the workers.");
        }

        return Pack(root.EnumerateFiles("*", SearchOption.AllDirectories)
            .Select(f => (Path.GetRelativePath(root.FullName, f.FullName).Replace('\\', '/'), f)));
    }

    /// <summary>Packs <paramref name="files"/>, each under its entry name (a relative path with '/').</summary>
    public static Artifact Pack(IEnumerable<(string Name, FileInfo File)> files)
    {
        using var buffer = new MemoryStream();
        using (var zip = new ZipArchive(buffer, ZipArchiveMode.Create, leaveOpen: true))
        {
            foreach (var file in files.OrderBy(f => f.Name, StringComparer.Ordinal))
            {
                var entry = zip.CreateEntry(file.Name, CompressionLevel.Fastest);
                entry.LastWriteTime = FixedTimestamp;
                if (!OperatingSystem.IsWindows())
                {
                    // The Unix permissions, which the worker's extraction restores: a tool in the output folder (such
                    // as Playwright's node driver) stays executable.
                    entry.ExternalAttributes = (int)file.File.UnixFileMode << 16;
                }

                using var source = file.File.OpenRead();
                using var target = entry.Open();
                source.CopyTo(target);
            }
        }

        return new Artifact(buffer.ToArray());
    }

    /// <summary>Sends the artifact to a worker unless it already holds it; returns whether bytes were sent.</summary>
    /// <exception cref="RpcException">The worker refused it (over its cap, hash mismatch) or the token was wrong.</exception>
    public async Task<bool> UploadAsync(Worker.WorkerClient worker, Metadata headers, CancellationToken cancellationToken)
    {
        var presence = await worker.HasArtifactAsync(new ArtifactQuery { Sha256 = Sha256 }, headers, cancellationToken: cancellationToken).ConfigureAwait(false);
        if (presence.Present)
        {
            return false;
        }

        await SendAsync(worker, headers, Sha256, Bytes, cancellationToken).ConfigureAwait(false);
        return true;
    }

    /// <summary>Streams <paramref name="bytes"/> declaring <paramref name="sha256"/> (tests declare a wrong one on purpose).</summary>
    internal static async Task<UploadReply> SendAsync(Worker.WorkerClient worker, Metadata headers, string sha256, byte[] bytes, CancellationToken cancellationToken)
    {
        using var call = worker.Upload(headers, cancellationToken: cancellationToken);
        for (var offset = 0; offset == 0 || offset < bytes.Length; offset += ChunkBytes)
        {
            var chunk = new ArtifactChunk { Data = ByteString.CopyFrom(bytes, offset, Math.Min(ChunkBytes, bytes.Length - offset)) };
            if (offset == 0)
            {
                chunk.Sha256 = sha256;
                chunk.TotalBytes = bytes.Length;
            }

            // A worker that refuses (over its cap) answers at once and stops reading: a write would then wait on
            // flow control forever, so each write races the answer.
            Task write;
            try
            {
                write = call.ResponseAsync.IsCompleted ? Task.CompletedTask : call.RequestStream.WriteAsync(chunk, cancellationToken);
            }
            catch (InvalidOperationException)
            {
                // The call completed between the check and the write: the worker's reason is in the response.
                write = Task.CompletedTask;
            }

            if (call.ResponseAsync.IsCompleted
                || await Task.WhenAny(write, call.ResponseAsync).ConfigureAwait(false) != write
                || write.IsFaulted)
            {
                return await call.ResponseAsync.ConfigureAwait(false);
            }
        }

        await call.RequestStream.CompleteAsync().ConfigureAwait(false);
        return await call.ResponseAsync.ConfigureAwait(false);
    }
}
