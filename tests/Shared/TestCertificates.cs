using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace LoadKit.TestTargets;

/// <summary>
/// A throwaway certificate authority and the PEM files it issues (servers on 127.0.0.1, clients), in a temporary
/// folder deleted on dispose.
/// </summary>
internal sealed class TestCertificates : IDisposable
{
    private readonly X509Certificate2 _authority;

    private TestCertificates(string folder, X509Certificate2 authority, string authorityFile)
    {
        Folder = folder;
        _authority = authority;
        AuthorityFile = authorityFile;
    }

    public string Folder { get; }

    /// <summary>The authority's certificate, PEM.</summary>
    public string AuthorityFile { get; }

    /// <summary>A new authority named <paramref name="name"/>, in a new temporary folder.</summary>
    public static TestCertificates Create(string name = "loadkit-test-ca")
    {
        var folder = Directory.CreateTempSubdirectory("loadkit-certs-").FullName;
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        var authority = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-10), DateTimeOffset.UtcNow.AddDays(2));
        var file = Path.Combine(folder, $"{name}.crt");
        File.WriteAllText(file, authority.ExportCertificatePem());
        return new TestCertificates(folder, authority, file);
    }

    /// <summary>
    /// Issues a certificate with common name <paramref name="commonName"/> for 127.0.0.1 (server and client use) and
    /// writes it and its key as <paramref name="fileName"/>.crt and .key.
    /// </summary>
    public (string Certificate, string Key) Issue(string fileName, string commonName)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = Request(commonName, key);
        var serial = RandomNumberGenerator.GetBytes(12);
        using var issued = request.Create(_authority, DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1), serial);
        return Write(fileName, issued, key);
    }

    /// <summary>A self-signed certificate for 127.0.0.1, outside this authority.</summary>
    public (string Certificate, string Key) SelfSigned(string fileName, string commonName)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var certificate = Request(commonName, key).CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
        return Write(fileName, certificate, key);
    }

    /// <summary>The certificate and key of <paramref name="files"/> (as <see cref="Issue"/> or <see cref="SelfSigned"/> wrote them) in the form Kestrel's <c>UseHttps</c> takes.</summary>
    public static X509Certificate2 ForServer((string Certificate, string Key) files)
    {
        using var pem = X509Certificate2.CreateFromPemFile(files.Certificate, files.Key);
        return X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), null);
    }

    /// <summary>The SHA-256 thumbprint of the certificate in <paramref name="certificateFile"/>, as openssl prints it (AB:CD:...).</summary>
    public static string Sha256(string certificateFile)
    {
        using var certificate = X509Certificate2.CreateFromPem(File.ReadAllText(certificateFile));
        return string.Join(':', certificate.GetCertHash(HashAlgorithmName.SHA256).Select(b => b.ToString("X2", System.Globalization.CultureInfo.InvariantCulture)));
    }

    public void Dispose()
    {
        _authority.Dispose();
        Directory.Delete(Folder, recursive: true);
    }

    private static CertificateRequest Request(string commonName, ECDsa key)
    {
        var request = new CertificateRequest($"CN={commonName}", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        names.AddDnsName(commonName);
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, false));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyAgreement, false));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(
            [new Oid("1.3.6.1.5.5.7.3.1"), new Oid("1.3.6.1.5.5.7.3.2")], false)); // server and client authentication
        return request;
    }

    private (string Certificate, string Key) Write(string fileName, X509Certificate2 certificate, ECDsa key)
    {
        var certificateFile = Path.Combine(Folder, fileName + ".crt");
        var keyFile = Path.Combine(Folder, fileName + ".key");
        File.WriteAllText(certificateFile, certificate.ExportCertificatePem());
        File.WriteAllText(keyFile, key.ExportPkcs8PrivateKeyPem());
        return (certificateFile, keyFile);
    }
}
