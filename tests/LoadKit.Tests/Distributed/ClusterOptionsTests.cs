namespace LoadKit.Tests.Distributed;

public class ClusterOptionsTests
{
    private const string Token = "0123456789abcdef0123";

    [Test]
    public void ToString_WithTokenAndEtcdPassword_PrintsNeither()
    {
        var options = new ClusterOptions([new Uri("http://127.0.0.1:2379")], 2, Token) { EtcdUser = "loadkit", EtcdPassword = "s3cret-etcd-password", Prefix = "ci" };

        var text = options.ToString();

        Assert.That(text, Does.Not.Contain(Token).And.Not.Contain("s3cret-etcd-password"));
        Assert.That(text, Does.Contain("Token = (20 characters)").And.Contain("EtcdPassword = (hidden)").And.Contain("EtcdUser = loadkit").And.Contain("Prefix = ci"));
        Assert.That(text, Does.StartWith("ClusterOptions { Etcd = [http://127.0.0.1:2379/], Workers = 2,"));
    }

    [Test]
    public void ToString_EveryPublicSetting_IsNamed()
    {
        var options = new ClusterOptions([new Uri("http://127.0.0.1:2379")], 2, Token);

        var text = options.ToString();

        // A setting added later and left out of PrintMembers would be missing from every log of the options.
        var settings = typeof(ClusterOptions).GetProperties(System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.Instance)
            .Where(p => p.GetMethod is not null && p.Name != "EqualityContract")
            .Select(p => p.Name);
        Assert.That(settings, Is.Not.Empty);
        Assert.That(settings.Where(name => !text.Contains(name + " = ", StringComparison.Ordinal)), Is.Empty);
    }

    [Test]
    public void WithWorkers_EverySettingSet_KeepsEachAndChangesOnlyTheCount()
    {
        var options = new ClusterOptions([new Uri("https://127.0.0.1:2379")], 2, Token)
        {
            Prefix = "ci", WorkerWait = TimeSpan.FromSeconds(7), OnWorkerLoss = WorkerLossPolicy.Fail, Forward = ["SHOP_URL"],
            TlsCa = "ca.pem", WorkerThumbprints = ["AB"], WorkerIdentities = ["worker-1"], EtcdCa = "etcd-ca.pem",
            EtcdCertificate = "cert.pem", EtcdKey = "key.pem", EtcdUser = "loadkit", EtcdPassword = "s3cret-etcd-password",
        };

        var three = options.WithWorkers(3);

        Assert.That(three.Workers, Is.EqualTo(3));
        Assert.That(three.WithWorkers(2), Is.EqualTo(options), "every other setting as it was");
        Assert.That(() => options.WithWorkers(0), Throws.ArgumentException.With.Message.Contain("workers = 0: must be at least 1"));
    }

    [Test]
    public void Parse_NoEtcd_IsALocalRun()
    {
        Assert.That(ClusterOptions.Parse(_ => null, n => n), Is.Null);
    }

    [Test]
    public void Parse_EverySetting_IsRead()
    {
        var values = new Dictionary<string, string>
        {
            [ClusterOptions.EtcdVariable] = "http://10.0.0.5:2379, http://10.0.0.6:2379",
            [ClusterOptions.WorkersVariable] = "8",
            [ClusterOptions.WorkerWaitVariable] = "90",
            [ClusterOptions.PrefixVariable] = "/ci/",
            [ClusterOptions.TokenVariable] = Token,
            [ClusterOptions.OnWorkerLossVariable] = "Fail",
            [ClusterOptions.ForwardVariable] = "SHOP_URL, API_KEY",
        };

        var options = ClusterOptions.Parse(values.GetValueOrDefault, n => n)!;

        Assert.That(options.Etcd.Select(e => e.ToString()), Is.EqualTo(new[] { "http://10.0.0.5:2379/", "http://10.0.0.6:2379/" }));
        Assert.That(options.Workers, Is.EqualTo(8));
        Assert.That(options.WorkerWait, Is.EqualTo(TimeSpan.FromSeconds(90)));
        Assert.That(options.Prefix, Is.EqualTo("ci"));
        Assert.That(options.OnWorkerLoss, Is.EqualTo(WorkerLossPolicy.Fail));
        Assert.That(options.Forward, Is.EqualTo(new[] { "SHOP_URL", "API_KEY" }));
    }

