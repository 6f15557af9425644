using Grpc.Core;
using LoadKit.Cluster;

namespace LoadKit.Worker.Service;

/// <summary>
/// Unpacks an uploaded artifact with <see cref="ZipUnpacker"/> under the worker's caps; a refusal is an
/// <see cref="RpcException"/> naming the setting, its value and what was found; the caller deletes the folder.
/// </summary>
internal static class ArtifactUnpacker
{
    /// <summary>Unpacks <paramref name="zipPath"/> into <paramref name="target"/> (created); returns the bytes written.</summary>
    /// <exception cref="RpcException">ResourceExhausted: over a cap; InvalidArgument: not a zip, or an entry escapes the folder.</exception>
    public static long Unpack(string zipPath, string target, string sha256, WorkerOptions options)
    {
        var unpacker = new ZipUnpacker
        {
            MaxEntries = options.MaxEntries,
            MaxEntriesSetting = $"{WorkerOptions.MaxEntriesVariable} = {options.MaxEntries} (--max-entries)",
            MaxUnpackedBytes = options.MaxUnpackedBytes,
            MaxUnpackedSetting = $"{WorkerOptions.MaxUnpackedVariable} = {options.MaxUnpackedBytes / (1024 * 1024)} (MB, --max-unpacked-mb)",
        };
        try
        {
            return unpacker.Unpack(zipPath, target, $"artifact {sha256[..12]}…");
        }
        catch (ZipRefusedException exception)
        {
            throw new RpcException(new Status(exception.OverLimit ? StatusCode.ResourceExhausted : StatusCode.InvalidArgument, exception.Message));
        }
    }
}
