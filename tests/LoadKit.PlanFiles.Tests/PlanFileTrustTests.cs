using LoadKit.TestTargets;
using Microsoft.AspNetCore.Builder;

namespace LoadKit.PlanFiles.Tests;

/// <summary>The plan key http.trust (and grpc.trust): a certificate trusted besides the system's authorities, sent along with the plan.</summary>
public class PlanFileTrustTests
{
    [Test]
    public async Task Run_SelfSignedServerWithItsCertificateTrusted_Passes()
    {
        using var certificates = TestCertificates.Create();
        var files = certificates.SelfSigned("server", "localhost");
        using var serverCertificate = TestCertificates.ForServer(files);
        await using var app = LoopbackApp.CreateHttps(serverCertificate);
        app.MapGet("/ok", () => "ok");
        var address = (await LoopbackApp.StartAsync(app))[0];
        var plan = PlanFile.Parse($$"""
            http: { baseAddress: "{{address}}", trust: server.crt }
            scenarios:
              - name: tls
                steps:
                  - name: get
                    request: { url: /ok }
                load:
                  - iterationsPerUser: { users: 2, iterations: 3 }
            """, "tls.yaml", certificates.Folder);

        var result = await LoadRunner.RunAsync(plan.Scenarios).WaitAsync(TimeSpan.FromSeconds(60));

        var get = result.GetStep("get");
        Assert.That((get.Ok, get.Failed), Is.EqualTo((6L, 0L)), string.Join("; ", get.Errors.Select(e => e.Message)));
        Assert.That(plan.FeedFiles, Is.EqualTo(new[] { "server.crt" }), "a distributed run sends the certificate with the plan");
    }

    [Test]
    public void Parse_TrustedFileMissingOrNotACertificate_NamesTheSettingTheValueAndWhatIsAllowed()
    {
        var folder = Directory.CreateTempSubdirectory("loadkit-trust-").FullName;
        try
        {
            File.WriteAllText(Path.Combine(folder, "notes.txt"), "not a certificate");
            var error = Assert.Throws<PlanFileException>(() => PlanFile.Parse("""
                http: { baseAddress: "https://127.0.0.1:1", trust: missing.crt }
                grpc: { address: "https://127.0.0.1:2", trust: notes.txt }
                scenarios:
                  - name: s
                    steps:
                      - name: get
                        request: { url: /ok }
                    load:
                      - iterationsPerUser: { users: 1, iterations: 1 }
                """, "bad.yaml", folder))!;

            Assert.That(error.Problems.Select(p => p.ToString()), Has.One.Match(@"^bad\.yaml:1:52: http\.trust = 'missing\.crt' does not exist \(full path .*missing\.crt\): a certificate file \(PEM or DER\) relative to the plan's folder: a test authority, or the server's self-signed certificate$"));
            Assert.That(error.Problems.Select(p => p.ToString()), Has.One.Match(@"^bad\.yaml:2:48: grpc\.trust = 'notes\.txt': a certificate file \(PEM or DER\) relative to the plan's folder: a test authority, or the server's self-signed certificate \(.+\)$"));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
