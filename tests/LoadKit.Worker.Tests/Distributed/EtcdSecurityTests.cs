using System.Diagnostics;
using LoadKit.TestTargets;

namespace LoadKit.Worker.Tests.Distributed;

/// <summary>
/// etcd with TLS (its certificate from a throwaway authority, client certificates required) and users: a worker
/// registers and a controller finds, claims and runs it; settings that do not fit fail at once, naming the endpoint
/// and the setting.
/// </summary>
public class EtcdSecurityTests
{
    private const string User = "loadkit";
    private const string Password = "a-password-for-etcd";
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(90);

    [Test]
    public async Task Run_EtcdWithTlsClientCertificatesAndAuth_WorkerRegistersAndTheRunCompletes()
    {
        using var certificates = TestCertificates.Create();
        var (etcd, client, passwordFile) = await StartSecuredEtcdAsync(certificates, "tls-auth");
        await using var cluster = await Cluster.StartAsync(1, _ => WorkerEtcdArguments(certificates, client, passwordFile), etcd: etcd, prefix: "tls-auth");

        var result = await LoadRunner.RunAsync([DistributedScenarios.Short], cluster.Options(change: o => o with
        {
            EtcdCa = certificates.AuthorityFile,
            EtcdCertificate = client.Certificate,
            EtcdKey = client.Key,
            EtcdUser = User,
            EtcdPassword = Password,
        })).WaitAsync(Bound);

        Assert.That(etcd.Url, Does.StartWith("https://"));
        Assert.That(result.Workers.Single().Id, Does.Contain(cluster.Workers[0].ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        Assert.That(result.GetStep("get").Ok, Is.EqualTo(200));
        Assert.That(cluster.Workers[0].Output, Does.Contain($"at {etcd.Url}/ as idle"), "registered through TLS with its user");
    }

    [Test]
    public async Task Run_EtcdSettingsThatDoNotFit_FailAtOnceNamingTheEndpointAndTheSetting()
    {
        using var certificates = TestCertificates.Create();
        using var other = TestCertificates.Create("another-ca");
        var (etcd, client, passwordFile) = await StartSecuredEtcdAsync(certificates, "misfit");
        await using var _ = etcd;
        var wrongPasswordFile = Path.Combine(certificates.Folder, "wrong-password");
        await File.WriteAllTextAsync(wrongPasswordFile, "not-the-password");
        await using var worker = WorkerProcess.Start(["--etcd", etcd.Url, "--prefix", "misfit", .. WorkerEtcdArguments(certificates, client, wrongPasswordFile)]);
        var settings = new ClusterOptions([new Uri(etcd.Url)], 1, WorkerProcess.Token)
        {
            Prefix = "misfit",
            WorkerWait = TimeSpan.FromSeconds(30),
            EtcdCa = certificates.AuthorityFile,
            EtcdCertificate = client.Certificate,
            EtcdKey = client.Key,
            EtcdUser = User,
            EtcdPassword = Password,
        };
        var clock = Stopwatch.StartNew();

        var wrongPassword = await FailureAsync(settings with { EtcdPassword = "not-the-password" });
        var untrusted = await FailureAsync(settings with { EtcdCa = other.AuthorityFile });
        var noClientCertificate = await FailureAsync(settings with { EtcdCertificate = null, EtcdKey = null });
        var workerLine = await worker.WaitForOutputAsync("Cannot register:", Bound);

        TestContext.Out.WriteLine($"{wrongPassword}{Environment.NewLine}{untrusted}{Environment.NewLine}{noClientCertificate}{Environment.NewLine}{workerLine}");
        Assert.That(wrongPassword, Does.StartWith(
            $"etcd at {etcd.Url}/ refused user 'loadkit' (LOADKIT_ETCD_USER, LOADKIT_ETCD_PASSWORD): etcdserver: authentication failed, invalid user ID or password."));
        Assert.That(untrusted, Does.StartWith($"etcd at {etcd.Url}/ presented a certificate ('CN=etcd' issued by 'CN=loadkit-test-ca', SHA-256 ")
            .And.Contain($"that does not chain to LOADKIT_ETCD_CA = '{other.AuthorityFile}'"));
        Assert.That(noClientCertificate, Does.StartWith($"etcd at {etcd.Url}/ ended the TLS connection after the handshake")
            .And.Contain("it requires a client certificate (--client-cert-auth); give one its --trusted-ca-file trusts in LOADKIT_ETCD_CERT and LOADKIT_ETCD_KEY."));
        Assert.That(clock.Elapsed, Is.LessThan(TimeSpan.FromSeconds(20)), "each at once, not after the 30 s worker wait");
        Assert.That(workerLine, Does.Contain(
            $"Cannot register: etcd at {etcd.Url}/ refused user 'loadkit' (--etcd-user (LOADKIT_ETCD_USER), LOADKIT_ETCD_PASSWORD (or --etcd-password-file)): etcdserver: authentication failed"));
    }

    /// <summary>etcd serving TLS with a certificate of <paramref name="certificates"/>, requiring client certificates, with users on.</summary>
    private static async Task<(EtcdServer Etcd, (string Certificate, string Key) Client, string PasswordFile)> StartSecuredEtcdAsync(TestCertificates certificates, string prefix)
    {
        var server = certificates.Issue("etcd", "etcd");
        var admin = certificates.Issue("admin", "root");

        // Not a user's name: etcd would take a client certificate's common name as the user when no password is given.
        var client = certificates.Issue("client", "loadkit-client");
        var etcd = await EtcdServer.StartAsync(tls: new EtcdTls(server.Certificate, server.Key, certificates.AuthorityFile, admin.Certificate, admin.Key));
        await etcd.EnableAuthAsync(User, Password, prefix);
        var passwordFile = Path.Combine(certificates.Folder, "password");
        await File.WriteAllTextAsync(passwordFile, Password);
        return (etcd, client, passwordFile);
    }

    private static string[] WorkerEtcdArguments(TestCertificates certificates, (string Certificate, string Key) client, string passwordFile) =>
    [
        "--etcd-ca", certificates.AuthorityFile, "--etcd-cert", client.Certificate, "--etcd-key", client.Key,
        "--etcd-user", User, "--etcd-password-file", passwordFile,
    ];

    private static async Task<string> FailureAsync(ClusterOptions settings)
    {
        try
        {
            await LoadRunner.RunAsync([DistributedScenarios.Short], new RunOptions { Target = new ClusterTarget(settings) }).WaitAsync(Bound);
        }
        catch (DistributedRunException exception)
        {
            return exception.Message;
        }

        throw new AssertionException("The run succeeded with settings that do not fit.");
    }
}
