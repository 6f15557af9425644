using System.Buffers;
using System.Globalization;

namespace LoadKit.Validation;

/// <summary>
/// Checks of the addresses that HTTP and WebSocket steps send to, before anything is sent: what is wrong, in words a
/// user can act on. A templated address is checked as far as its text before the first placeholder decides it.
/// </summary>
internal static class Urls
{
    public const string HttpAllowed =
        "an absolute http:// or https:// URL (a host, and a port from 1 to 65535 if any), or a path relative to the base address such as /orders";

    public const string BaseAddressAllowed = "an absolute http:// or https:// URL (a host, and a port from 1 to 65535 if any)";

    public const string WebSocketAllowed = "an absolute ws:// or wss:// URL (a host, and a port from 1 to 65535 if any)";

    private static readonly string[] HttpSchemes = [Uri.UriSchemeHttp, Uri.UriSchemeHttps];
    private static readonly string[] WebSocketSchemes = ["ws", "wss"];
    private static readonly char[] AuthorityEnd = ['/', '?', '#'];
    private static readonly SearchValues<char> QueryOrFragment = SearchValues.Create("?#");

    /// <summary>Whether an address (or a template's text) is an absolute http:// or https:// one, so it needs no base address.</summary>
    public static bool IsAbsoluteHttp(string text) =>
        text.StartsWith("http://", StringComparison.OrdinalIgnoreCase) || text.StartsWith("https://", StringComparison.OrdinalIgnoreCase);

    /// <summary>What is wrong with an HTTP request's address (absolute, or relative to the base address); null when nothing is.</summary>
    /// <param name="text">The address, or a template's text.</param>
    public static string? HttpProblem(string text) => Problem(text, HttpSchemes, relativeAllowed: true);

    /// <summary>What is wrong with a base address; null when nothing is.</summary>
    public static string? BaseAddressProblem(string text) => Problem(text, HttpSchemes, relativeAllowed: false);

    /// <summary>What is wrong with a WebSocket address; null when nothing is.</summary>
    public static string? WebSocketProblem(string text) => Problem(text, WebSocketSchemes, relativeAllowed: false);

    private static string? Problem(string template, string[] schemes, bool relativeAllowed)
    {
        // A template is checked up to its first placeholder: what comes after is only known when it is filled in.
        var placeholder = template.IndexOf("{{", StringComparison.Ordinal);
        var complete = placeholder < 0;
        var text = complete ? template : template[..placeholder];
        var schemeEnd = SchemeEnd(text);
        if (schemeEnd < 0)
        {
            if (!complete && !text.StartsWith('/'))
            {
                return null; // the scheme, or whether it is relative, comes from the session
            }

            return !relativeAllowed ? "is not an absolute URL"
                : PathProblem(text);
        }

        var scheme = text[..schemeEnd].ToLowerInvariant();
        if (!schemes.Contains(scheme))
        {
            return $"has scheme '{text[..schemeEnd]}'" + (relativeAllowed ? " (a relative path cannot contain ':' before its first '/')" : "");
        }

        var rest = text[(schemeEnd + 1)..];
        if (!rest.StartsWith("//", StringComparison.Ordinal))
        {
            return complete || rest.Length >= 2 ? $"has no '//' and host after '{scheme}:'" : null;
        }

        // The host and port are known when the text goes past them.
        var authorityEnd = rest.IndexOfAny(AuthorityEnd, 2);
        if (!complete && authorityEnd < 0)
        {
            return null;
        }

        var authority = authorityEnd < 0 ? rest[2..] : rest[2..authorityEnd];
        if (Port(authority) is { Length: > 0 } port &&
            (!int.TryParse(port, NumberStyles.None, CultureInfo.InvariantCulture, out var number) || number is < 1 or > 65535))
        {
            return $"has port {port}, which is not a number from 1 to 65535";
        }

        var checkedPart = complete ? text : $"{scheme}://{authority}/";
        if (!Uri.TryCreate(checkedPart, UriKind.Absolute, out var uri))
        {
            try
            {
                _ = new Uri(checkedPart, UriKind.Absolute);
            }
            catch (UriFormatException exception)
            {
                return $"is not a valid URL ({exception.Message.Replace("Invalid URI: ", "", StringComparison.Ordinal).TrimEnd('.')})";
            }
        }

        if (uri is not null && uri.Host.Length == 0)
        {
            return "has no host";
        }

        return PathProblem(authorityEnd < 0 ? "" : rest.AsSpan(authorityEnd));
    }

    /// <summary>Blanks and control characters in a path are a typo or text that belongs in a query value, not an address.</summary>
    private static string? PathProblem(ReadOnlySpan<char> path)
    {
        // No allocation: a templated relative path is checked again on every request.
        var end = path.IndexOfAny(QueryOrFragment);
        foreach (var c in end < 0 ? path : path[..end])
        {
            if (char.IsWhiteSpace(c) || char.IsControl(c))
            {
                return c == ' '
                    ? "has a space in its path (escape it as %20; a value with spaces belongs in WithQuery)"
                    : $"has the control or blank character U+{(int)c:X4} in its path";
            }
        }

        return null;
    }

    /// <summary>The index of the ':' that ends a scheme (RFC 3986: a letter, then letters, digits, '+', '-', '.'), or -1.</summary>
    private static int SchemeEnd(string text)
    {
        if (text.Length == 0 || !char.IsAsciiLetter(text[0]))
        {
            return -1;
        }

        for (var i = 1; i < text.Length; i++)
        {
            var c = text[i];
            if (c == ':')
            {
                return i;
            }

            if (!char.IsAsciiLetterOrDigit(c) && c is not ('+' or '-' or '.'))
            {
                return -1;
            }
        }

        return -1;
    }

    /// <summary>The port of an authority (<c>user@host:port</c>, <c>[::1]:port</c>) as written; null when it names none.</summary>
    private static string? Port(string authority)
    {
        var host = authority[(authority.LastIndexOf('@') + 1)..];
        var colon = host.LastIndexOf(':');
        return colon < 0 || colon < host.LastIndexOf(']') ? null : host[(colon + 1)..];
    }
}
