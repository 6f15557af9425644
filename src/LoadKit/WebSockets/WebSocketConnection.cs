using System.Buffers;
using System.Net.WebSockets;
using System.Runtime.CompilerServices;
using System.Text;
using LoadKit.Display;
using LoadKit.HttpSteps;

namespace LoadKit;

/// <summary>
/// A named WebSocket connection of one virtual user, kept in its session across steps and iterations and closed when
/// the VU's life ends. Get it with <see cref="WebSocketSteps.WebSocket"/> (<c>ctx.WebSocket("chat")</c>) inside a step.
/// A connection the server closes, or that breaks, counts as dropped: the call fails with
/// "WebSocket 'name' dropped: reason", and the next <see cref="ConnectAsync"/> (a connect step in the next iteration)
/// opens a new one. A receive that is cancelled or times out aborts the connection (as <see cref="ClientWebSocket"/>
/// does), so the next connect opens a new one too.
/// </summary>
public sealed class WebSocketConnection
{
    /// <summary>The largest message put together from frames; a bigger one is an error rather than unbounded memory.</summary>
    internal const int MaxMessageBytes = 16 * 1024 * 1024;

    private static readonly TimeSpan CloseBound = TimeSpan.FromSeconds(1);

    private readonly StepContext _context;
    private ClientWebSocket? _socket;
    private byte[] _received = [];
    private int _receivedLength;
    private byte[] _send = [];
    private CancellationTokenSource? _receiveTimeout;
    private string _notOpen = "never opened";
    private OpenedConnections? _prepared;

    internal WebSocketConnection(string name, StepContext context)
    {
        Name = name;
        _context = context;
    }

    /// <summary>The connection's name, unique within a VU.</summary>
    public string Name { get; }

    /// <summary>Whether the connection is open (connected and not closed or dropped).</summary>
    public bool IsOpen => _socket?.State == WebSocketState.Open;

    /// <summary>The subprotocol the server chose, or null.</summary>
    public string? SubProtocol => _socket?.SubProtocol;

