using System.Globalization;
using System.IO.Compression;

namespace LoadKit.Cluster;

/// <summary>
/// Unpacks an uploaded zip (a test assembly's output folder) into a folder, refusing what a hostile upload would do:
/// more entries than allowed, more bytes than allowed (counted as they are written, since a zip bomb's headers lie
/// about its sizes), and entries whose path leaves the folder (<c>..</c>, absolute paths, drive letters, backslashes,
/// symbolic links). A refusal is a <see cref="ZipRefusedException"/> naming the limit's setting, its value and what
/// was found; the caller deletes the folder. Used by the workers and the control page. Immutable.
/// </summary>
public sealed class ZipUnpacker
{
    private const int UnixFileTypeMask = 0xF000;
    private const int UnixSymbolicLink = 0xA000;

    /// <summary>The most entries a zip may have.</summary>
    public required int MaxEntries { get; init; }

    /// <summary>The setting of <see cref="MaxEntries"/> as refusals name it, e.g. <c>LOADKIT_WORKER_MAX_ENTRIES = 20000 (--max-entries)</c>.</summary>
    public required string MaxEntriesSetting { get; init; }

    /// <summary>The most bytes a zip may unpack to.</summary>
    public required long MaxUnpackedBytes { get; init; }

    /// <summary>The setting of <see cref="MaxUnpackedBytes"/> as refusals name it, e.g. <c>LOADKIT_WORKER_MAX_UNPACKED_MB = 512 (MB, --max-unpacked-mb)</c>.</summary>
    public required string MaxUnpackedSetting { get; init; }

    /// <summary>Unpacks <paramref name="zipPath"/> into <paramref name="folder"/> (created); returns the bytes written.</summary>
    /// <param name="zipPath">The uploaded zip.</param>
    /// <param name="folder">Where its entries go; nothing is written outside it.</param>
    /// <param name="name">Names the upload in refusals, e.g. <c>artifact 3f2a…</c>.</param>
    /// <exception cref="ZipRefusedException">Over a limit (<see cref="ZipRefusedException.OverLimit"/>), not a zip, or an entry escapes the folder.</exception>
    public long Unpack(string zipPath, string folder, string name)
    {
        ArgumentNullException.ThrowIfNull(zipPath);
        ArgumentNullException.ThrowIfNull(folder);
        ArgumentNullException.ThrowIfNull(name);
        var root = Path.GetFullPath(folder);
        Directory.CreateDirectory(root);
        try
        {
            using var zip = ZipFile.OpenRead(zipPath);
            var entries = zip.Entries;
            if (entries.Count > MaxEntries)
            {
                throw new ZipRefusedException($"{name}: {entries.Count} entries exceed {MaxEntriesSetting}; refused.", overLimit: true);
            }

            var declared = entries.Aggregate(0L, (sum, e) => e.Length < 0 || sum > long.MaxValue - e.Length ? long.MaxValue : sum + e.Length);
            if (declared > MaxUnpackedBytes)
            {
                throw new ZipRefusedException($"{name}: unpacked size exceeds {MaxUnpackedSetting}: its entries declare {Size(declared)}; refused.", overLimit: true);
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
                        if (written + read > MaxUnpackedBytes)
                        {
                            throw new ZipRefusedException(
                                $"{name}: unpacked size exceeds {MaxUnpackedSetting} while writing '{entry.FullName}', although its entries declare {Size(declared)}; refused.", overLimit: true);
                        }

                        file.Write(buffer, 0, read);
                        written += read;
                    }
                }

                var mode = (entry.ExternalAttributes >> 16) & 0x1FF;
                if (!OperatingSystem.IsWindows() && mode != 0)
                {
                    // The permissions the packer recorded (a tool in the output folder stays executable); never setuid.
                    File.SetUnixFileMode(path, (UnixFileMode)mode | UnixFileMode.UserRead | UnixFileMode.UserWrite);
                }
            }

            return written;
        }
        catch (InvalidDataException exception)
        {
            throw new ZipRefusedException($"{name}: not a readable zip archive ({exception.Message}); refused.", overLimit: false);
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
            why = "a path outside the folder";
        }

        return why is null ? path
            : throw new ZipRefusedException($"{name}: entry '{Printable(entryName)}' has {why}: it would not stay inside the folder it is unpacked into; refused.", overLimit: false);
    }

    private static string Printable(string text) => new([.. text.Select(c => char.IsControl(c) ? '?' : c)]);

    private static string Size(long bytes) => bytes < 1024 * 1024
        ? bytes.ToString("N0", CultureInfo.InvariantCulture) + " bytes"
        : (bytes / (1024.0 * 1024)).ToString("0.##", CultureInfo.InvariantCulture) + " MiB";
}

/// <summary>A zip that <see cref="ZipUnpacker"/> refused; the message names the upload, the limit or entry, and what was found.</summary>
public sealed class ZipRefusedException : IOException
{
    /// <summary>Creates the exception with its explanation.</summary>
    public ZipRefusedException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with its explanation and the error that caused it.</summary>
    public ZipRefusedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates the exception with its explanation, telling whether a limit was exceeded.</summary>
    public ZipRefusedException(string message, bool overLimit)
        : base(message)
    {
        OverLimit = overLimit;
    }

    /// <summary>Whether a limit (entries, unpacked bytes) was exceeded; false: not a zip, or an entry would leave the folder.</summary>
    public bool OverLimit { get; }
}
