using System.Net.Security;
using System.Security.Cryptography.X509Certificates;

namespace LoadKit.Cluster;

/// <summary>How the controller checks a worker that serves TLS: against a given authority, or the system's.</summary>
internal static class WorkerTrust
{
    /// <exception cref="ArgumentException">The authority file cannot be read; the message names it.</exception>
    public static SslClientAuthenticationOptions From(string? caFile)
    {
        if (caFile is null)
        {
            return new SslClientAuthenticationOptions();
        }

        X509Certificate2Collection authorities = [];
        try
        {
            authorities.ImportFromPemFile(caFile);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException or System.Security.Cryptography.CryptographicException)
        {
            throw new ArgumentException($"{ClusterOptions.TlsCaVariable} = '{caFile}': cannot be read as PEM certificates ({exception.Message}).", exception);
        }

        return new SslClientAuthenticationOptions
        {
            // Only this authority counts, and the certificate must still name the address the worker registered.
            RemoteCertificateValidationCallback = (_, certificate, _, errors) =>
            {
                if (certificate is null || (errors & SslPolicyErrors.RemoteCertificateNameMismatch) != 0)
                {
                    return false;
                }

                using var chain = new X509Chain();
                chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
                chain.ChainPolicy.CustomTrustStore.AddRange(authorities);
                chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
                return chain.Build(new X509Certificate2(certificate));
            },
        };
    }
}
