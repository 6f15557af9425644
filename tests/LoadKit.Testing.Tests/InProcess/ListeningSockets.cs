using System.Globalization;

namespace LoadKit.Testing.Tests.InProcess;

/// <summary>The TCP sockets this process listens on, from /proc (Linux): LISTEN entries of /proc/net/tcp and tcp6 whose inode is one of this process's file descriptors.</summary>
internal static class ListeningSockets
{
    private const string ListenState = "0A";

    /// <summary>The inodes of this process's listening TCP sockets.</summary>
    public static HashSet<long> OfThisProcess()
    {
        var mine = new HashSet<long>();
        foreach (var fd in Directory.EnumerateFileSystemEntries("/proc/self/fd"))
        {
            try
            {
                // A socket's link reads "socket:[12345]".
                if (new FileInfo(fd).LinkTarget is { } target && target.StartsWith("socket:[", StringComparison.Ordinal))
                {
                    mine.Add(long.Parse(target["socket:[".Length..^1], CultureInfo.InvariantCulture));
                }
            }
            catch (IOException)
            {
                // The descriptor was closed while we looked.
            }
        }

        var listening = new HashSet<long>();
        foreach (var table in new[] { "/proc/net/tcp", "/proc/net/tcp6" }.Where(File.Exists))
        {
            foreach (var line in File.ReadLines(table).Skip(1))
            {
                // sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode ...
                var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                if (fields.Length > 9 && fields[3] == ListenState && long.TryParse(fields[9], CultureInfo.InvariantCulture, out var inode) && mine.Contains(inode))
                {
                    listening.Add(inode);
                }
            }
        }

        return listening;
    }
}
