using LoadKit.Targets;

namespace LoadKit.Tests.Targets;

/// <summary>
/// The warm-up a process runs before its first prepared run compiles only what it really runs: every step of it must
/// work. Each part (an engine over TCP or TLS, WebSocket steps) is warmed when a run first needs it, once.
/// </summary>
public class ProcessWarmUpTests
{
    private static readonly Uri Plain = new("http://127.0.0.1:1/");
    private static readonly Uri Secured = new("https://127.0.0.1:1/");

    private static Scenario WithStep(string path, HttpEngine engine = HttpEngine.LoadKit, Uri? baseAddress = null) =>
        Scenario.Create("s").WithHttp(new HttpSettings { BaseAddress = baseAddress ?? Plain, Engine = engine })
            .Step("get", Http.Get(path)).WithLoad(Load.IterationsPerUser(1, 1)).Build();

    [Test]
    public void For_PlainHttpOnLoadKitsEngine_IsThatEngineOverTcpOnly() =>
        Assert.That(ProcessWarmUp.For([WithStep("/a")]), Is.EqualTo(WarmUpParts.LoadKitEngine));

    [Test]
    public void For_HttpsBaseAddressOnHttpClient_IsHttpClientOverTcpAndTls() =>
        Assert.That(ProcessWarmUp.For([WithStep("/a", HttpEngine.HttpClient, Secured)]), Is.EqualTo(WarmUpParts.HttpClient | WarmUpParts.HttpClientTls));

    [TestCase("https://127.0.0.1:1/a", true)]
    [TestCase("{{origin}}/a", true)]
    [TestCase("http://127.0.0.1:1/a", false)]
    [TestCase("/a/{{id}}", false)]
    public void For_AStepUrl_WarmsTlsWhenItIsOrMayBeHttps(string path, bool tls) =>
        Assert.That(ProcessWarmUp.For([WithStep(path)]).HasFlag(WarmUpParts.LoadKitEngineTls), Is.EqualTo(tls));

    [Test]
    public void For_ScenariosWithCodeAndWebSocketSteps_IsTheirEnginesAndWebSocket()
    {
        var code = Scenario.Create("code").WithHttp(new HttpSettings { Engine = HttpEngine.HttpClient })
            .Step("c", _ => ValueTask.CompletedTask).WithLoad(Load.IterationsPerUser(1, 1)).Build();
        var webSocket = Scenario.Create("ws").WithHttp(new HttpSettings { Engine = HttpEngine.LoadKit })
            .Step("connect", WebSocketSteps.Connect("c", "ws://127.0.0.1:1/ws")).WithLoad(Load.IterationsPerUser(1, 1)).Build();

        Assert.That(ProcessWarmUp.For([code, webSocket]), Is.EqualTo(WarmUpParts.HttpClient | WarmUpParts.LoadKitEngine | WarmUpParts.WebSocket));
    }

    [Test]
    public async Task RunAsync_OnePart_RunsThatPartOnly()
    {
        var result = await ProcessWarmUp.RunAsync(WarmUpParts.LoadKitEngine).WaitAsync(TimeSpan.FromSeconds(60));

        Assert.That(result.Scenarios.Select(s => s.Name), Is.EqualTo(new[] { "loadkit process warm-up (LoadKit's HTTP engine)" }));
        Assert.That(result.Scenarios[0].Steps.Select(s => (s.Name, s.Ok > 0, s.Failed + s.TimedOut)), Is.EqualTo(new[] { ("get", true, 0L), ("post", true, 0L) }));
    }

    [Test]
    public async Task EnsureAsync_PartsWarmedBefore_CompletesAtOnce()
    {
        await ProcessWarmUp.EnsureAsync(WarmUpParts.LoadKitEngine | WarmUpParts.WebSocket).WaitAsync(TimeSpan.FromSeconds(60));

        Assert.That(ProcessWarmUp.EnsureAsync(WarmUpParts.WebSocket).IsCompleted, Is.True);
        Assert.That(ProcessWarmUp.EnsureAsync(WarmUpParts.LoadKitEngine).IsCompleted, Is.True);
    }

    [Test]
    public async Task RunAsync_EveryStepOfEveryScenario_Succeeds()
    {
        var result = await ProcessWarmUp.RunAsync().WaitAsync(TimeSpan.FromSeconds(60));

        Assert.That(result.Scenarios.Select(s => s.Name), Has.Some.Contain("WebSocket"));
        var steps = result.Scenarios.SelectMany(s => s.Steps.Select(step => (Scenario: s.Name, step.Name, step.Ok, NotOk: step.Failed + step.TimedOut))).ToArray();
        Assert.That(steps.Where(s => s.Ok == 0 || s.NotOk > 0), Is.Empty,
            string.Join("; ", result.Scenarios.SelectMany(s => s.Steps).SelectMany(s => s.Errors).Select(e => e.Message)));
        Assert.That(result.GetScenario("loadkit process warm-up (WebSocket)").GetStep("connect").WebSocket?.Opened, Is.EqualTo(2),
            "each iteration opened its connection (the close step closed the one before)");
        Assert.That(
            result.GetScenario("loadkit process warm-up (TLS, LoadKit's HTTP engine)").Measurements.Select(m => m.Name),
            Has.Some.EqualTo("get › tls handshake").Or.Some.EqualTo("post › tls handshake"),
            "the TLS scenarios negotiated TLS (their client code is compiled before a run)");
    }
}
