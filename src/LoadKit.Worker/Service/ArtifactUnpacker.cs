using System.Globalization;
using System.IO.Compression;
using Grpc.Core;

namespace LoadKit.Worker.Service;

/// <summary>
/// Unpacks an uploaded zip into a folder, refusing what a hostile upload would do: more entries than allowed, more
/// bytes than allowed (counted as they are written, since a zip bomb's headers lie about its sizes), and entries
/// whose path leaves the folder (<c>..</c>, absolute paths, drive letters, backslashes, symbolic links). A refusal
/// is an <see cref="RpcException"/> naming the setting, its value and what was found; the caller deletes the folder.
/// </summary>
internal static class ArtifactUnpacker
{
    private const int UnixFileTypeMask = 0xF000;
    private const int UnixSymbolicLink = 0xA000;

    /// <summary>Unpacks <paramref name="zipPath"/> into <paramref name="target"/> (created); returns the bytes written.</summary>
    /// <exception cref="RpcException">ResourceExhausted: over a cap; InvalidArgument: not a zip, or an entry escapes the folder.</exception>
    public static long Unpack(string zipPath, string target, string sha256, WorkerOptions options)
    {
        var name = $"artifact {sha256[..12]}…";
        var root = Path.GetFullPath(target);
        Directory.CreateDirectory(root);
        try
        {
            using var zip = ZipFile.OpenRead(zipPath);
            var entries = zip.Entries;
            if (entries.Count > options.MaxEntries)
            {
                throw Refused(StatusCode.ResourceExhausted,
                    $"{name}: {entries.Count} entries exceed {WorkerOptions.MaxEntriesVariable} = {options.MaxEntries} (--max-entries); refused.");
            }

            var maxMegabytes = options.MaxUnpackedBytes / (1024 * 1024);
            var declared = entries.Aggregate(0L, (sum, e) => e.Length < 0 || sum > long.MaxValue - e.Length ? long.MaxValue : sum + e.Length);
            if (declared > options.MaxUnpackedBytes)
            {
                throw Refused(StatusCode.ResourceExhausted,
                    $"{name}: unpacked size exceeds {WorkerOptions.MaxUnpackedVariable} = {maxMegabytes} (MB): its entries declare {Size(declared)} (--max-unpacked-mb); refused.");
            }

            // Every path is checked before anything is written.
            var paths = entries.Select(e => (Entry: e, Path: PathOf(e, root, name))).ToArray();
            var buffer = new byte[81920];
            long written = 0;
            foreach (var (entry, path) in paths)
            {
                if (entry.FullName.EndsWith('/'))
                {
                    Directory.CreateDirectory(path);
                    continue;
                }

                Directory.CreateDirectory(Path.GetDirectoryName(path)!);
                using (var source = entry.Open())
                using (var file = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None))
                {
                    int read;
                    while ((read = source.Read(buffer)) > 0)
                    {
                        if (written + read > options.MaxUnpackedBytes)
                        {
                            throw Refused(StatusCode.ResourceExhausted,
                                $"{name}: unpacked size exceeds {WorkerOptions.MaxUnpackedVariable} = {maxMegabytes} (MB) while writing '{entry.FullName}', although its entries declare {Size(declared)} (--max-unpacked-mb); refused.");
                        }

                        file.Write(buffer, 0, read);
                        written += read;
                    }
                }

                var mode = (entry.ExternalAttributes >> 16) & 0x1FF;
                if (!OperatingSystem.IsWindows() && mode != 0)
                {
                    // The permissions Artifact.Pack recorded (a tool in the output folder stays executable); never setuid.
                    File.SetUnixFileMode(path, (UnixFileMode)mode | UnixFileMode.UserRead | UnixFileMode.UserWrite);
                }
            }

            return written;
        }
        catch (InvalidDataException exception)
        {
            throw Refused(StatusCode.InvalidArgument, $"{name}: not a readable zip archive ({exception.Message}); refused.");
        }
    }

    /// <summary>The full path an entry is written to, or a refusal when it would land outside <paramref name="root"/>.</summary>
    private static string PathOf(ZipArchiveEntry entry, string root, string name)
    {
        var entryName = entry.FullName;
        var why = entryName.Length == 0 ? "an empty name"
            : entryName.Contains('\0', StringComparison.Ordinal) || entryName.Any(char.IsControl) ? "a control character in its name"
            : entryName.Contains('\\', StringComparison.Ordinal) ? "a backslash (a Windows path)"
            : entryName.Contains(':', StringComparison.Ordinal) ? "a colon (a drive letter or stream name)"
            : entryName.StartsWith('/') ? "an absolute path"
            : entryName.Split('/').Any(segment => segment == "..") ? "a '..' segment"
            : ((entry.ExternalAttributes >> 16) & UnixFileTypeMask) == UnixSymbolicLink ? "a symbolic link"
            : null;
        var path = Path.GetFullPath(Path.Combine(root, entryName));
        if (why is null && !path.StartsWith(root + Path.DirectorySeparatorChar, StringComparison.Ordinal))
        {
            why = "a path outside the artifact's folder";
        }

        return why is null ? path
            : throw Refused(StatusCode.InvalidArgument, $"{name}: entry '{Printable(entryName)}' has {why}: it would not stay inside the artifact's folder; refused.");
    }

    private static RpcException Refused(StatusCode code, string detail) => new(new Status(code, detail));

    private static string Printable(string text) => new([.. text.Select(c => char.IsControl(c) ? '?' : c)]);

    private static string Size(long bytes) => bytes < 1024 * 1024
        ? bytes.ToString("N0", CultureInfo.InvariantCulture) + " bytes"
        : (bytes / (1024.0 * 1024)).ToString("0.##", CultureInfo.InvariantCulture) + " MiB";
}
