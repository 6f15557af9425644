using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace LoadKit.Worker.Tests.Distributed;

/// <summary>Workers that serve TLS (for use beyond loopback): trusted through a given authority, refused otherwise.</summary>
public class TlsTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(90);

    [Test]
    public async Task WorkerWithTls_RunsForAControllerThatTrustsItsCertificate_AndIsRefusedByOneThatDoesNot()
    {
        var folder = Directory.CreateTempSubdirectory("loadkit-tls-").FullName;
        var (certificate, key) = WriteSelfSigned(folder);
        await using var cluster = await Cluster.StartAsync(1, _ => ["--tls-cert", certificate, "--tls-key", key]);
        var options = cluster.Options();

        var untrusted = Assert.ThrowsAsync<DistributedRunException>(() => LoadRunner.RunAsync([DistributedScenarios.Short], options).WaitAsync(Bound));
        var result = await LoadRunner.RunAsync([DistributedScenarios.Short], options with { Target = new ClusterTarget(((ClusterTarget)options.Target!).Options with { TlsCa = certificate }) }).WaitAsync(Bound);

        Assert.That(untrusted!.Message, Does.Contain("could not be reached for the run").And.Contain("UntrustedRoot"));
        Assert.That(result.Workers.Single().Address, Does.StartWith("https://127.0.0.1:"));
        Assert.That(result.GetStep("get").Ok, Is.EqualTo(200));
        Directory.Delete(folder, recursive: true);
    }

    private static (string Certificate, string Key) WriteSelfSigned(string folder)
    {
        using var rsa = RSA.Create(2048);
        var request = new CertificateRequest("CN=loadkit-worker", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(names.Build());
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
        var certificatePath = Path.Combine(folder, "worker.crt");
        var keyPath = Path.Combine(folder, "worker.key");
        File.WriteAllText(certificatePath, certificate.ExportCertificatePem());
        File.WriteAllText(keyPath, rsa.ExportPkcs8PrivateKeyPem());
        return (certificatePath, keyPath);
    }
}
