using System.Buffers;
using System.Buffers.Text;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Text;
using LoadKit.Async;

namespace LoadKit.HttpWire;

/// <summary>
/// One HTTP/1.1 connection (TCP, or TLS over it) and its pooled read buffer. It writes a request's bytes and reads the
/// response in place: the status line and the headers the exchange asked for, then the body, framed by
/// Content-Length, chunked encoding or the end of the connection, copied out only when the exchange keeps it.
/// </summary>
internal sealed class WireConnection : IDisposable
{
    /// <summary>The most bytes a response's status line and headers (and a chunked body's trailers) may take.</summary>
    public const int HeaderLimit = 64 * 1024;

    private const int BufferSize = 16 * 1024;

    /// <summary>The longest line of a chunked body's framing (chunk size and extensions).</summary>
    private const int ChunkLineLimit = 4 * 1024;

    private readonly Socket _socket;
    private readonly Stream _stream;
    private byte[] _buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
    private int _start;
    private int _end;
    private bool _disposed;

    public WireConnection(WireOrigin origin, Socket socket, Stream stream) => (Origin, _socket, _stream) = (origin, socket, stream);

    private enum Framing
    {
        None,
        Length,
        Chunked,
        UntilClose,
    }

    public WireOrigin Origin { get; }

    /// <summary>How long its TCP connect took (Stopwatch ticks; 0: not timed).</summary>
    public long ConnectTicks { get; init; }

    /// <summary>How long its TLS handshake took (Stopwatch ticks; 0: none, or not timed).</summary>
    public long TlsTicks { get; init; }

    /// <summary>Whether the connection has carried a response before (a request on it may meet a server that closed it).</summary>
    public bool Reused { get; private set; }

    /// <summary>
    /// Whether an idle connection is readable: the server closed it (or sent bytes nobody asked for); either way it
    /// cannot carry a request.
    /// </summary>
    public bool LooksClosed()
    {
        try
        {
            return _start != _end || _socket.Poll(0, SelectMode.SelectRead);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            return true;
        }
    }

    public ValueTask WriteAsync(ReadOnlyMemory<byte> request, CancellationToken cancellationToken) => _stream.WriteAsync(request, cancellationToken);

