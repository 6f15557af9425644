using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace LoadKit.TestTargets;

/// <summary>
/// A target that notes when each client's load first reached it: a raw HTTP/1.1 server on 127.0.0.1 that answers
/// every request with a fixed 200 and notes, per value of the <see cref="ClientHeader"/> header, the
/// <see cref="Stopwatch"/> timestamp at which that client's first request arrived. Each connection is read by a thread
/// of its own, blocked in a receive, so the time is taken when the bytes arrive, not when a thread-pool thread gets to
/// them (and no framework code on the way needs compiling first, as a fresh Kestrel's did for ~200 ms). It counts the
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

    private ArrivalRecorder()
    {
        _listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
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

    /// <summary>Per client (the header's value): when its first request arrived, as a <see cref="Stopwatch"/> timestamp.</summary>
    public IReadOnlyDictionary<string, long> FirstArrivals => _first;

    /// <summary>Per client (the header's value): how many of its requests were answered.</summary>
    public IReadOnlyDictionary<string, long> RequestsPerClient => _perClient;

    /// <summary>The latest first arrival minus the earliest, and how many clients they came from.</summary>
    public (TimeSpan Spread, int Clients) Spread() => _first.IsEmpty ? (TimeSpan.Zero, 0)
        : (Stopwatch.GetElapsedTime(_first.Values.Min(), _first.Values.Max()), _first.Count);

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
        return recorder;
    }

    public void Dispose()
    {
        _stopped = true;
        _listener.Dispose();
        foreach (var connection in _connections)
        {
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
        var buffer = new byte[8192];
        var pending = new StringBuilder();
        try
        {
            int read;
            while ((read = connection.Receive(buffer)) > 0)
            {
                var arrived = Stopwatch.GetTimestamp();
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
}
