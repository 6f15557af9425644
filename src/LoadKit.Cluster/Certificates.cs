using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace LoadKit.Cluster;

/// <summary>
/// Reading PEM files named by a setting, checking a peer's certificate against an authority, and a bare TLS handshake
/// (no HTTP request, so nothing secret is sent) to see what a peer presents.
/// </summary>
internal static class Certificates
{
    /// <summary>The authorities in a PEM file.</summary>
    /// <exception cref="ArgumentException">The file cannot be read or holds none; the message names <paramref name="setting"/>.</exception>
    public static X509Certificate2Collection ReadAuthorities(string file, string setting)
    {
        X509Certificate2Collection authorities = [];
        try
        {
            authorities.ImportFromPemFile(file);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException or CryptographicException)
        {
            throw new ArgumentException($"{setting} = '{file}': cannot be read as PEM certificates ({exception.Message}).", exception);
        }

        return authorities.Count > 0 ? authorities : throw new ArgumentException($"{setting} = '{file}': holds no PEM certificate.");
    }

    /// <summary>A certificate and its private key from two PEM files.</summary>
    /// <exception cref="ArgumentException">They cannot be read or do not match; the message names both settings.</exception>
    public static X509Certificate2 ReadCertificate(string certificate, string key, string certificateSetting, string keySetting)
    {
        try
        {
            return X509Certificate2.CreateFromPemFile(certificate, key);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException or CryptographicException or ArgumentException)
        {
            throw new ArgumentException(
                $"{certificateSetting} = '{certificate}', {keySetting} = '{key}': cannot be read as a PEM certificate and its key ({exception.Message}).", exception);
        }
    }

    /// <summary>Whether <paramref name="certificate"/> chains to one of <paramref name="authorities"/> (and only those); null if so, else why not.</summary>
    public static string? ChainProblem(X509Certificate certificate, X509Certificate2Collection authorities)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(authorities);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        using var leaf = new X509Certificate2(certificate);
        return chain.Build(leaf) ? null : string.Join(", ", chain.ChainStatus.Select(s => s.Status).Distinct());
    }

    /// <summary>How a certificate is named in messages: its subject, issuer and SHA-256 thumbprint.</summary>
    public static string Describe(X509Certificate certificate)
    {
        using var certificate2 = new X509Certificate2(certificate);
        return $"'{certificate2.Subject}' issued by '{certificate2.Issuer}', SHA-256 {Sha256(certificate2)}";
    }

    /// <summary>The SHA-256 thumbprint, upper-case hex without separators.</summary>
    public static string Sha256(X509Certificate2 certificate) => Convert.ToHexString(certificate.GetCertHash(HashAlgorithmName.SHA256));

    /// <summary>What a TLS handshake with a peer showed.</summary>
    /// <param name="Refused">Set when the handshake failed because our validation refused the peer's certificate.</param>
    /// <param name="Failure">Set when the handshake or the first read failed otherwise; null when it succeeded.</param>
    /// <param name="Reached">False when no TCP connection could be made at all.</param>
    public sealed record Handshake(bool Reached, bool Refused, Exception? Failure);

    /// <summary>
    /// Connects to <paramref name="host"/>:<paramref name="port"/> and does a TLS handshake offering HTTP/2. With
    /// <paramref name="preface"/>, sends the HTTP/2 connection preface (no request, no headers) and waits for the
    /// server's first bytes, so a server that refuses the client certificate after the handshake (TLS 1.3) shows it.
    /// </summary>
    public static async Task<Handshake> HandshakeAsync(
        string host, int port, SslClientAuthenticationOptions options, bool preface, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        using var tcp = new TcpClient();
        try
        {
            await tcp.ConnectAsync(host, port, deadline.Token).ConfigureAwait(false);
        }
        catch (Exception exception) when (!cancellationToken.IsCancellationRequested && exception is SocketException or OperationCanceledException)
        {
            return new Handshake(false, false, exception);
        }

        await using var tls = new SslStream(tcp.GetStream());
        var refused = false;
        var validate = options.RemoteCertificateValidationCallback;
        var probe = new SslClientAuthenticationOptions
        {
            TargetHost = host,
            ClientCertificates = options.ClientCertificates,
            ApplicationProtocols = [SslApplicationProtocol.Http2],
            RemoteCertificateValidationCallback = (sender, certificate, chain, errors) =>
            {
                var accepted = validate?.Invoke(sender, certificate, chain, errors) ?? errors == SslPolicyErrors.None;
                refused = !accepted;
                return accepted;
            },
        };
        try
        {
            await tls.AuthenticateAsClientAsync(probe, deadline.Token).ConfigureAwait(false);
            if (preface)
            {
                // "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" and an empty SETTINGS frame; the server answers with its SETTINGS.
                byte[] hello = [.. "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"u8, 0, 0, 0, 4, 0, 0, 0, 0, 0];
                await tls.WriteAsync(hello, deadline.Token).ConfigureAwait(false);
                var answer = new byte[9];
                if (await tls.ReadAsync(answer, deadline.Token).ConfigureAwait(false) == 0)
                {
                    return new Handshake(true, false, new IOException("the server closed the connection after the TLS handshake"));
                }
            }

            return new Handshake(true, false, null);
        }
        catch (Exception exception) when (!cancellationToken.IsCancellationRequested && exception is AuthenticationException or IOException or OperationCanceledException)
        {
            return new Handshake(true, refused, exception);
        }
    }
}
