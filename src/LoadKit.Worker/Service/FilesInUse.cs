namespace LoadKit.Worker.Service;

/// <summary>
/// Which files under a folder this process holds: mapped into memory (an assembly a collectible load context loaded
/// stays mapped until the context is collected) or open. Linux answers from /proc/self; elsewhere nothing is known
/// here, and deleting a held file fails instead (Windows locks them), which the caller treats as in use.
/// </summary>
internal static class FilesInUse
{
    /// <summary>The names of <paramref name="folder"/>'s direct subfolders that hold a file this process maps or has open.</summary>
    public static IReadOnlySet<string> SubfoldersOf(string folder)
    {
        var held = new HashSet<string>(StringComparer.Ordinal);
        if (!OperatingSystem.IsLinux())
        {
            return held;
        }

        var prefix = Path.GetFullPath(folder) + Path.DirectorySeparatorChar;
        void Add(string? path)
        {
            if (path is not null && path.StartsWith(prefix, StringComparison.Ordinal))
            {
                var rest = path[prefix.Length..];
                var slash = rest.IndexOf(Path.DirectorySeparatorChar, StringComparison.Ordinal);
                held.Add(slash < 0 ? rest : rest[..slash]);
            }
        }

        try
        {
            foreach (var line in File.ReadLines("/proc/self/maps"))
            {
                // address perms offset device inode path: the path is all after the first '/'.
                var start = line.IndexOf('/', StringComparison.Ordinal);
                if (start >= 0)
                {
                    Add(line[start..].Replace(" (deleted)", "", StringComparison.Ordinal));
                }
            }
        }
        catch (IOException)
        {
            // Unreadable maps: the open files below still count.
        }

        try
        {
            foreach (var descriptor in Directory.EnumerateFileSystemEntries("/proc/self/fd"))
            {
                try
                {
                    Add(new FileInfo(descriptor).LinkTarget);
                }
                catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
                {
                    // Closed while listed.
                }
            }
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            // Not listable: the maps above still count.
        }

        return held;
    }
}