    /// <summary>Reads one response into <paramref name="exchange"/>; true when the connection can carry another request.</summary>
    [AsyncMethodBuilder(typeof(SharedPoolValueTaskBuilder<>))]
    public async ValueTask<bool> ReceiveAsync(WireExchange exchange, bool isHead, CancellationToken cancellationToken)
    {
        ResponseHead head;
        var anyByte = _end > _start;
        while (true)
        {
            int headLength;
            while ((headLength = HeadLength()) < 0)
            {
                if (_end - _start >= HeaderLimit)
                {
                    throw Malformed($"its status line and headers are larger than {HeaderLimit} bytes, the limit of LoadKit's HTTP engine");
                }

                if (!await FillAsync(grow: true, cancellationToken).ConfigureAwait(false))
                {
                    throw anyByte ? Malformed("the connection closed in the middle of its headers") : WireErrors.ClosedBeforeResponse(Origin, Reused);
                }

                anyByte = true;
            }

            if (headLength > HeaderLimit)
            {
                throw Malformed($"its status line and headers are larger than {HeaderLimit} bytes, the limit of LoadKit's HTTP engine");
            }

            head = ParseHead(_buffer.AsSpan(_start, headLength), exchange, isHead);
            _start += headLength;
            if (!head.Interim)
            {
                break;
            }
        }

        exchange.HeadersReceived(head.Status, head.Coding);
        switch (head.Framing)
        {
            case Framing.Length:
                await ReadLengthAsync(exchange, head.Length, cancellationToken).ConfigureAwait(false);
                break;
            case Framing.Chunked:
                await ReadChunkedAsync(exchange, cancellationToken).ConfigureAwait(false);
                break;
            case Framing.UntilClose:
                await ReadToEndAsync(exchange, cancellationToken).ConfigureAwait(false);
                break;
        }

        Reused = true;

        // Bytes after the response were not asked for (no pipelining): the connection's state is unknown.
        return head.KeepAlive && head.Framing != Framing.UntilClose && _start == _end;
    }

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        _stream.Dispose();
        ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = [];
    }

    private static bool IsDigit(byte b) => b is >= (byte)'0' and <= (byte)'9';

    private static bool HasToken(ReadOnlySpan<byte> value, ReadOnlySpan<byte> token)
    {
        foreach (var range in value.Split((byte)','))
        {
            if (Ascii.EqualsIgnoreCase(value[range].Trim(" \t"u8), token))
            {
                return true;
            }
        }

        return false;
    }

    private static bool LastTokenIs(ReadOnlySpan<byte> value, ReadOnlySpan<byte> token)
    {
        var comma = value.LastIndexOf((byte)',');
        return Ascii.EqualsIgnoreCase(value[(comma + 1)..].Trim(" \t"u8), token);
    }

    /// <summary>A wire value for an error message: at most 40 characters, control bytes as '?'.</summary>
    private static string Printable(ReadOnlySpan<byte> bytes)
    {
        var text = Encoding.Latin1.GetString(bytes[..Math.Min(bytes.Length, 40)]);
        return string.Create(text.Length + (bytes.Length > 40 ? 1 : 0), text, static (span, t) =>
        {
            for (var i = 0; i < t.Length; i++)
            {
                span[i] = char.IsControl(t[i]) ? '?' : t[i];
            }

            if (span.Length > t.Length)
            {
                span[^1] = '…';
            }
        });
    }

    private static bool TryParseLength(ReadOnlySpan<byte> value, out long length)
    {
        length = 0;
        if (value.Length is 0 or > 18)
        {
            return false;
        }

        foreach (var b in value)
        {
            if (!IsDigit(b))
            {
                return false;
            }

            length = (length * 10) + (b - '0');
        }

        return true;
    }

    /// <summary>
    /// The length of the status line and headers with their closing blank line, or -1 when they are not all buffered.
    /// Lines may end in a bare LF, which HTTP/1.1 lets a client accept (RFC 9112 2.2) and HttpClient accepts.
    /// </summary>
    private int HeadLength()
    {
        var head = _buffer.AsSpan(_start, _end - _start);
        var crlf = head.IndexOf("\n\r\n"u8); // the end of "\r\n\r\n", or a bare LF line then a CRLF blank line
        var lf = head.IndexOf("\n\n"u8);
        return crlf < 0 && lf < 0 ? -1 : Math.Min(crlf < 0 ? int.MaxValue : crlf + 3, lf < 0 ? int.MaxValue : lf + 2);
    }

    /// <summary>The line at the start of <paramref name="text"/> without its CRLF or LF, and the text after it.</summary>
    private static ReadOnlySpan<byte> NextLine(ref ReadOnlySpan<byte> text)
    {
        var end = text.IndexOf((byte)'\n');
        var line = text[..end];
        text = text[(end + 1)..];
        return line.Length > 0 && line[^1] == '\r' ? line[..^1] : line;
    }

    private ResponseHead ParseHead(ReadOnlySpan<byte> head, WireExchange exchange, bool isHead)
    {
        var lines = head;
        var statusLine = NextLine(ref lines);
        if (statusLine.Length < 12 || !statusLine.StartsWith("HTTP/1."u8) || !IsDigit(statusLine[7]) || statusLine[8] != ' '
            || !IsDigit(statusLine[9]) || !IsDigit(statusLine[10]) || !IsDigit(statusLine[11]) || (statusLine.Length > 12 && statusLine[12] != ' ')
            || statusLine[9] == '0')
        {
            throw Malformed($"its status line '{Printable(statusLine)}' is not 'HTTP/1.x NNN reason' with a status from 100 to 999");
        }

        var status = ((statusLine[9] - '0') * 100) + ((statusLine[10] - '0') * 10) + (statusLine[11] - '0');
        var interim = status is >= 100 and < 200 and not 101;
        var keepAlive = statusLine[7] != '0';
        long length = -1;
        var chunked = false;
        var otherTransferCoding = false;
        var coding = ContentCoding.None;
        for (var line = NextLine(ref lines); !line.IsEmpty; line = NextLine(ref lines))
        {
            var colon = line.IndexOf((byte)':');
            if (colon <= 0)
            {
                throw Malformed($"its header line '{Printable(line)}' is not 'name: value'");
            }

            if (interim)
            {
                continue;
            }

            var name = line[..colon];
            var value = line[(colon + 1)..].Trim(" \t"u8);
            if (Ascii.EqualsIgnoreCase(name, "Content-Length"u8))
            {
                if (!TryParseLength(value, out var parsed))
                {
                    throw Malformed($"its Content-Length '{Printable(value)}' is not a whole number of 0 or more");
                }

                if (length >= 0 && length != parsed)
                {
                    throw Malformed("it has two different Content-Length headers");
                }

                length = parsed;
            }
            else if (Ascii.EqualsIgnoreCase(name, "Transfer-Encoding"u8))
            {
                chunked = LastTokenIs(value, "chunked"u8);
                otherTransferCoding = !chunked;
            }
            else if (Ascii.EqualsIgnoreCase(name, "Connection"u8))
            {
                keepAlive = !HasToken(value, "close"u8) && (keepAlive || HasToken(value, "keep-alive"u8));
            }
            else if (Ascii.EqualsIgnoreCase(name, "Content-Encoding"u8))
            {
                // The last coding applied is undone, as HttpClient's decompression does ("gzip, br": br).
                coding = LastTokenIs(value, "gzip"u8) ? ContentCoding.Gzip
                    : LastTokenIs(value, "deflate"u8) ? ContentCoding.Deflate
                    : LastTokenIs(value, "br"u8) ? ContentCoding.Brotli
                    : ContentCoding.None;
            }

            exchange.OfferHeader(name, value);
        }

        Framing framing;
        if (interim || isHead || status is 204 or 304 or 101)
        {
            framing = Framing.None;
            keepAlive &= status != 101;
        }
        else if (chunked)
        {
            framing = Framing.Chunked;

            // Both framings given (RFC 9112 6.3): chunked wins, and the connection must not be reused.
            keepAlive &= length < 0;
        }
        else if (otherTransferCoding || length < 0)
        {
            framing = Framing.UntilClose;
        }
        else
        {
            framing = length == 0 ? Framing.None : Framing.Length;
        }

        return new ResponseHead(status, interim, keepAlive, framing, length, coding);
    }

    /// <summary>Reads more bytes into the buffer; false at the end of the connection.</summary>
    [AsyncMethodBuilder(typeof(SharedPoolValueTaskBuilder<>))]
    private async ValueTask<bool> FillAsync(bool grow, CancellationToken cancellationToken)
    {
        if (_start == _end)
        {
            _start = _end = 0;
        }
        else if (_end == _buffer.Length)
        {
            if (_start > 0)
            {
                _buffer.AsSpan(_start, _end - _start).CopyTo(_buffer);
                (_start, _end) = (0, _end - _start);
            }
            else if (grow)
            {
                // Headers larger than the buffer: once up to the limit, kept for the connection's life.
                var larger = ArrayPool<byte>.Shared.Rent(HeaderLimit + 4);
                _buffer.AsSpan(0, _end).CopyTo(larger);
                ArrayPool<byte>.Shared.Return(_buffer);
                _buffer = larger;
            }
        }

        var read = await _stream.ReadAsync(_buffer.AsMemory(_end), cancellationToken).ConfigureAwait(false);
        _end += read;
        return read > 0;
    }

    [AsyncMethodBuilder(typeof(SharedPoolValueTaskBuilder))]
    private async ValueTask ReadLengthAsync(WireExchange exchange, long remaining, CancellationToken cancellationToken)
    {
        var total = remaining;
        while (remaining > 0)
        {
            if (_start == _end && !await FillAsync(grow: false, cancellationToken).ConfigureAwait(false))
            {
                throw Malformed($"the connection closed before the end of a body of {total} bytes");
            }

            var take = (int)Math.Min(remaining, _end - _start);
            exchange.AppendBody(_buffer.AsSpan(_start, take));
            _start += take;
            remaining -= take;
        }
    }

    [AsyncMethodBuilder(typeof(SharedPoolValueTaskBuilder))]
    private async ValueTask ReadChunkedAsync(WireExchange exchange, CancellationToken cancellationToken)
    {
        while (true)
        {
            var line = await LineAsync(cancellationToken).ConfigureAwait(false);
            var size = ChunkSize(_buffer.AsSpan(_start, line.Length));
            _start += line.Taken;
            if (size == 0)
            {
                break;
            }

            await ReadLengthAsync(exchange, size, cancellationToken).ConfigureAwait(false);
            line = await LineAsync(cancellationToken).ConfigureAwait(false);
            if (line.Length != 0)
            {
                throw Malformed("a chunk of its body is longer than its chunk size says");
            }

            _start += line.Taken;
        }

        // Trailers: read and dropped (no check or extraction reads them).
        var trailers = 0;
        FramingLine trailer;
        while ((trailer = await LineAsync(cancellationToken).ConfigureAwait(false)).Length > 0)
        {
            _start += trailer.Taken;
            trailers += trailer.Taken;
            if (trailers > HeaderLimit)
            {
                throw Malformed($"its trailers are larger than {HeaderLimit} bytes, the limit of LoadKit's HTTP engine");
            }
        }

        _start += trailer.Taken;
    }

    /// <summary>
    /// The next line of a chunked body's framing, once it is all buffered: its length without its end, and the bytes it
    /// takes with it (CRLF, or a bare LF, as HttpClient reads them too).
    /// </summary>
    [AsyncMethodBuilder(typeof(SharedPoolValueTaskBuilder<>))]
    private async ValueTask<FramingLine> LineAsync(CancellationToken cancellationToken)
    {
        int index;
        while ((index = _buffer.AsSpan(_start, _end - _start).IndexOf((byte)'\n')) < 0)
        {
            if (_end - _start >= ChunkLineLimit)
            {
                throw Malformed($"a line of its chunked framing is longer than {ChunkLineLimit} bytes");
            }

            if (!await FillAsync(grow: false, cancellationToken).ConfigureAwait(false))
            {
                throw Malformed("the connection closed in the middle of its chunked body");
            }
        }

        return new(index > 0 && _buffer[_start + index - 1] == (byte)'\r' ? index - 1 : index, index + 1);
    }

    private long ChunkSize(ReadOnlySpan<byte> line)
    {
        var semicolon = line.IndexOf((byte)';');
        var digits = (semicolon < 0 ? line : line[..semicolon]).Trim(" \t"u8);
        if (digits.Length is 0 or > 15 || !Utf8Parser.TryParse(digits, out long size, out var consumed, 'X') || consumed != digits.Length)
        {
            throw Malformed($"its chunk size '{Printable(line)}' is not a hexadecimal number");
        }

        return size;
    }

    [AsyncMethodBuilder(typeof(SharedPoolValueTaskBuilder))]
    private async ValueTask ReadToEndAsync(WireExchange exchange, CancellationToken cancellationToken)
    {
        do
        {
            exchange.AppendBody(_buffer.AsSpan(_start, _end - _start));
            _start = _end;
        }
        while (await FillAsync(grow: false, cancellationToken).ConfigureAwait(false));
    }

    private HttpRequestException Malformed(string what) => WireErrors.Malformed(Origin, what);

    private readonly record struct FramingLine(int Length, int Taken);

    private readonly record struct ResponseHead(int Status, bool Interim, bool KeepAlive, Framing Framing, long Length, ContentCoding Coding);
}

/// <summary>The content codings LoadKit's engine decodes when asked.</summary>
internal enum ContentCoding
{
    None,
    Gzip,
    Deflate,
    Brotli,
}
