using System.Net;
using System.Text;
using LoadKit.HttpWire;

namespace LoadKit.HttpSteps;

/// <summary>
/// An <see cref="HttpCall"/> encoded for LoadKit's HTTP engine, once per base address: the method, the target, the
/// version, the Host line and every constant header are bytes made here, so a request writes only what a template
/// fills in; a request with nothing to fill in is a single array copied as it is.
/// </summary>
internal sealed class WireCall
{
    private static readonly string[] BodyMethods = ["POST", "PUT", "PATCH"];

    private readonly HttpCall _call;
    private readonly byte[] _method;
    private readonly byte[] _version;
    private readonly byte[] _constantHeaders;
    private readonly (string Name, byte[] Line, Template Value)[] _templatedHeaders;
    private readonly bool _ownHost;
    private readonly byte[]? _target;
    private readonly WireOrigin? _origin;
    private readonly byte[]? _body;
    private readonly byte[]? _whole;
    private readonly bool _lengthWhenEmpty;
    private readonly Version _httpVersion;
    private readonly DecompressionMethods _decompression;
    private WireOrigin? _lastOrigin;

    public WireCall(HttpCall call, Uri? baseAddress, Version version, DecompressionMethods decompression, Session session)
    {
        _call = call;
        Base = baseAddress;
        (_httpVersion, _decompression) = (version, decompression);
        _lengthWhenEmpty = BodyMethods.Contains(call.Method.Method);
        IsHead = call.Method == HttpMethod.Head;
        var names = call.Extractions.Select(e => e.From.HeaderName).OfType<string>().Distinct(StringComparer.OrdinalIgnoreCase).ToArray();
        KeepHeaders = names.Length > 0 ? names : null;
        _method = Encoding.ASCII.GetBytes(call.Method.Method + " ");
        _version = Encoding.ASCII.GetBytes(version == HttpVersion.Version10 ? " HTTP/1.0\r\n" : " HTTP/1.1\r\n");

        var constant = new StringBuilder();
        if (decompression != DecompressionMethods.None)
        {
            var codings = new[] { (DecompressionMethods.GZip, "gzip"), (DecompressionMethods.Deflate, "deflate"), (DecompressionMethods.Brotli, "br") };
            constant.Append("Accept-Encoding: ").AppendJoin(", ", codings.Where(c => decompression.HasFlag(c.Item1)).Select(c => c.Item2)).Append("\r\n");
        }

        var templated = new List<(string, byte[], Template)>();
        foreach (var (name, value) in call.Headers)
        {
            _ownHost |= string.Equals(name, "Host", StringComparison.OrdinalIgnoreCase);
            if (value.IsConstant)
            {
                constant.Append(name).Append(": ").Append(value.Render(session)).Append("\r\n");
            }
            else
            {
                templated.Add((name, Encoding.UTF8.GetBytes(name + ": "), value));
            }
        }

        if (ContentType(call) is { } contentType && !call.Headers.Any(h => string.Equals(h.Name, "Content-Type", StringComparison.OrdinalIgnoreCase)))
        {
            constant.Append("Content-Type: ").Append(contentType).Append("\r\n");
        }

        _constantHeaders = Encoding.UTF8.GetBytes(constant.ToString());
        _templatedHeaders = [.. templated];
        _body = call.RawBody ?? (call.Body is { IsConstant: true } body ? Encoding.UTF8.GetBytes(body.Render(session))
            : call.FormFields.Length > 0 && call.FormFields.All(f => f.Value.IsConstant) ? FormBody(call, session) : null);

        if (call.Path.IsConstant && call.Query.Length == 0)
        {
            var uri = call.UriFor(baseAddress, session);
            _origin = new WireOrigin(uri);
            _target = Encoding.UTF8.GetBytes(uri.PathAndQuery);
            if (_templatedHeaders.Length == 0 && (_body is not null || !HasBody(call)))
            {
                var whole = new RequestBuffer();
                Write(whole, session, out var bodyBytes);
                (_whole, WholeBodyBytes) = (whole.Written.ToArray(), bodyBytes);
                whole.Dispose();
            }
        }
    }

    /// <summary>The base address this encoding was made for.</summary>
    public Uri? Base { get; }

    public bool IsHead { get; }

    /// <summary>The response headers the call's extractions read; null: none.</summary>
    public IReadOnlyList<string>? KeepHeaders { get; }

    private long WholeBodyBytes { get; }

    /// <summary>Whether this encoding holds for a scenario with these settings (one description may serve several).</summary>
    public bool Fits(Uri? baseAddress, Version version, DecompressionMethods decompression) =>
        (ReferenceEquals(Base, baseAddress) || Equals(Base, baseAddress)) && version == _httpVersion && decompression == _decompression;

    /// <summary>Writes the request for <paramref name="session"/> into <paramref name="buffer"/>; returns where it goes.</summary>
    public WireOrigin Write(RequestBuffer buffer, Session session, out long bodyBytes)
    {
        buffer.Clear();
        if (_whole is not null)
        {
            buffer.Write(_whole);
            bodyBytes = WholeBodyBytes;
            return _origin!;
        }

        buffer.Write(_method);
        WireOrigin origin;
        if (_target is not null)
        {
            buffer.Write(_target);
            origin = _origin!;
        }
        else
        {
            var uri = _call.UriFor(Base, session);
            origin = _lastOrigin is { } last && last.Matches(uri) ? last : _lastOrigin = new WireOrigin(uri);
            buffer.WriteUtf8(uri.PathAndQuery);
        }

        buffer.Write(_version);
        if (!_ownHost)
        {
            buffer.Write(origin.HostLine);
        }

        buffer.Write(_constantHeaders);
        foreach (var (name, line, value) in _templatedHeaders)
        {
            buffer.Write(line);
            buffer.WriteUtf8(HttpCall.HeaderValue(name, value, session));
            buffer.Write("\r\n"u8);
        }

        var body = _body ?? (_call.Body is { } text ? Encoding.UTF8.GetBytes(text.Render(session)) : _call.FormFields.Length > 0 ? FormBody(_call, session) : null);
        if (body is not null || _lengthWhenEmpty)
        {
            buffer.Write("Content-Length: "u8);
            buffer.WriteDecimal(body?.Length ?? 0);
            buffer.Write("\r\n"u8);
        }

        buffer.Write("\r\n"u8);
        if (body is not null)
        {
            buffer.Write(body);
        }

        bodyBytes = body?.Length ?? 0;
        return origin;
    }

    private static bool HasBody(HttpCall call) => call.RawBody is not null || call.Body is not null || call.FormFields.Length > 0;

    private static string? ContentType(HttpCall call) =>
        call.FormFields.Length > 0 ? "application/x-www-form-urlencoded" : HasBody(call) ? call.ContentType : null;

    /// <summary>The form as <see cref="FormUrlEncodedContent"/> encodes it (spaces as '+').</summary>
    private static byte[] FormBody(HttpCall call, Session session) =>
        Encoding.ASCII.GetBytes(string.Join('&', call.FormFields.Select(f => $"{Escape(f.Name)}={Escape(f.Value.Render(session))}")));

    private static string Escape(string text) => Uri.EscapeDataString(text).Replace("%20", "+", StringComparison.Ordinal);
}
