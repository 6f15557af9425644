using System.Security.Cryptography;
using System.Text.RegularExpressions;
using Grpc.Core;
using LoadKit.Cluster.Protocol;

namespace LoadKit.Worker.Service;

/// <summary>
/// The artifacts this worker holds, by SHA-256, in a folder of its own. An upload is written to a temporary file and
/// kept only when its size is within the cap and its bytes hash to what was declared; anything else is refused with
/// a reason, and the worker stays as it was.
/// </summary>
internal sealed partial class ArtifactStore(WorkerOptions options, WorkerIdentity identity) : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory($"loadkit-worker-{Environment.ProcessId}-").FullName;
    private readonly Lock _unpacking = new();

    public string PathOf(string sha256) => Path.Combine(_folder, sha256 + ".zip");

    public bool Has(string sha256) => IsSha256(sha256) && File.Exists(PathOf(sha256));

    /// <summary>The artifact's files, unpacked once into a folder of their own.</summary>
    /// <exception cref="RpcException">FailedPrecondition: the worker does not hold that artifact.</exception>
    public string FolderOf(string sha256)
    {
        if (!Has(sha256))
        {
            throw new RpcException(new Status(StatusCode.FailedPrecondition,
                $"Worker {identity.Id} holds no artifact with sha256 '{sha256}': upload it before the run."));
        }

        var folder = Path.Combine(_folder, sha256);
        lock (_unpacking)
        {
            if (!Directory.Exists(folder))
            {
                // Unpacked beside, then renamed: a folder that exists is complete.
                var temporary = folder + ".unpacking";
                if (Directory.Exists(temporary))
                {
                    Directory.Delete(temporary, recursive: true);
                }

                System.IO.Compression.ZipFile.ExtractToDirectory(PathOf(sha256), temporary);
                Directory.Move(temporary, folder);
            }
        }

        return folder;
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

        if (size < 0 || size > options.MaxUploadBytes)
        {
            throw new RpcException(new Status(StatusCode.ResourceExhausted,
                $"The artifact is {Megabytes(size)} MiB; worker {identity.Id} accepts at most {Megabytes(options.MaxUploadBytes)} MiB (--max-upload-mb)."));
        }

        var temporary = Path.Combine(_folder, $"{declared}.{Guid.NewGuid():N}.part");
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

            File.Move(temporary, PathOf(declared), overwrite: true);
            return new UploadReply { Sha256 = actual, Bytes = received };
        }
        finally
        {
            File.Delete(temporary);
        }
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_folder, recursive: true);
        }
        catch (IOException)
        {
            // A file still open is left to the OS's temp cleanup.
        }
    }

    private static bool IsSha256(string text) => Sha256Pattern().IsMatch(text);

    private static string Megabytes(long bytes) => (bytes / (1024.0 * 1024)).ToString("0.##", System.Globalization.CultureInfo.InvariantCulture);

    [GeneratedRegex("^[0-9a-f]{64}$")]
    private static partial Regex Sha256Pattern();
}
