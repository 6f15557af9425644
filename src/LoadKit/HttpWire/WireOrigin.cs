using System.Text;

namespace LoadKit.HttpWire;

/// <summary>Where a connection goes: scheme (TLS or not), host and port, and the Host header line requests to it carry.</summary>
internal sealed class WireOrigin : IEquatable<WireOrigin>
{
    public WireOrigin(Uri uri)
    {
        IsTls = uri.Scheme == Uri.UriSchemeHttps;
        Host = uri.IdnHost;
        Port = uri.Port;

        // As HttpClient writes it: the port only when it is not the scheme's default.
        HostLine = Encoding.ASCII.GetBytes($"Host: {uri.Authority}\r\n");
    }

    public bool IsTls { get; }

    /// <summary>The host to connect to (DNS-safe, IPv6 without brackets).</summary>
    public string Host { get; }

    public int Port { get; }

    /// <summary><c>Host: authority\r\n</c>.</summary>
    public byte[] HostLine { get; }

    /// <summary>Whether <paramref name="uri"/> goes to this origin (a cheap test before making a new one).</summary>
    public bool Matches(Uri uri) =>
        uri.Port == Port && (uri.Scheme == Uri.UriSchemeHttps) == IsTls && string.Equals(uri.IdnHost, Host, StringComparison.OrdinalIgnoreCase);

    public bool Equals(WireOrigin? other) =>
        other is not null && other.Port == Port && other.IsTls == IsTls && string.Equals(other.Host, Host, StringComparison.OrdinalIgnoreCase);

    public override bool Equals(object? obj) => Equals(obj as WireOrigin);

    public override int GetHashCode() => HashCode.Combine(IsTls, Port, StringComparer.OrdinalIgnoreCase.GetHashCode(Host));

    public override string ToString() => Host.Contains(':', StringComparison.Ordinal) ? $"[{Host}]:{Port}" : $"{Host}:{Port}";
}
