namespace LoadKit.HttpWire;

/// <summary>
/// The errors LoadKit's HTTP engine raises, as HttpClient's own type (<see cref="HttpRequestException"/>, with its
/// <see cref="HttpRequestError"/>), so the error table and code that catches them read the same on both engines.
/// </summary>
internal static class WireErrors
{
    /// <summary>A response the engine cannot read (malformed, cut short, headers too large); says what and from where.</summary>
    public static HttpRequestException Malformed(WireOrigin origin, string what) =>
        new(HttpRequestError.InvalidResponse, $"malformed response from {origin}: {what}");

    /// <summary>The server closed the connection before any byte of a response.</summary>
    public static HttpRequestException ClosedBeforeResponse(WireOrigin origin, bool reused) =>
        new(HttpRequestError.ResponseEnded, reused
            ? $"{origin} closed the connection before responding (the request may have reached it, so it was not sent again)"
            : $"{origin} closed the connection before responding");

    public static HttpRequestException ConnectFailed(WireOrigin origin, Exception inner) =>
        new(HttpRequestError.ConnectionError, $"{inner.Message} ({origin})", inner);

    public static HttpRequestException HandshakeFailed(WireOrigin origin, Exception inner) =>
        new(HttpRequestError.SecureConnectionError, $"TLS handshake with {origin} failed: {inner.Message}", inner);
}