    /// <summary>
    /// Opens the connection to <paramref name="url"/> (<c>ws://</c> or <c>wss://</c>) unless it is open already, in
    /// which case it does nothing. A connection that was closed or dropped is replaced by a new one.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="url"/> is not an absolute ws:// or wss:// URL.</exception>
    /// <exception cref="WebSocketException">The server refused the connection (the message names the connection and URL).</exception>
    public async ValueTask ConnectAsync(
        string url,
        IEnumerable<KeyValuePair<string, string>>? headers = null,
        string? subProtocol = null,
        CancellationToken cancellationToken = default)
    {
        if (IsOpen)
        {
            return;
        }

        var uri = WebSocketSteps.ParseUrl(Name, url);
        Abandon();
        var socket = new ClientWebSocket();
        foreach (var (header, value) in headers ?? [])
        {
            socket.Options.SetRequestHeader(header, value);
        }

        if (!string.IsNullOrEmpty(subProtocol))
        {
            socket.Options.AddSubProtocol(subProtocol);
        }

        var prepared = _prepared;
        _prepared = null;
        try
        {
            if (prepared is null)
            {
                await socket.ConnectAsync(uri, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                // The handshake goes over the connection opened before the start (a new one if the server closed it,
                // or the URL now names another host). The handler, used once, leaves the upgraded stream to the socket.
                using var invoker = new HttpMessageInvoker(new SocketsHttpHandler
                {
                    ConnectCallback = prepared.ConnectAsync,
                    UseProxy = false,
                    UseCookies = false,
                    PooledConnectionLifetime = TimeSpan.Zero,
                });
                await socket.ConnectAsync(uri, invoker, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (Exception exception) when (exception is WebSocketException or HttpRequestException)
        {
            socket.Dispose();
            _context.Recorder?.WebSocket.Failed();
            _notOpen = "its last connect failed";
            throw new WebSocketException($"WebSocket '{Name}' could not connect to {uri}: {exception.Message}", exception);
        }
        catch
        {
            socket.Dispose();
            _context.Recorder?.WebSocket.Failed();
            _notOpen = "its last connect was cancelled";
            throw;
        }
        finally
        {
            prepared?.Dispose();
        }

        _socket = socket;
        _context.Recorder?.WebSocket.Opened();
    }

    /// <summary>Before a shared start: opens the TCP connection that the next <see cref="ConnectAsync"/> to <paramref name="uri"/>'s host sends its handshake on.</summary>
    internal async ValueTask PrepareAsync(Uri uri, CancellationToken cancellationToken)
    {
        if (IsOpen || _prepared is not null)
        {
            return;
        }

        _prepared = await OpenedConnections.OpenAsync(uri, 1, handshake: false, certificateCheck: null, inline: false, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Sends <paramref name="text"/> as one text message, encoded into a reusable buffer.</summary>
    /// <exception cref="InvalidOperationException">The connection is not open (the message says why).</exception>
    /// <exception cref="WebSocketException">The connection dropped.</exception>
    public ValueTask SendTextAsync(string text, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(text);
        var socket = Open();
        var length = Encoding.UTF8.GetByteCount(text);
        if (_send.Length < length)
        {
            Return(ref _send);
            _send = ArrayPool<byte>.Shared.Rent(Math.Max(length, 1024));
        }

        Encoding.UTF8.GetBytes(text, _send);
        return SendAsync(socket, _send.AsMemory(0, length), WebSocketMessageType.Text, cancellationToken);
    }

    /// <summary>Sends <paramref name="data"/> as one binary message.</summary>
    /// <exception cref="InvalidOperationException">The connection is not open (the message says why).</exception>
    /// <exception cref="WebSocketException">The connection dropped.</exception>
    public ValueTask SendBinaryAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken = default) =>
        SendAsync(Open(), data, WebSocketMessageType.Binary, cancellationToken);

    /// <summary>
    /// Receives messages until one matches <paramref name="until"/> (any message when null) and returns it; the others
    /// are skipped. Its <see cref="WebSocketMessage.Data"/> is valid until the next receive.
    /// </summary>
    /// <param name="until">Which message to wait for; null takes the first.</param>
    /// <param name="timeout">How long to wait for it (besides <paramref name="cancellationToken"/>); null for no limit of its own.</param>
    /// <param name="cancellationToken">Pass the step's token, so the step's timeout ends the wait.</param>
    /// <exception cref="TimeoutException">No matching message within <paramref name="timeout"/> (the step counts as timed out).</exception>
    /// <exception cref="InvalidOperationException">The connection is not open (the message says why).</exception>
    /// <exception cref="WebSocketException">The connection dropped.</exception>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<WebSocketMessage> ReceiveAsync(
        Func<WebSocketMessage, bool>? until = null,
        TimeSpan? timeout = null,
        CancellationToken cancellationToken = default)
    {
        var socket = Open();
        if (timeout is not { } limit)
        {
            return await ReceiveMatchingAsync(socket, until, cancellationToken).ConfigureAwait(false);
        }

        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(limit, TimeSpan.Zero, nameof(timeout));
        _receiveTimeout ??= new CancellationTokenSource();
        var timeoutSource = _receiveTimeout;
        timeoutSource.CancelAfter(limit);
        try
        {
            using (cancellationToken.UnsafeRegister(static s => ((CancellationTokenSource)s!).Cancel(), timeoutSource))
            {
                return await ReceiveMatchingAsync(socket, until, timeoutSource.Token).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException(
                $"WebSocket '{Name}' received no matching message within {Format.Duration(limit)} in step '{_context.StepName}'.");
        }
        finally
        {
            // Keeps the source (and its timer) for the next receive unless it fired.
            if (!timeoutSource.TryReset())
            {
                timeoutSource.Dispose();
                _receiveTimeout = null;
            }
        }
    }

    /// <summary>
    /// Sends <paramref name="text"/>, then receives until the reply that matches <paramref name="reply"/> (the first
    /// message when null) and returns it. As a step, its latency is the time from the send to that reply.
    /// </summary>
    /// <inheritdoc cref="ReceiveAsync" path="/exception"/>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<WebSocketMessage> ExchangeAsync(
        string text,
        Func<WebSocketMessage, bool>? reply = null,
        TimeSpan? timeout = null,
        CancellationToken cancellationToken = default)
    {
        await SendTextAsync(text, cancellationToken).ConfigureAwait(false);
        return await ReceiveAsync(reply, timeout, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Sends <paramref name="data"/> as a binary message, then receives until the matching reply, as the text overload does.</summary>
    /// <inheritdoc cref="ReceiveAsync" path="/exception"/>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<WebSocketMessage> ExchangeAsync(
        ReadOnlyMemory<byte> data,
        Func<WebSocketMessage, bool>? reply = null,
        TimeSpan? timeout = null,
        CancellationToken cancellationToken = default)
    {
        await SendBinaryAsync(data, cancellationToken).ConfigureAwait(false);
        return await ReceiveAsync(reply, timeout, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Closes the connection with a close handshake; does nothing when it is not open.</summary>
    public async ValueTask CloseAsync(CancellationToken cancellationToken = default)
    {
        if (_socket is not { } socket)
        {
            return;
        }

        try
        {
            if (socket.State == WebSocketState.Open)
            {
                await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, null, cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            Abandon();
            _notOpen = "it was closed";
        }
    }

    /// <summary>The VU's life ended: a close handshake bounded by a second, then abort, and the buffers go back to the pool.</summary>
    internal async ValueTask DisposeAsync()
    {
        try
        {
            using var bound = new CancellationTokenSource(CloseBound);
            await CloseAsync(bound.Token).ConfigureAwait(false);
        }
        catch (Exception exception) when (exception is WebSocketException or OperationCanceledException or IOException)
        {
            // The run is over; a peer that does not answer the close is not the test's concern.
        }

        _prepared?.Dispose();
        _receiveTimeout?.Dispose();
        Return(ref _received);
        Return(ref _send);
    }

    private ClientWebSocket Open()
    {
        if (_socket is { State: WebSocketState.Open } socket)
        {
            return socket;
        }

        var why = _socket is null ? _notOpen : $"its state is {_socket.State}";
        throw new InvalidOperationException(
            $"WebSocket '{Name}' is not open in step '{_context.StepName}' ({why}): open it with a connect step " +
            "(WebSocketSteps.Connect) or ConnectAsync before sending or receiving.");
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask SendAsync(ClientWebSocket socket, ReadOnlyMemory<byte> data, WebSocketMessageType type, CancellationToken cancellationToken)
    {
        try
        {
            await socket.SendAsync(data, type, endOfMessage: true, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception exception) when (exception is WebSocketException or IOException)
        {
            _context.Recorder?.WebSocket.Dropped();
            throw Dropped(exception.Message, exception);
        }
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<WebSocketMessage> ReceiveMatchingAsync(ClientWebSocket socket, Func<WebSocketMessage, bool>? until, CancellationToken cancellationToken)
    {
        while (true)
        {
            var type = await ReceiveMessageAsync(socket, cancellationToken).ConfigureAwait(false);
            var message = new WebSocketMessage(type, _received.AsMemory(0, _receivedLength));
            if (until is null || until(message))
            {
                return message;
            }
        }
    }

    /// <summary>Puts one message's frames together in the pooled buffer.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<WebSocketMessageType> ReceiveMessageAsync(ClientWebSocket socket, CancellationToken cancellationToken)
    {
        _receivedLength = 0;
        try
        {
            while (true)
            {
                if (_receivedLength == _received.Length)
                {
                    Grow();
                }

                var frame = await socket.ReceiveAsync(_received.AsMemory(_receivedLength), cancellationToken).ConfigureAwait(false);
                if (frame.MessageType == WebSocketMessageType.Close)
                {
                    var reason = $"closed by the server ({(int?)socket.CloseStatus} {socket.CloseStatusDescription})";
                    _context.Recorder?.WebSocket.ClosedByServer();
                    await AnswerCloseAsync(socket).ConfigureAwait(false);
                    throw Dropped(reason, null);
                }

                _receivedLength += frame.Count;
                if (frame.EndOfMessage)
                {
                    return frame.MessageType;
                }
            }
        }
        // A drop reported above has already let go of the socket and is not wrapped again.
        catch (Exception exception) when (exception is WebSocketException or IOException && _socket == socket)
        {
            _context.Recorder?.WebSocket.Dropped();
            throw Dropped(exception.Message, exception);
        }
    }

    private void Grow()
    {
        if (_received.Length >= MaxMessageBytes)
        {
            // The rest of the message is still on the wire: the connection cannot be read on from here.
            Abandon();
            _notOpen = $"a message exceeded {MaxMessageBytes / (1024 * 1024)} MiB";
            throw new InvalidDataException(
                $"WebSocket '{Name}' received a message over {MaxMessageBytes / (1024 * 1024)} MiB in step '{_context.StepName}'; LoadKit puts together messages up to that size.");
        }

        var bigger = ArrayPool<byte>.Shared.Rent(Math.Min(MaxMessageBytes, Math.Max(4096, _received.Length * 2)));
        _received.AsSpan(0, _receivedLength).CopyTo(bigger);
        Return(ref _received);
        _received = bigger;
    }

    private static async ValueTask AnswerCloseAsync(ClientWebSocket socket)
    {
        // Completes the server's close handshake, briefly: the step is already failing.
        try
        {
            using var bound = new CancellationTokenSource(CloseBound);
            await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, bound.Token).ConfigureAwait(false);
        }
        catch (Exception exception) when (exception is WebSocketException or OperationCanceledException or IOException)
        {
        }
    }

    private WebSocketException Dropped(string reason, Exception? inner)
    {
        Abandon();
        _notOpen = $"it dropped: {reason}";
        var message = $"WebSocket '{Name}' dropped: {reason}";
        return inner is null ? new WebSocketException(message) : new WebSocketException(message, inner);
    }

    /// <summary>Lets go of the socket without a handshake.</summary>
    private void Abandon()
    {
        if (_socket is { } socket)
        {
            _socket = null;
            socket.Abort();
            socket.Dispose();
        }
    }

    private static void Return(ref byte[] buffer)
    {
        if (buffer.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(buffer);
            buffer = [];
        }
    }
}
