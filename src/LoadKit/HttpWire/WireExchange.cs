using System.Buffers;
using System.Diagnostics;
using System.IO.Compression;
using System.Net;
using System.Runtime.CompilerServices;
using System.Text;
using LoadKit.Async;

namespace LoadKit.HttpWire;

/// <summary>
/// One request at a time over a <see cref="WirePool"/>: the request's bytes (written by the caller into
/// <see cref="Request"/>), what to keep of the response, and what came back. Reused request after request, so a
/// request that keeps neither body nor headers allocates nothing.
/// </summary>
internal sealed class WireExchange : IDisposable
{
    private readonly List<KeyValuePair<string, string>> _headers = [];
    private byte[]? _body;
    private int _bodyLength;
    private ContentCoding _coding;

    public RequestBuffer Request { get; } = new();

    /// <summary>Whether the body is kept for <see cref="Body"/> (else it is counted and dropped).</summary>
    public bool KeepBody { get; set; }

    /// <summary>Whether every response header is kept for <see cref="Header"/>.</summary>
    public bool KeepAllHeaders { get; set; }

    /// <summary>The response headers kept for <see cref="Header"/> besides (null: none).</summary>
    public IReadOnlyList<string>? KeepHeaders { get; set; }

    /// <summary>The content codings a kept body is decoded from.</summary>
    public DecompressionMethods Decompression { get; set; }

    public int Status { get; private set; }

    /// <summary>The body's bytes as they came (decoded from chunks, not decompressed).</summary>
    public long BodyBytes { get; private set; }

    /// <summary>The <see cref="Stopwatch"/> timestamp at which the final response's headers were read.</summary>
    public long HeadersAt { get; private set; }

    /// <summary>The TCP connect of this request's new connection in Stopwatch ticks; 0 when it reused one or took one opened before.</summary>
    public long ConnectTicks { get; internal set; }

    /// <summary>The TLS handshake of this request's new connection in Stopwatch ticks; 0 when there was none.</summary>
    public long TlsTicks { get; internal set; }

    /// <summary>The kept body (decompressed when asked), valid until the next request.</summary>
    public ReadOnlySpan<byte> Body => _body.AsSpan(0, _bodyLength);

    /// <summary>A kept response header (several values joined with ", "), or null.</summary>
    public string? Header(string name)
    {
        string? found = null;
        foreach (var (key, value) in _headers)
        {
            if (string.Equals(key, name, StringComparison.OrdinalIgnoreCase))
            {
                found = found is null ? value : $"{found}, {value}";
            }
        }

        return found;
    }

    /// <summary>
    /// Sends <see cref="Request"/> to <paramref name="origin"/> and reads the response. A request that never went
    /// out (the pooled connection was closed by the server, or its write failed) goes once more on a new connection;
    /// one that may have reached the server is not sent again.
    /// </summary>
    [AsyncMethodBuilder(typeof(SharedPoolValueTaskBuilder))]
    public async ValueTask SendAsync(WirePool pool, WireOrigin origin, bool isHead, CancellationToken cancellationToken)
    {
        Reset();
        for (var attempt = 0; ; attempt++)
        {
            var connection = await pool.RentAsync(origin, this, fresh: attempt > 0, cancellationToken).ConfigureAwait(false);
            var reusable = false;
            try
            {
                try
                {
                    await connection.WriteAsync(Request.Written, cancellationToken).ConfigureAwait(false);
                }
                catch (IOException) when (connection.Reused && attempt == 0 && !cancellationToken.IsCancellationRequested)
                {
                    continue;
                }

                reusable = await connection.ReceiveAsync(this, isHead, cancellationToken).ConfigureAwait(false);
                if (KeepBody && _coding != ContentCoding.None)
                {
                    Decompress();
                }

                return;
            }
            finally
            {
                pool.Return(connection, reusable);
            }
        }
    }

    public void Dispose()
    {
        Request.Dispose();
        if (_body is not null)
        {
            ArrayPool<byte>.Shared.Return(_body);
            _body = null;
        }
    }

    internal void HeadersReceived(int status, ContentCoding coding)
    {
        (Status, HeadersAt) = (status, Stopwatch.GetTimestamp());
        _coding = coding switch
        {
            ContentCoding.Gzip when Decompression.HasFlag(DecompressionMethods.GZip) => coding,
            ContentCoding.Deflate when Decompression.HasFlag(DecompressionMethods.Deflate) => coding,
            ContentCoding.Brotli when Decompression.HasFlag(DecompressionMethods.Brotli) => coding,
            _ => ContentCoding.None,
        };
    }

    internal void OfferHeader(ReadOnlySpan<byte> name, ReadOnlySpan<byte> value)
    {
        if (!KeepAllHeaders && !Wanted(name))
        {
            return;
        }

        _headers.Add(new(Encoding.Latin1.GetString(name), Encoding.Latin1.GetString(value)));
    }

    internal void AppendBody(ReadOnlySpan<byte> bytes)
    {
        BodyBytes += bytes.Length;
        if (!KeepBody || bytes.Length == 0)
        {
            return;
        }

        if ((long)_bodyLength + bytes.Length > Array.MaxLength)
        {
            throw new HttpRequestException($"the response body is over {Array.MaxLength} bytes, more than a check or an extraction can read (a body that nothing reads is counted, not kept)");
        }

        if (_body is null || _bodyLength + bytes.Length > _body.Length)
        {
            var larger = ArrayPool<byte>.Shared.Rent((int)Math.Clamp(Math.Max((_body?.Length ?? 0) * 2L, _bodyLength + bytes.Length), 16 * 1024, Array.MaxLength));
            Body.CopyTo(larger);
            if (_body is not null)
            {
                ArrayPool<byte>.Shared.Return(_body);
            }

            _body = larger;
        }

        bytes.CopyTo(_body.AsSpan(_bodyLength));
        _bodyLength += bytes.Length;
    }

    private bool Wanted(ReadOnlySpan<byte> name)
    {
        if (KeepHeaders is { } wanted)
        {
            foreach (var header in wanted)
            {
                if (Ascii.EqualsIgnoreCase(name, header))
                {
                    return true;
                }
            }
        }

        return false;
    }

    private void Reset()
    {
        Status = 0;
        BodyBytes = 0;
        HeadersAt = 0;
        ConnectTicks = 0;
        TlsTicks = 0;
        _bodyLength = 0;
        _coding = ContentCoding.None;
        if (_headers.Count > 0)
        {
            _headers.Clear();
        }
    }

    /// <summary>Replaces the kept body by its decompressed bytes (only when a check or extraction reads it).</summary>
    private void Decompress()
    {
        using var input = new MemoryStream(_body ?? [], 0, _bodyLength, writable: false);
        using Stream decoder = _coding switch
        {
            ContentCoding.Gzip => new GZipStream(input, CompressionMode.Decompress),
            ContentCoding.Deflate => new ZLibStream(input, CompressionMode.Decompress),
            _ => new BrotliStream(input, CompressionMode.Decompress),
        };
        using var output = new MemoryStream();
        try
        {
            decoder.CopyTo(output);
        }
        catch (InvalidDataException e)
        {
            throw new HttpRequestException(HttpRequestError.InvalidResponse, $"the response's {_coding.ToString().ToLowerInvariant()} body cannot be decompressed: {e.Message}", e);
        }

        _bodyLength = 0;
        AppendDecoded(output.GetBuffer().AsSpan(0, (int)output.Length));
    }

    private void AppendDecoded(ReadOnlySpan<byte> bytes)
    {
        var counted = BodyBytes;
        AppendBody(bytes);
        BodyBytes = counted;
    }
}
