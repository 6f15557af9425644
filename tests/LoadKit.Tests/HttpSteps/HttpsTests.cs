using System.Security.Cryptography.X509Certificates;
using LoadKit.Engine;
using LoadKit.Workload;
using LoadKit.TestTargets;
using Microsoft.AspNetCore.Builder;

namespace LoadKit.Tests.HttpSteps;

/// <summary>HTTP steps against a Kestrel server on 127.0.0.1 whose certificate no system authority signed, on both engines.</summary>
public class HttpsTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(60);

    [TestCase(HttpEngine.HttpClient, true)]
    [TestCase(HttpEngine.LoadKit, true)]
    [TestCase(HttpEngine.HttpClient, false)]
    [TestCase(HttpEngine.LoadKit, false)]
    public async Task Get_SelfSignedServer_PassesOnlyWithItsCertificateTrusted(HttpEngine engine, bool trusted)
    {
        using var certificates = TestCertificates.Create();
        var files = certificates.SelfSigned("server", "localhost");
        using var serverCertificate = TestCertificates.ForServer(files);
        await using var app = LoopbackApp.CreateHttps(serverCertificate);
        app.MapGet("/ok", () => "ok");
        var address = (await LoopbackApp.StartAsync(app))[0];
        using var trust = X509CertificateLoader.LoadCertificateFromFile(files.Certificate);
        var scenario = Scenario.Create("https")
            .WithHttp(new HttpSettings { BaseAddress = address, Engine = engine, TrustedCertificate = trusted ? trust : null })
            .Step("get", Http.Get("/ok").Check(HttpCheck.BodyContains("ok")))
            .WithLoad(Load.IterationsPerUser(2, 5))
            .Build();

        var result = await LoadRunner.RunAsync(scenario).WaitAsync(Bound);

        var get = result.GetStep("get");
        if (trusted)
        {
            Assert.That((get.Ok, get.Failed), Is.EqualTo((10L, 0L)), string.Join("; ", get.Errors.Select(e => e.Message)));
        }
        else
        {
            Assert.That((get.Ok, get.Failed), Is.EqualTo((0L, 10L)));
            Assert.That(get.Errors.Select(e => e.Message), Has.All.Contain("SSL").IgnoreCase.Or.Contain("certificate").IgnoreCase.Or.Contain("TLS"));
        }
    }

    [Test]
    public async Task Prepare_LoadKitEngine_NegotiatesEachUsersTlsBeforeTheRun()
    {
        using var certificates = TestCertificates.Create();
        var files = certificates.SelfSigned("server", "localhost");
        using var serverCertificate = TestCertificates.ForServer(files);
        var handshakes = 0;
        var requests = 0;
        await using var app = LoopbackApp.CreateHttps(serverCertificate, () => Interlocked.Increment(ref handshakes));
        app.MapGet("/ok", () =>
        {
            Interlocked.Increment(ref requests);
            return "ok";
        });
        var address = (await LoopbackApp.StartAsync(app))[0];
        using var trust = X509CertificateLoader.LoadCertificateFromFile(files.Certificate);
        var scenario = Scenario.Create("https")
            .WithHttp(new HttpSettings { BaseAddress = address, Engine = HttpEngine.LoadKit, Connections = HttpConnections.PerUser, TrustedCertificate = trust })
            .Step("get", Http.Get("/ok").Check(HttpCheck.BodyContains("ok")))
            .WithLoad(Load.IterationsPerUser(3, 4))
            .Build();
        var engine = new ScenarioEngine(scenario, RunPlan.LoadOf(scenario, LoadProfile.Full, 1), SegmentShare.Whole);

        await engine.PrepareAsync(CancellationToken.None).WaitAsync(Bound);
        await Eventually.UntilAsync(() => Volatile.Read(ref handshakes) == 3, Bound, () => $"{handshakes} TLS handshakes before the run, not 3");
        Assert.That(Volatile.Read(ref requests), Is.Zero);

        var result = await engine.RunAsync(CancellationToken.None).WaitAsync(Bound);

        var get = result.GetStep("get");
        Assert.That((get.Ok, get.Failed), Is.EqualTo((12L, 0L)), string.Join("; ", get.Errors.Select(e => e.Message)));
        Assert.That(Volatile.Read(ref handshakes), Is.EqualTo(3), "each VU sent its requests over the connection secured for it");
        Assert.That(
            result.Measurements.Select(m => (m.Name, m.Ok)),
            Is.EquivalentTo(new[] { ("get › connect", 3L), ("get › tls handshake", 3L) }),
            "the connects and handshakes made before the run are recorded by the step that first used each");
    }
}
