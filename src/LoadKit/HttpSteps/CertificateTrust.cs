using System.Net.Security;
using System.Security.Cryptography.X509Certificates;

namespace LoadKit.HttpSteps;

/// <summary>
/// A server certificate check that trusts one certificate besides the system's authorities (<see cref="HttpSettings.TrustedCertificate"/>);
/// LoadKit.Grpc's channels check <c>GrpcSettings.TrustedCertificate</c> the same way, with a copy of their own (shipped
/// assemblies share public API only).
/// </summary>
internal static class CertificateTrust
{
    /// <summary>A check for TLS handshakes that trusts <paramref name="trusted"/> too; null (the system's check) when it is null.</summary>
    public static RemoteCertificateValidationCallback? Check(X509Certificate2? trusted) =>
        trusted is null ? null : (_, certificate, _, errors) => Trusts(trusted, certificate, errors);

    /// <summary>The server's chain ends at <paramref name="trusted"/> (or at a system authority); its name must match either way.</summary>
    private static bool Trusts(X509Certificate2 trusted, X509Certificate? certificate, SslPolicyErrors errors)
    {
        if (errors == SslPolicyErrors.None)
        {
            return true;
        }

        if (certificate is null || errors != SslPolicyErrors.RemoteCertificateChainErrors)
        {
            return false;
        }

        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(trusted);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        var server = certificate as X509Certificate2 ?? X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
        try
        {
            return chain.Build(server);
        }
        finally
        {
            if (!ReferenceEquals(server, certificate))
            {
                server.Dispose();
            }
        }
    }
}
