using System.Collections.Concurrent;
using System.Text;
using LoadKit.Tests.HttpWire;

namespace LoadKit.Tests.HttpSteps;

/// <summary>HTTP steps through a proxy (<see cref="HttpSettings.Proxy"/>): a raw server on 127.0.0.1 plays the proxy and notes each request line.</summary>
public class HttpProxyTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);

    [Test]
    public async Task Step_WithAProxy_EveryRequestGoesThroughItInProxyForm()
    {
        var lines = new ConcurrentQueue<string>();
        await using var proxy = new RawHttpServer(async (request, stream, ct) =>
        {
            lines.Enqueue(request.RequestLine);
            await stream.WriteAsync(Encoding.ASCII.GetBytes("HTTP/1.1 200 OK\r\nContent-Length: 7\r\n\r\nproxied"), ct);
            return true;
        });

        // Nothing listens at the target's port: only the proxy can answer.
        var scenario = Scenario.Create("proxied")
            .WithHttp(new HttpSettings { BaseAddress = new Uri("http://127.0.0.1:9/shop/"), Proxy = proxy.Address })
            .Step("get", LoadKit.Http.Get("items?page=2").Check(HttpCheck.BodyContains("proxied")))
            .WithLoad(Load.IterationsPerUser(users: 2, iterations: 5))
            .Build();

        var step = (await LoadRunner.RunAsync(scenario).WaitAsync(Bound)).GetStep("get");

        Assert.That(step.Ok, Is.EqualTo(10), string.Join("; ", step.Errors));
        Assert.That(proxy.Requests, Is.EqualTo(10), "the proxy's own count");
        Assert.That(lines, Is.All.EqualTo("GET http://127.0.0.1:9/shop/items?page=2 HTTP/1.1"), "a proxy is sent the absolute address");
    }

    [TestCase("https://127.0.0.1:3128", "must be an absolute http:// address of a proxy with no path")]
    [TestCase("http://127.0.0.1:3128/some/path", "must be an absolute http:// address of a proxy with no path")]
    public void Build_ProxyNotAnHttpAddress_IsRefusedNamingIt(string proxy, string allowed)
    {
        var builder = Scenario.Create("bad proxy")
            .WithHttp(new HttpSettings { BaseAddress = new Uri("http://127.0.0.1:9/"), Proxy = new Uri(proxy) })
            .Step("get", LoadKit.Http.Get("/"))
            .WithLoad(Load.IterationsPerUser(1, 1));

        var error = Assert.Throws<ScenarioValidationException>(() => builder.Build())!;

        Assert.That(error.Message, Does.Contain($"Http.Proxy = {proxy}: {allowed}"));
    }

    [Test]
    public void Build_ProxyWithLoadKitsEngine_IsRefusedSayingWhy()
    {
        var builder = Scenario.Create("engine proxy")
            .WithHttp(new HttpSettings { BaseAddress = new Uri("http://127.0.0.1:9/"), Engine = HttpEngine.LoadKit, Proxy = new Uri("http://127.0.0.1:3128") })
            .Step("get", LoadKit.Http.Get("/"))
            .WithLoad(Load.IterationsPerUser(1, 1));

        var error = Assert.Throws<ScenarioValidationException>(() => builder.Build())!;

        Assert.That(error.Message, Does.Contain("Http.Engine = LoadKit: does not go through a proxy, and Http.Proxy is set"));
    }
}
