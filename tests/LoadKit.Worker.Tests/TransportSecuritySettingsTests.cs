using System.Net;
using LoadKit.Cluster;
using LoadKit.TestTargets;

namespace LoadKit.Worker.Tests;

/// <summary>The worker's transport settings: TLS required beyond loopback unless waived, and how it reaches etcd.</summary>
public class TransportSecuritySettingsTests
{
    private static readonly string[] Etcd = ["--etcd", "http://127.0.0.1:2379"];

    [TestCase("0.0.0.0:7070")]
    [TestCase("10.1.2.3:0")]
    [TestCase("[::]:7070")]
    public void Parse_BeyondLoopbackWithoutTls_RefusedNamingTheAddressWhyAndBothWaysOut(string listen)
    {
        var (options, problems) = WorkerOptions.Parse([.. Etcd, "--listen", listen], Environment(null));

        Assert.That(options, Is.Null);
        Assert.That(problems.Single(), Does.StartWith($"--listen {IPEndPoint.Parse(listen)}: not a loopback address, and no TLS")
            .And.Contain("token").And.Contain("plaintext h2c")
            .And.Contain("--tls-cert PATH --tls-key PATH").And.Contain("--allow-plaintext (LOADKIT_WORKER_ALLOW_PLAINTEXT=true)"));
    }

    [TestCase("127.0.0.1:0")]
    [TestCase("[::1]:0")]
    public void Parse_LoopbackWithoutTls_Allowed(string listen)
    {
        var (options, problems) = WorkerOptions.Parse([.. Etcd, "--listen", listen], Environment(null));

        Assert.That(problems, Is.Empty);
        Assert.That(options!.AllowPlaintext, Is.False);
    }

    [Test]
    public void Parse_BeyondLoopbackWithTheWaiverOrTls_Allowed()
    {
        using var certificates = TestCertificates.Create();
        var (certificate, key) = certificates.Issue("worker", "worker-a");
        var byFlag = WorkerOptions.Parse([.. Etcd, "--listen", "0.0.0.0:7070", "--allow-plaintext"], Environment(null));
        var byEnvironment = WorkerOptions.Parse([.. Etcd], Environment(new() { ["LOADKIT_WORKER_LISTEN"] = "0.0.0.0:7070", [WorkerOptions.AllowPlaintextVariable] = "true" }));
        var byTls = WorkerOptions.Parse([.. Etcd, "--listen", "0.0.0.0:7070"], Environment(new() { ["LOADKIT_WORKER_TLS_CERT"] = certificate, ["LOADKIT_WORKER_TLS_KEY"] = key }));
        var badWaiver = WorkerOptions.Parse([.. Etcd], Environment(new() { [WorkerOptions.AllowPlaintextVariable] = "yes please" }));

        Assert.That((byFlag.Problems, byEnvironment.Problems, byTls.Problems), Is.EqualTo((Array.Empty<string>(), Array.Empty<string>(), Array.Empty<string>())));
        Assert.That((byFlag.Options!.AllowPlaintext, byEnvironment.Options!.AllowPlaintext), Is.EqualTo((true, true)));
        Assert.That(byTls.Options!.TlsCertificate!.Subject, Is.EqualTo("CN=worker-a"));
        Assert.That(badWaiver.Problems, Is.EqualTo(new[] { "LOADKIT_WORKER_ALLOW_PLAINTEXT (environment) 'yes please': allowed: true or false." }));
    }

    [Test]
    public void Parse_EtcdSettingsThatCannotBeUsed_EachNamedWithItsOption()
    {
        using var certificates = TestCertificates.Create();
        var (certificate, _) = certificates.Issue("client", "loadkit");

        var plainWithCa = WorkerOptions.Parse([.. Etcd, "--etcd-ca", certificates.AuthorityFile], Environment(null)).Problems;
        var problems = WorkerOptions.Parse(
            ["--etcd", "https://127.0.0.1:2379", "--etcd-ca", "/nonexistent/ca.pem", "--etcd-cert", certificate, "--etcd-user", "loadkit"], Environment(null)).Problems;

        Assert.That(plainWithCa.Single(), Does.StartWith($"--etcd-ca (LOADKIT_ETCD_CA) = '{certificates.AuthorityFile}' set, but --etcd (LOADKIT_ETCD) = 'http://127.0.0.1:2379/' is plain http://"));
        Assert.That(problems, Has.Some.StartWith("--etcd-ca (LOADKIT_ETCD_CA) = '/nonexistent/ca.pem': cannot be read as PEM certificates"));
        Assert.That(problems, Has.Some.StartWith($"--etcd-cert (LOADKIT_ETCD_CERT) = '{certificate}', --etcd-key (LOADKIT_ETCD_KEY) = '': give both"));
        Assert.That(problems, Has.Some.StartWith("--etcd-user (LOADKIT_ETCD_USER) = 'loadkit', LOADKIT_ETCD_PASSWORD (or --etcd-password-file) = (0 characters): give both or neither."));
    }

    [Test]
    public async Task Start_BeyondLoopbackWithoutTls_ExitsWithCode2AndTheReason()
    {
        await using var worker = WorkerProcess.Start("--etcd", "http://127.0.0.1:2379", "--listen", "0.0.0.0:0");

        Assert.That(await worker.WaitForExitAsync(TimeSpan.FromSeconds(20)), Is.EqualTo(2));
        Assert.That(worker.Output, Does.Contain("--listen 0.0.0.0:0: not a loopback address, and no TLS"));
    }

    private static Func<string, string?> Environment(Dictionary<string, string>? environment) =>
        name => name == WorkerOptions.TokenVariable ? "a-token-of-32-characters-0123456" : environment?.GetValueOrDefault(name);
}
