using System.Runtime.ExceptionServices;
using System.Text;
using Etcdserverpb;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;

namespace LoadKit.Cluster;

/// <summary>
/// An etcd watch of a key prefix that wakes its owner on every change, on a gRPC stream of its own. When the stream
/// breaks (etcd restarts), it connects again with a back-off and wakes its owner once it watches again, since changes
/// may have been missed meanwhile. Disposing it ends its reader before the stream and channel go: dotnet-etcd 9.1's own
/// watches race their disposal and print "Error processing watch responses" to the console.
/// </summary>
internal sealed class PrefixWatch : IAsyncDisposable
{
    private static readonly TimeSpan LongestBackOff = TimeSpan.FromSeconds(1);
    private readonly EtcdAccess _etcd;
    private readonly string _prefix;
    private readonly Action _changed;
    private readonly CancellationTokenSource _stop = new();
    private (GrpcChannel Channel, AsyncDuplexStreamingCall<WatchRequest, WatchResponse> Call) _stream;
    private Task _reading = Task.CompletedTask;

    private PrefixWatch(EtcdAccess etcd, string prefix, Action changed)
    {
        _etcd = etcd;
        _prefix = prefix;
        _changed = changed;
    }

    /// <summary>Watches <paramref name="prefix"/> from now on; returns once etcd has created the watch.</summary>
    /// <exception cref="RpcException">No endpoint could create it (the last one's error).</exception>
    public static async Task<PrefixWatch> StartAsync(EtcdAccess etcd, string prefix, Action changed, CancellationToken cancellationToken)
    {
        var watch = new PrefixWatch(etcd, prefix, changed);
        try
        {
            watch._stream = await watch.ConnectAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            watch._stop.Dispose();
            throw;
        }

        watch._reading = Task.Run(watch.ReadAsync, CancellationToken.None);
        return watch;
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        await _reading.ConfigureAwait(false);
        Close(_stream);
        _stop.Dispose();
    }

    /// <summary>Reads until disposed; reconnects when the stream breaks.</summary>
    private async Task ReadAsync()
    {
        var backOff = TimeSpan.FromMilliseconds(100);
        while (!_stop.IsCancellationRequested)
        {
            try
            {
                var responses = _stream.Call.ResponseStream;
                while (await responses.MoveNext(_stop.Token).ConfigureAwait(false))
                {
                    if (responses.Current.Events.Count > 0 || responses.Current.Canceled)
                    {
                        Tell();
                    }

                    backOff = TimeSpan.FromMilliseconds(100);
                }
            }
            catch (Exception) when (_stop.IsCancellationRequested)
            {
                return;
            }
            catch (Exception exception) when (exception is RpcException or IOException or InvalidOperationException)
            {
                // Broken: connect again below.
            }

            // The stream ended or broke: watch again, then read everything (what changed meanwhile was not seen).
            Close(_stream);
            while (!_stop.IsCancellationRequested)
            {
                try
                {
                    await Task.Delay(backOff, _stop.Token).ConfigureAwait(false);
                    _stream = await ConnectAsync(_stop.Token).ConfigureAwait(false);
                    Tell();
                    break;
                }
                catch (Exception) when (_stop.IsCancellationRequested)
                {
                    return;
                }
                catch (Exception exception) when (exception is RpcException or IOException or InvalidOperationException or System.Net.Sockets.SocketException)
                {
                    backOff = TimeSpan.FromTicks(Math.Min(LongestBackOff.Ticks, backOff.Ticks * 2));
                }
            }
        }
    }

    private void Tell()
    {
        try
        {
            _changed();
        }
        catch (ObjectDisposedException)
        {
            // The owner's wait is over.
        }
    }

    /// <summary>A stream on the first endpoint that creates the watch.</summary>
    private async Task<(GrpcChannel, AsyncDuplexStreamingCall<WatchRequest, WatchResponse>)> ConnectAsync(CancellationToken cancellationToken)
    {
        Exception? last = null;
        foreach (var endpoint in _etcd.Endpoints)
        {
            var channel = _etcd.NewChannel(endpoint);
            AsyncDuplexStreamingCall<WatchRequest, WatchResponse>? call = null;
            try
            {
                var headers = await _etcd.TokenHeadersAsync(cancellationToken).ConfigureAwait(false);
                call = new Watch.WatchClient(channel).Watch(headers, cancellationToken: _stop.Token);
                var prefix = Encoding.UTF8.GetBytes(_prefix);
                await call.RequestStream.WriteAsync(new WatchRequest
                {
                    CreateRequest = new WatchCreateRequest { Key = ByteString.CopyFrom(prefix), RangeEnd = ByteString.CopyFrom(RangeEnd(prefix)) },
                }, cancellationToken).ConfigureAwait(false);
                if (!await call.ResponseStream.MoveNext(cancellationToken).ConfigureAwait(false))
                {
                    throw new RpcException(new Status(StatusCode.Unavailable, $"etcd at {endpoint} ended the watch of {_prefix} before creating it."));
                }

                if (call.ResponseStream.Current is { Created: false } or { Canceled: true })
                {
                    throw new RpcException(new Status(StatusCode.FailedPrecondition, $"etcd at {endpoint} did not create the watch of {_prefix}: {call.ResponseStream.Current.CancelReason}"));
                }

                return (channel, call);
            }
            catch (Exception exception)
            {
                call?.Dispose();
                channel.Dispose();
                if (cancellationToken.IsCancellationRequested || exception is not (RpcException or IOException or System.Net.Sockets.SocketException or HttpRequestException))
                {
                    throw;
                }

                last = exception;
            }
        }

        ExceptionDispatchInfo.Throw(last!);
        return default;
    }

    private static void Close((GrpcChannel Channel, AsyncDuplexStreamingCall<WatchRequest, WatchResponse> Call) stream)
    {
        stream.Call?.Dispose();
        stream.Channel?.Dispose();
    }

    /// <summary>The end of the range of every key that starts with <paramref name="prefix"/>: its last byte plus one (etcd's prefix convention).</summary>
    private static byte[] RangeEnd(byte[] prefix)
    {
        var end = (byte[])prefix.Clone();
        for (var i = end.Length - 1; i >= 0; i--)
        {
            if (end[i] < 0xff)
            {
                end[i]++;
                return end[..(i + 1)];
            }
        }

        return [0]; // all keys
    }
}
