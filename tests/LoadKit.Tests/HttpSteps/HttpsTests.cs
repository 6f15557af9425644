using System.Security.Cryptography.X509Certificates;
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
}
