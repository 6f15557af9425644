using System.Net;
using System.Net.Sockets;
using System.Text;

namespace LoadKit.Tests.HttpWire;

/// <summary>
/// An HTTP server on 127.0.0.1 that answers with the exact bytes a test writes, malformed ones included: for each
/// request (its head and Content-Length body read), <see cref="Respond"/> writes the response; it may stall or close the
/// connection. Counts accepted connections and requests read.
/// </summary>
internal sealed class RawHttpServer : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _connections = [];
    private readonly Task _accepting;
    private int _accepted;
    private int _requests;
    private int _closed;

    /// <param name="respond">Writes the response to request number n (from 1, across connections); returns false to close the connection after it.</param>
    public RawHttpServer(Func<RawRequest, Stream, CancellationToken, Task<bool>> respond)
    {
        Respond = respond;
        _listener.Start();
        Address = new Uri($"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}/");
        _accepting = AcceptAsync();
    }

    public Func<RawRequest, Stream, CancellationToken, Task<bool>> Respond { get; }

    public Uri Address { get; }

    public int Accepted => Volatile.Read(ref _accepted);

    public int Requests => Volatile.Read(ref _requests);

    /// <summary>Connections this server has closed (or that ended).</summary>
    public int Closed => Volatile.Read(ref _closed);

    /// <summary>A server that answers every request with <paramref name="response"/> and keeps the connection.</summary>
    public static RawHttpServer Always(string response) =>
        new(async (_, stream, ct) =>
        {
            await stream.WriteAsync(Encoding.Latin1.GetBytes(response), ct);
            return true;
        });

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        try
        {
            await _accepting;
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
        }

        Task[] running;
        lock (_connections)
        {
            running = [.. _connections];
        }

        await Task.WhenAll(running).WaitAsync(TimeSpan.FromSeconds(10));
        _stop.Dispose();
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            var client = await _listener.AcceptTcpClientAsync(_stop.Token);
            Interlocked.Increment(ref _accepted);
            lock (_connections)
            {
                _connections.Add(ServeAsync(client));
            }
        }
    }

    private async Task ServeAsync(TcpClient client)
    {
        using var _ = client;
        var stream = client.GetStream();
        var buffered = new List<byte>();
        var chunk = new byte[8192];
        try
        {
            while (true)
            {
                int end;
                while ((end = IndexOf(buffered, "\r\n\r\n"u8)) < 0)
                {
                    var read = await stream.ReadAsync(chunk, _stop.Token);
                    if (read == 0)
                    {
                        return;
                    }

                    buffered.AddRange(chunk.AsSpan(0, read));
                }

                var head = Encoding.Latin1.GetString([.. buffered.GetRange(0, end)]);
                buffered.RemoveRange(0, end + 4);
                var length = head.Split("\r\n").Select(l => l.Split(':', 2)).Where(p => p.Length == 2 && p[0].Trim().Equals("Content-Length", StringComparison.OrdinalIgnoreCase))
                    .Select(p => int.Parse(p[1].Trim(), System.Globalization.CultureInfo.InvariantCulture)).FirstOrDefault();
                while (buffered.Count < length)
                {
                    var read = await stream.ReadAsync(chunk, _stop.Token);
                    if (read == 0)
                    {
                        return;
                    }

                    buffered.AddRange(chunk.AsSpan(0, read));
                }

                var body = buffered.GetRange(0, length).ToArray();
                buffered.RemoveRange(0, length);
                var request = new RawRequest(Interlocked.Increment(ref _requests), head, body);
                if (!await Respond(request, stream, _stop.Token))
                {
                    return;
                }
            }
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or SocketException)
        {
        }
        finally
        {
            client.Close();
            Interlocked.Increment(ref _closed);
        }
    }

    private static int IndexOf(List<byte> bytes, ReadOnlySpan<byte> pattern)
    {
        for (var i = 0; i + pattern.Length <= bytes.Count; i++)
        {
            var match = true;
            for (var j = 0; j < pattern.Length && match; j++)
            {
                match = bytes[i + j] == pattern[j];
            }

            if (match)
            {
                return i;
            }
        }

        return -1;
    }
}

/// <summary>A request as <see cref="RawHttpServer"/> read it: its number (from 1), its head (request line and headers) and body.</summary>
internal sealed record RawRequest(int Number, string Head, byte[] Body)
{
    public string RequestLine => Head.Split("\r\n")[0];
}
