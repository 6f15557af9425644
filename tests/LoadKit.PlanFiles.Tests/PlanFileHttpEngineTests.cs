using System.Collections.Concurrent;
using System.IO.Compression;
using System.Text;
using LoadKit.TestTargets;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace LoadKit.PlanFiles.Tests;

/// <summary>The plan keys http.engine, http.decompression and http.responsesOnSocketThread, run against Kestrel on 127.0.0.1.</summary>
public class PlanFileHttpEngineTests
{
    [Test]
    public async Task Run_LoadKitEngineWithGzip_AsksForTheCodingsAndChecksReadTheDecompressedText()
    {
        var asked = new ConcurrentQueue<string>();
        await using var app = LoopbackApp.Create();
        app.MapGet("/text", async (HttpContext context) =>
        {
            var accept = context.Request.Headers.AcceptEncoding.ToString();
            asked.Enqueue(accept);
            var text = Encoding.UTF8.GetBytes("hello from a compressed body");
            if (accept.Contains("gzip", StringComparison.Ordinal))
            {
                using var compressed = new MemoryStream();
                await using (var gzip = new GZipStream(compressed, CompressionLevel.Fastest, leaveOpen: true))
                {
                    await gzip.WriteAsync(text);
                }

                context.Response.Headers.ContentEncoding = "gzip";
                text = compressed.ToArray();
            }

            await context.Response.Body.WriteAsync(text);
        });
        var address = (await LoopbackApp.StartAsync(app))[0];
        var plan = PlanFile.Parse($$$"""
            http: { baseAddress: "{{{address}}}", engine: loadkit, decompression: [gzip, br], responsesOnSocketThread: true }
            scenarios:
              - name: compressed
                steps:
                  - name: text
                    request: { url: /text }
                    checks:
                      - bodyContains: hello from a compressed body
                load:
                  - iterationsPerUser: { users: 2, iterations: 2 }
            """, "compressed.yaml");

        var result = await LoadRunner.RunAsync(plan.Scenarios).WaitAsync(TimeSpan.FromSeconds(60));

        var step = result.GetStep("text");
        Assert.That((step.Ok, step.Failed), Is.EqualTo((4L, 0L)), string.Join("; ", step.Errors.Select(e => e.Message)));
        Assert.That(asked, Has.Count.EqualTo(4));
        Assert.That(asked, Is.All.Contains("gzip").And.All.Contains("br").And.All.Not.Contains("deflate"));
    }

    [Test]
    public void Parse_BadEngineAndDecompression_NamesEachSettingItsValueAndWhatIsAllowed()
    {
        var exception = Assert.Throws<PlanFileException>(() => PlanFile.Parse("""
            http: { baseAddress: "http://127.0.0.1:5000", engine: curl, decompression: [gzip, zip], responsesOnSocketThread: maybe }
            scenarios:
              - name: a
                http: { engine: loadkit, version: 2 }
                steps:
                  - request: { url: /a }
                load:
                  - iterationsPerUser: { users: 1, iterations: 1 }
              - name: b
                http: { decompression: [] }
                steps:
                  - request: { url: /b }
                load:
                  - iterationsPerUser: { users: 1, iterations: 1 }
              - name: c
                http: { engine: httpclient, responsesOnSocketThread: true }
                steps:
                  - request: { url: /c }
                load:
                  - iterationsPerUser: { users: 1, iterations: 1 }
            """, "engines.yaml"))!;

        Assert.That(exception.Problems.Select(p => p.ToString()), Is.EqualTo(new[]
        {
            "engines.yaml:1:55: http.engine = 'curl': one of auto, httpclient, loadkit",
            "engines.yaml:1:83: http.decompression[1] = 'zip': one of none, gzip, deflate, br, all",
            "engines.yaml:1:114: http.responsesOnSocketThread = 'maybe': true or false",
            "engines.yaml:4:11: scenarios[0].http.engine = LoadKit: speaks HTTP/1.1 and 1.0 only, and Http.Version is 2.0; allowed: Engine = HttpEngine.HttpClient for HTTP/2, or Version 1.1 or 1.0",
            "engines.yaml:10:28: scenarios[1].http.decompression = an empty list: one of none, gzip, deflate, br, all, or a list of them",
            "engines.yaml:16:11: scenarios[2].http.responsesOnSocketThread = true: applies to LoadKit's engine only, and these settings send through HttpClient (Engine = HttpClient, Version 2.0 or a Handler); allowed: false, or the LoadKit engine over HTTP/1.x",
        }));
    }
}
