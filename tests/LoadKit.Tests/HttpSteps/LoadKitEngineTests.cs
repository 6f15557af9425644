using System.Collections.Concurrent;
using System.IO.Compression;
using System.Net;
using System.Text;
using LoadKit.Tests.HttpWire;
using LoadKit.TestTargets;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace LoadKit.Tests.HttpSteps;

using Results = Microsoft.AspNetCore.Http.Results;

/// <summary>
/// HTTP steps on LoadKit's own engine (<see cref="HttpEngine.LoadKit"/>) in whole runs: reconnects counted exactly
/// against the server's own counts, malformed responses as failed steps, large and compressed bodies.
/// </summary>
public class LoadKitEngineTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(60);

    [Test]
    public async Task Step_ServerClosesEveryThirdRequest_ReconnectsAndCountsExactly()
    {
        var perConnection = new ConcurrentDictionary<string, int>();
        long served = 0;
        var app = LoopbackApp.Create();
        app.MapGet("/hello", (HttpContext context) =>
        {
            Interlocked.Increment(ref served);
            if (perConnection.AddOrUpdate(context.Connection.Id, 1, (_, n) => n + 1) == 3)
            {
                context.Response.Headers.Connection = "close";
            }

            return "hello";
        });
        var address = (await LoopbackApp.StartAsync(app))[0];
        await using var _ = app;
        var scenario = Scenario.Create("closing")
            .WithHttp(new HttpSettings { BaseAddress = address, Engine = HttpEngine.LoadKit })
            .Step("hello", LoadKit.Http.Get("/hello").Check(HttpCheck.BodyContains("hello")))
            .WithLoad(Load.IterationsPerUser(users: 2, iterations: 10))
            .Build();

        var result = await LoadRunner.RunAsync(scenario).WaitAsync(Bound);

        var step = result.GetStep("hello");
        Assert.That(step.Ok, Is.EqualTo(20), string.Join("; ", step.Errors));
        Assert.That(Interlocked.Read(ref served), Is.EqualTo(20));
        Assert.That(perConnection, Has.Count.EqualTo(8), "10 requests per VU, 3 per connection: 4 connections each");
        Assert.That(perConnection.Values.Order(), Is.EqualTo(new[] { 1, 1, 3, 3, 3, 3, 3, 3 }));

        // Each connection's TCP connect is a sample of the step's measurement "connect" (no TLS here: no "tls handshake").
        var scenarioResult = result.Scenarios.Single();
        Assert.That(scenarioResult.GetMeasurement("hello", "connect").Ok, Is.EqualTo(8));
        Assert.That(scenarioResult.Measurements.Select(m => m.Name), Is.EqualTo(new[] { "hello › connect" }));
    }

    [TestCase("HTTP/1.1 OK\r\n\r\n", "its status line 'HTTP/1.1 OK' is not 'HTTP/1.x NNN reason' with a status from 100 to 999")]
    [TestCase("HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", "its Content-Length '-1' is not a whole number of 0 or more")]
    [TestCase("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5x\r\nhello\r\n0\r\n\r\n", "its chunk size '5x' is not a hexadecimal number")]
    public async Task Step_MalformedResponse_FailsTheStepWithAClearErrorAndTheRunGoesOn(string response, string expected)
    {
        await using var server = new RawHttpServer(async (_, stream, ct) =>
        {
            await stream.WriteAsync(Encoding.Latin1.GetBytes(response), ct);
            return false;
        });
        var scenario = Scenario.Create("malformed")
            .WithHttp(new HttpSettings { BaseAddress = server.Address, Engine = HttpEngine.LoadKit })
            .Step("bad", LoadKit.Http.Get("/bad"))
            .WithLoad(Load.IterationsPerUser(users: 2, iterations: 3))
            .Build();

        var step = (await LoadRunner.RunAsync(scenario).WaitAsync(Bound)).GetStep("bad");

        Assert.That((step.Failed, step.Ok, step.TimedOut), Is.EqualTo((6L, 0L, 0L)));
        Assert.That(step.Errors.Single().Message, Is.EqualTo($"HttpRequestException: malformed response from 127.0.0.1:{server.Address.Port}: {expected}"));
        Assert.That(server.Requests, Is.EqualTo(6), "each request went once");
    }

    [Test]
    public async Task Step_TenMegabyteBody_IsCheckedByLengthAndCountedWhole()
    {
        const int size = 10 * 1024 * 1024;
        var body = new byte[size];
        var app = LoopbackApp.Create();
        app.MapGet("/large", () => Results.Bytes(body, "application/octet-stream"));
        app.MapGet("/chunked", async (HttpContext context) =>
        {
            for (var i = 0; i < 10; i++)
            {
                await context.Response.Body.WriteAsync(body.AsMemory(0, size / 10));
            }
        });
        var address = (await LoopbackApp.StartAsync(app))[0];
        await using var _ = app;
        var scenario = Scenario.Create("large")
            .WithHttp(new HttpSettings { BaseAddress = address, Engine = HttpEngine.LoadKit })
            .Step("kept", LoadKit.Http.Get("/large").Check(HttpCheck.BodyLengthIs(size)))
            .Step("counted", LoadKit.Http.Get("/chunked"))
            .WithLoad(Load.IterationsPerUser(users: 1, iterations: 2))
            .Build();

        var result = await LoadRunner.RunAsync(scenario).WaitAsync(Bound);

        var (kept, counted) = (result.GetStep("kept"), result.GetStep("counted"));
        Assert.That((kept.Ok, counted.Ok), Is.EqualTo((2L, 2L)), string.Join("; ", kept.Errors.Concat(counted.Errors)));
        Assert.That((kept.Http!.BodyBytesReceived, counted.Http!.BodyBytesReceived), Is.EqualTo((2L * size, 2L * size)));
    }

    [TestCase(HttpEngine.HttpClient)]
    [TestCase(HttpEngine.LoadKit)]
    public async Task Step_Decompression_AsksForGzipAndChecksReadTheDecompressedBody(HttpEngine engine)
    {
        var acceptEncoding = new ConcurrentBag<string>();
        var app = LoopbackApp.Create();
        app.MapGet("/zipped", async (HttpContext context) =>
        {
            acceptEncoding.Add(context.Request.Headers.AcceptEncoding.ToString());
            using var compressed = new MemoryStream();
            await using (var gzip = new GZipStream(compressed, CompressionLevel.Fastest, leaveOpen: true))
            {
                await gzip.WriteAsync("""{"state":"zipped"}"""u8.ToArray());
            }

            context.Response.Headers.ContentEncoding = "gzip";
            context.Response.ContentType = "application/json";
            await context.Response.Body.WriteAsync(compressed.ToArray());
        });
        var address = (await LoopbackApp.StartAsync(app))[0];
        await using var _ = app;
        var scenario = Scenario.Create("zipped")
            .WithHttp(new HttpSettings { BaseAddress = address, Engine = engine, Decompression = DecompressionMethods.GZip })
            .Step("json", LoadKit.Http.Get("/zipped").Check(HttpCheck.JsonValueIs("$.state", "zipped")))
            .WithLoad(Load.IterationsPerUser(users: 1, iterations: 2))
            .Build();

        var step = (await LoadRunner.RunAsync(scenario).WaitAsync(Bound)).GetStep("json");

        Assert.That(step.Ok, Is.EqualTo(2), string.Join("; ", step.Errors));
        Assert.That(acceptEncoding, Is.All.EqualTo("gzip"));
    }

    [Test]
    public void Build_LoadKitEngineWithAnInProcessHandler_IsRefusedSayingWhy()
    {
        var builder = Scenario.Create("in-process")
            .WithHttp(new HttpSettings { Engine = HttpEngine.LoadKit, Handler = () => new SocketsHttpHandler() })
            .Step("get", LoadKit.Http.Get("/"))
            .WithLoad(Load.IterationsPerUser(1, 1));

        var error = Assert.Throws<ScenarioValidationException>(() => builder.Build())!;

        Assert.That(error.Message, Does.Contain("Http.Engine = LoadKit: sends over connections, and Http.Handler is set (an in-process handler); allowed: Engine = HttpEngine.HttpClient with a Handler"));
    }
}
