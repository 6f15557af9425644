using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text;

namespace LoadKit.TestTargets;

/// <summary>
/// A target that notes when each client's load first reached it: a raw HTTP/1.1 server on 127.0.0.1 that answers
/// every request with a fixed 200 and notes, per value of the <see cref="ClientHeader"/> header, when that client's
/// first request arrived. On Linux that is the kernel's receive time of the request's bytes (<c>SO_TIMESTAMPNS</c>), so
/// a recorder thread that gets no core at once (the workers it measures hold both of this machine's cores at their
/// start) does not move it; elsewhere, the time its thread, blocked in a receive, got the bytes. Each connection is read
/// by a thread of its own (no thread pool, and no framework code on the way that needs compiling first, as a fresh
/// Kestrel's did for ~200 ms). It counts the
/// connections it accepts and can close the first ones at once, as a server closes an idle connection. For a few
/// connections: the first-arrival and connection measurements, not load.
/// </summary>
internal sealed class ArrivalRecorder : IDisposable
{
    public const string ClientHeader = "X-LoadKit-Client";

    private static readonly byte[] Answer = Encoding.ASCII.GetBytes("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
    private readonly Socket _listener = new(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
    private readonly ConcurrentDictionary<string, long> _first = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, long> _perClient = new(StringComparer.Ordinal);
    private readonly ConcurrentBag<Socket> _connections = [];
    private readonly Thread _accepting;
    private volatile bool _stopped;
    private long _requests;
    private int _accepted;
    private int _closed;
    private int _closeFirst;
    private int _unstamped;

    private ArrivalRecorder()
    {
        _listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        StampedReceiver.Enable(_listener); // before any connection: accepted ones inherit it, so no early segment goes untimed
        _listener.Listen(128);
        _accepting = new Thread(Accept) { IsBackground = true, Name = "arrival recorder" };
        _accepting.Start();
    }

    public Uri Address => new($"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndPoint!).Port}/");

    /// <summary>Requests answered since the start, with or without the header.</summary>
    public long Requests => Interlocked.Read(ref _requests);

    /// <summary>Connections accepted since the start, the closed ones included.</summary>
    public int Accepted => Volatile.Read(ref _accepted);

    /// <summary>Connections closed at once on accepting them.</summary>
    public int Closed => Volatile.Read(ref _closed);

    /// <summary>Per client (the header's value): when its first request arrived, in nanoseconds of the system clock.</summary>
    public IReadOnlyDictionary<string, long> FirstArrivals => _first;

    /// <summary>Per client (the header's value): how many of its requests were answered.</summary>
    public IReadOnlyDictionary<string, long> RequestsPerClient => _perClient;

    /// <summary>The latest first arrival minus the earliest, and how many clients they came from.</summary>
    public (TimeSpan Spread, int Clients) Spread() => _first.IsEmpty ? (TimeSpan.Zero, 0)
        : (TimeSpan.FromTicks((_first.Values.Max() - _first.Values.Min()) / 100), _first.Count);

    /// <summary>Whether every request so far was timed by the kernel's receive time (not by the recorder's thread).</summary>
    public bool KernelTimes => Volatile.Read(ref _unstamped) == 0;

    public void Reset() => _first.Clear();

    /// <summary>
    /// Starts a recorder, and sends it one request itself, so its own first request is not a client's; its counts start
    /// after that request. It closes the first <paramref name="closeFirstConnections"/> connections accepted after it.
    /// </summary>
    public static async Task<ArrivalRecorder> StartAsync(int closeFirstConnections = 0)
    {
        var recorder = new ArrivalRecorder();
        using (var client = new HttpClient())
        {
            (await client.GetAsync(recorder.Address)).EnsureSuccessStatusCode();
        }

        Interlocked.Exchange(ref recorder._requests, 0);
        Volatile.Write(ref recorder._closeFirst, closeFirstConnections);
        Interlocked.Exchange(ref recorder._accepted, 0);
        Interlocked.Exchange(ref recorder._unstamped, 0);
        return recorder;
    }

    public void Dispose()
    {
        _stopped = true;
        _listener.Dispose();
        foreach (var connection in _connections)
        {
            try
            {
                connection.Shutdown(SocketShutdown.Both); // wakes a thread blocked in recvmsg, which close alone does not
            }
            catch (SocketException)
            {
                // Already gone.
            }

            connection.Dispose();
        }

        _accepting.Join(TimeSpan.FromSeconds(5));
    }

    private void Accept()
    {
        try
        {
            while (!_stopped)
            {
                var connection = _listener.Accept();
                if (Interlocked.Increment(ref _accepted) <= Volatile.Read(ref _closeFirst))
                {
                    connection.Dispose();
                    Interlocked.Increment(ref _closed);
                    continue;
                }

                connection.NoDelay = true;
                _connections.Add(connection);
                new Thread(() => Serve(connection)) { IsBackground = true, Name = "arrival recorder connection" }.Start();
            }
        }
        catch (Exception exception) when (exception is SocketException or ObjectDisposedException)
        {
            // Stopped.
        }
    }

    private void Serve(Socket connection)
    {
        var buffer = new byte[StampedReceiver.BufferBytes];
        var pending = new StringBuilder();
        using var receiver = StampedReceiver.For(connection);
        try
        {
            while (true)
            {
                long? stamped = null;
                var read = receiver is null ? connection.Receive(buffer) : receiver.Receive(buffer, out stamped);
                if (read <= 0)
                {
                    break;
                }

                var arrived = stamped ?? Unstamped();
                pending.Append(Encoding.ASCII.GetString(buffer, 0, read));
                int end;
                while ((end = pending.ToString().IndexOf("\r\n\r\n", StringComparison.Ordinal)) >= 0)
                {
                    var head = pending.ToString(0, end);
                    pending.Remove(0, end + 4);
                    var at = head.IndexOf("\r\n" + ClientHeader + ":", StringComparison.OrdinalIgnoreCase);
                    if (at >= 0)
                    {
                        var value = head[(at + ClientHeader.Length + 3)..].Split("\r\n")[0].Trim();
                        _first.AddOrUpdate(value, arrived, (_, seen) => Math.Min(seen, arrived));
                        _perClient.AddOrUpdate(value, 1, (_, n) => n + 1);
                    }

                    Interlocked.Increment(ref _requests);
                    connection.Send(Answer);
                }
            }
        }
        catch (Exception exception) when (exception is SocketException or ObjectDisposedException)
        {
            // The client went, or the recorder stopped.
        }
    }

    /// <summary>An arrival the kernel gave no time for: now, in nanoseconds of the system clock, and counted.</summary>
    private long Unstamped()
    {
        Interlocked.Increment(ref _unstamped);
        return (DateTime.UtcNow - DateTime.UnixEpoch).Ticks * 100;
    }

    /// <summary>
    /// Blocking receives through <c>recvmsg</c> that also give the kernel's receive time of the bytes read
    /// (<c>SO_TIMESTAMPNS</c>, Linux on 64 bits; for TCP, the time of the last segment read).
    /// </summary>
    private sealed class StampedReceiver : IDisposable
    {
        public const int BufferBytes = 8192;

        private const int SolSocket = 1;
        private const int SoTimestampNs = 35;
        private const int ControlBytes = 64;
        private static readonly bool Supported = OperatingSystem.IsLinux() && IntPtr.Size == 8;

        private readonly SafeSocketHandle _handle;
        private readonly IntPtr _data = Marshal.AllocHGlobal(BufferBytes);
        private readonly IntPtr _control = Marshal.AllocHGlobal(ControlBytes);
        private readonly IntPtr _vector = Marshal.AllocHGlobal(Marshal.SizeOf<IoVector>());
        private bool _referenced;

        private StampedReceiver(Socket socket)
        {
            _handle = socket.SafeHandle;
            _handle.DangerousAddRef(ref _referenced); // the descriptor stays this socket's while recvmsg may use it
            Marshal.StructureToPtr(new IoVector { Base = _data, Length = BufferBytes }, _vector, false);
        }

        /// <summary>A receiver for an accepted connection, or null where the kernel's times cannot be read.</summary>
        public static StampedReceiver? For(Socket socket) => Supported ? new StampedReceiver(socket) : null;

        /// <summary>Asks for receive times on a listener's connections (they inherit the option).</summary>
        public static void Enable(Socket listener)
        {
            if (Supported)
            {
                listener.SetRawSocketOption(SolSocket, SoTimestampNs, BitConverter.GetBytes(1));
            }
        }

        /// <summary>
        /// Reads up to <see cref="BufferBytes"/> into <paramref name="buffer"/>; 0 at the end. <paramref name="arrived"/>:
        /// the kernel's receive time in nanoseconds of the system clock, or null if it gave none.
        /// </summary>
        public int Receive(byte[] buffer, out long? arrived)
        {
            var message = new MessageHeader { Vector = _vector, VectorLength = 1, Control = _control, ControlLength = ControlBytes };
            nint read;
            while ((read = RecvMsg(_handle.DangerousGetHandle(), ref message, 0)) < 0 && Marshal.GetLastPInvokeError() == 4)
            {
                // EINTR: again.
            }

            if (read < 0)
            {
                throw new SocketException(Marshal.GetLastPInvokeError());
            }

            Marshal.Copy(_data, buffer, 0, (int)read);
            arrived = read > 0 ? Stamp(message) : null;
            return (int)read;
        }

        public void Dispose()
        {
            Marshal.FreeHGlobal(_data);
            Marshal.FreeHGlobal(_control);
            Marshal.FreeHGlobal(_vector);
            if (_referenced)
            {
                _handle.DangerousRelease();
            }
        }

        /// <summary>The SCM_TIMESTAMPNS control message's time, if the kernel gave one: a cmsghdr (length, level, type) and a timespec.</summary>
        private long? Stamp(MessageHeader message)
        {
            for (var offset = 0; offset + 32 <= (int)message.ControlLength;)
            {
                var length = (int)Marshal.ReadInt64(_control, offset);
                if (length < 16)
                {
                    return null;
                }

                if (Marshal.ReadInt32(_control, offset + 8) == SolSocket && Marshal.ReadInt32(_control, offset + 12) == SoTimestampNs)
                {
                    return (Marshal.ReadInt64(_control, offset + 16) * 1_000_000_000) + Marshal.ReadInt64(_control, offset + 24);
                }

                offset += (length + 7) & ~7;
            }

            return null;
        }

        [DllImport("libc", EntryPoint = "recvmsg", SetLastError = true)]
        private static extern nint RecvMsg(IntPtr socket, ref MessageHeader message, int flags);

        [StructLayout(LayoutKind.Sequential)]
        private struct IoVector
        {
            public IntPtr Base;
            public nuint Length;
        }

        [StructLayout(LayoutKind.Sequential)]
        private struct MessageHeader
        {
            public IntPtr Name;
            public uint NameLength;
            public IntPtr Vector;
            public nuint VectorLength;
            public IntPtr Control;
            public nuint ControlLength;
            public int Flags;
        }
    }
}
