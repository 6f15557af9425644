using System.Net;
using LoadKit.Engine;
using LoadKit.TestTargets;
using LoadKit.Workload;

namespace LoadKit.Tests.HttpSteps;

/// <summary>
/// <see cref="HttpEngine.Auto"/>, the default: LoadKit's engine for HTTP/1.x over connections, HttpClient where that
/// engine does not go (HTTP/2, in-process handlers, proxies set or from the environment).
/// </summary>
public class HttpEngineChoiceTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);

    [Test]
    public async Task Run_DefaultSettings_Http11GoesThroughLoadKitsEngine()
    {
        using var server = await ArrivalRecorder.StartAsync();
        var scenario = Scenario.Create("default engine")
            .WithHttp(new HttpSettings { BaseAddress = server.Address })
            .Step("get", Http.Get("/"))
            .WithLoad(Load.IterationsPerUser(2, 5))
            .Build();

        // Not prepared, so each VU connects in its first step: LoadKit's engine times that connect as a measurement
        // of its own ("get › connect"); HttpClient times none.
        var result = await new ScenarioEngine(scenario, RunPlan.LoadOf(scenario, LoadProfile.Full, 1), SegmentShare.Whole)
            .RunAsync(CancellationToken.None).WaitAsync(Bound);

        Assert.That(scenario.Http.Engine, Is.EqualTo(HttpEngine.Auto));
        Assert.That(result.GetStep("get").Ok, Is.EqualTo(10));
        Assert.That(result.Measurements.Select(m => (m.Name, m.Ok)), Is.EqualTo(new[] { ("get › connect", 2L) }));
    }

    [Test]
    public void Auto_Http1xOverConnections_IsLoadKitsEngine()
    {
        Assert.That(new HttpSettings().UsesLoadKitEngine(NoVariables), Is.True);
        Assert.That(new HttpSettings { Version = HttpVersion.Version10 }.UsesLoadKitEngine(NoVariables), Is.True);
        Assert.That(new HttpSettings { Connections = HttpConnections.Shared, Decompression = DecompressionMethods.GZip }.UsesLoadKitEngine(NoVariables), Is.True);
    }

    [Test]
    public void Auto_WhereLoadKitsEngineDoesNotGo_IsHttpClient()
    {
        Assert.That(new HttpSettings { Version = HttpVersion.Version20 }.UsesLoadKitEngine(NoVariables), Is.False, "HTTP/2");
        Assert.That(new HttpSettings { Handler = () => new SocketsHttpHandler() }.UsesLoadKitEngine(NoVariables), Is.False, "a handler");
        Assert.That(new HttpSettings { Proxy = new Uri("http://127.0.0.1:3128") }.UsesLoadKitEngine(NoVariables), Is.False, "a proxy");
    }

    [TestCase("http_proxy")]
    [TestCase("HTTP_PROXY")]
    [TestCase("https_proxy")]
    [TestCase("HTTPS_PROXY")]
    [TestCase("all_proxy")]
    [TestCase("ALL_PROXY")]
    public void Auto_ProxyFromTheEnvironment_IsHttpClient(string variable)
    {
        string? Environment(string name) => name == variable ? "http://127.0.0.1:3128" : null;

        Assert.That(new HttpSettings().UsesLoadKitEngine(Environment), Is.False);
        Assert.That(new HttpSettings { Engine = HttpEngine.LoadKit }.UsesLoadKitEngine(Environment), Is.True, "an engine set is kept");
    }

    [Test]
    public void Explicit_HttpClient_IsKeptForHttp11()
    {
        Assert.That(new HttpSettings { Engine = HttpEngine.HttpClient }.UsesLoadKitEngine(NoVariables), Is.False);
    }

    private static string? NoVariables(string name) => null;
}