    [Test]
    public void Parse_TransportSecuritySettings_AreRead()
    {
        var passwordFile = Path.GetTempFileName();
        File.WriteAllText(passwordFile, "from-a-file\n");
        var values = new Dictionary<string, string>
        {
            [ClusterOptions.EtcdVariable] = "https://10.0.0.5:2379",
            [ClusterOptions.TokenVariable] = Token,
            [ClusterOptions.EtcdCaVariable] = "/etc/loadkit/etcd-ca.pem",
            [ClusterOptions.EtcdCertVariable] = "/etc/loadkit/etcd-client.pem",
            [ClusterOptions.EtcdKeyVariable] = "/etc/loadkit/etcd-client.key",
            [ClusterOptions.EtcdUserVariable] = "loadkit",
            [ClusterOptions.EtcdPasswordFileVariable] = passwordFile,
            [ClusterOptions.TlsCaVariable] = "/etc/loadkit/workers-ca.pem",
            [ClusterOptions.WorkerThumbprintsVariable] = "ab:cd:" + new string('0', 60) + ", " + new string('F', 64),
            [ClusterOptions.WorkerIdentitiesVariable] = "worker-a, worker-b",
        };

        var options = ClusterOptions.Parse(values.GetValueOrDefault, n => n)!;
        File.Delete(passwordFile);

        Assert.That((options.EtcdCa, options.EtcdCertificate, options.EtcdKey, options.EtcdUser, options.EtcdPassword, options.TlsCa), Is.EqualTo((
            "/etc/loadkit/etcd-ca.pem", "/etc/loadkit/etcd-client.pem", "/etc/loadkit/etcd-client.key", "loadkit", "from-a-file", "/etc/loadkit/workers-ca.pem")));
        Assert.That(options.WorkerThumbprints, Is.EqualTo(new[] { "ABCD" + new string('0', 60), new string('F', 64) }));
        Assert.That(options.WorkerIdentities, Is.EqualTo(new[] { "worker-a", "worker-b" }));
    }

    [Test]
    public void Parse_NotAThumbprint_ErrorSaysWhatIsAllowedAndHowToGetOne()
    {
        var values = new Dictionary<string, string>
        {
            [ClusterOptions.EtcdVariable] = "http://10.0.0.5:2379",
            [ClusterOptions.TokenVariable] = Token,
            [ClusterOptions.WorkerThumbprintsVariable] = "12:34:56",
        };

        var exception = Assert.Throws<ArgumentException>(() => ClusterOptions.Parse(values.GetValueOrDefault, n => $"env {n}"));

        Assert.That(exception!.Message, Does.Contain("env LOADKIT_WORKER_THUMBPRINTS: '123456' is not a SHA-256 thumbprint; allowed: 64 hex digits")
            .And.Contain("openssl x509 -in worker.crt -noout -fingerprint -sha256"));
    }

    [Test]
    public void Parse_BadValues_OneErrorNamesEverySettingValueAndWhatIsAllowed()
    {
        var values = new Dictionary<string, string>
        {
            [ClusterOptions.EtcdVariable] = "etcd:2379",
            [ClusterOptions.WorkersVariable] = "0",
            [ClusterOptions.WorkerWaitVariable] = "-3",
            [ClusterOptions.TokenVariable] = "short",
            [ClusterOptions.OnWorkerLossVariable] = "ignore",
        };

        var exception = Assert.Throws<ArgumentException>(() => ClusterOptions.Parse(values.GetValueOrDefault, n => $"env {n}"));

        Assert.That(exception!.Message, Does.Contain("env LOADKIT_ETCD = 'etcd:2379': 'etcd:2379' is not an http:// or https:// address.")
            .And.Contain("env LOADKIT_WORKERS = '0': must be a whole number of at least 1.")
            .And.Contain("env LOADKIT_WORKER_WAIT = '-3': must be a number of seconds above 0 and at most 86400.")
            .And.Contain("env LOADKIT_WORKER_TOKEN (or LOADKIT_WORKER_TOKEN_FILE) = (5 characters): the workers' token is required, at least 16 characters.")
            .And.Contain("env LOADKIT_ON_WORKER_LOSS = 'ignore': allowed values are 'rebalance' and 'fail'."));
        Assert.That(exception.Message, Does.Not.Contain(values[ClusterOptions.TokenVariable]), "the token itself is never printed");
    }

    [Test]
    public void RunAsync_ScenarioObjectsWithACluster_AskForFactories()
    {
        var options = new RunOptions { Target = new ClusterTarget(new ClusterOptions([new Uri("http://127.0.0.1:2379")], 1, Token)) };
        var scenario = Scenario.Create("s").Step("a", _ => ValueTask.CompletedTask).WithLoad(Load.IterationsPerUser(1, 1)).Build();

        var exception = Assert.ThrowsAsync<ArgumentException>(() => LoadRunner.RunAsync([scenario], options));

        Assert.That(exception!.Message, Does.Contain("pass their factories"));
    }
}
