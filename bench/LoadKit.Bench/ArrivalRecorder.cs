using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace LoadKit.Bench;

/// <summary>
/// The target of the skew mode's first-arrival runs: a raw HTTP/1.1 server on 127.0.0.1 that answers every request
/// with a fixed 200 and notes, per value of the <see cref="ClientHeader"/> header, the <see cref="Stopwatch"/>
/// timestamp at which the first request's bytes arrived: when each worker's load reached the target.
/// </summary>
internal sealed class ArrivalRecorder : IAsyncDisposable
{
    public const string ClientHeader = "X-LoadKit-Client";

    private static readonly byte[] Answer = Encoding.ASCII.GetBytes("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentDictionary<string, long> _first = new(StringComparer.Ordinal);
    private readonly ConcurrentBag<Task> _connections = [];
    private Task _accepting = Task.CompletedTask;

    public Uri Address => new($"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}/");

    /// <summary>The spread of the first arrivals since the last <see cref="Reset"/>, and how many clients they came from.</summary>
    public (TimeSpan Spread, int Clients) FirstArrivals() => _first.IsEmpty ? (TimeSpan.Zero, 0)
        : (Stopwatch.GetElapsedTime(_first.Values.Min(), _first.Values.Max()), _first.Count);

    public void Reset() => _first.Clear();

    public static ArrivalRecorder Start()
    {
        var recorder = new ArrivalRecorder();
        recorder._listener.Start();
        recorder._accepting = recorder.AcceptAsync();
        return recorder;
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await _accepting;
        await Task.WhenAll(_connections);
        _stop.Dispose();
    }

    private async Task AcceptAsync()
    {
        try
        {
            while (true)
            {
                _connections.Add(AnswerAsync(await _listener.AcceptTcpClientAsync(_stop.Token)));
            }
        }
        catch (Exception exception) when (exception is OperationCanceledException or SocketException or ObjectDisposedException)
        {
            // Stopped.
        }
    }

    private async Task AnswerAsync(TcpClient client)
    {
        using var _ = client;
        var stream = client.GetStream();
        var buffer = new byte[8192];
        var pending = new StringBuilder();
        try
        {
            int read;
            while ((read = await stream.ReadAsync(buffer, _stop.Token)) > 0)
            {
                var arrived = Stopwatch.GetTimestamp();
                pending.Append(Encoding.ASCII.GetString(buffer, 0, read));
                int end;
                while ((end = pending.ToString().IndexOf("\r\n\r\n", StringComparison.Ordinal)) >= 0)
                {
                    var head = pending.ToString(0, end);
                    pending.Remove(0, end + 4);
                    var at = head.IndexOf(ClientHeader + ":", StringComparison.OrdinalIgnoreCase);
                    if (at >= 0)
                    {
                        var value = head[(at + ClientHeader.Length + 1)..].Split("\r\n")[0].Trim();
                        _first.AddOrUpdate(value, arrived, (_, seen) => Math.Min(seen, arrived));
                    }

                    await stream.WriteAsync(Answer, _stop.Token);
                }
            }
        }
        catch (Exception exception) when (exception is OperationCanceledException or IOException or SocketException)
        {
            // The client went, or the recorder stopped.
        }
    }
}
