using Microsoft.Win32.SafeHandles;

namespace LoadKit.Targets;

/// <summary>
/// A temporary file without a name (unlinked once open; deleted on close on Windows) that the per-second points of
/// long-past seconds move to, so that a whole run's timelines do not grow in memory with the run's length. Opened at
/// the first write: runs of a minute or two never touch the disk. One writer; reads from the same thread or after it.
/// </summary>
internal sealed class SecondsFile : IDisposable
{
    private SafeFileHandle? _handle;
    private long _length;

    /// <summary>True once a write failed (no temporary folder, disk full): the points then stay in memory.</summary>
    public bool Failed { get; private set; }

    /// <summary>Appends <paramref name="bytes"/>; returns where they are, or null when the file cannot be written.</summary>
    public (long Offset, int Length)? Append(ReadOnlySpan<byte> bytes)
    {
        if (Failed)
        {
            return null;
        }

        try
        {
            _handle ??= Open();
            RandomAccess.Write(_handle, bytes, _length);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            Failed = true;
            return null;
        }

        var offset = _length;
        _length += bytes.Length;
        return (offset, bytes.Length);
    }

    /// <summary>The bytes an <see cref="Append"/> wrote.</summary>
    public byte[] Read((long Offset, int Length) block)
    {
        ObjectDisposedException.ThrowIf(_handle is null || _handle.IsClosed, this);
        var bytes = new byte[block.Length];
        var read = 0;
        while (read < bytes.Length)
        {
            var count = RandomAccess.Read(_handle, bytes.AsSpan(read), block.Offset + read);
            read += count > 0 ? count : throw new EndOfStreamException($"The file of past seconds ended at {block.Offset + read} bytes; {block.Offset + block.Length} were written.");
        }

        return bytes;
    }

    public void Dispose() => _handle?.Dispose();

    private static SafeFileHandle Open()
    {
        var path = Path.Combine(Path.GetTempPath(), $"loadkit-seconds-{Guid.NewGuid():N}.tmp");
        var handle = File.OpenHandle(path, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None,
            OperatingSystem.IsWindows() ? FileOptions.DeleteOnClose : FileOptions.None);
        if (!OperatingSystem.IsWindows())
        {
            File.Delete(path); // the open handle keeps the data; nothing is left behind even if the process dies
        }

        return handle;
    }
}
