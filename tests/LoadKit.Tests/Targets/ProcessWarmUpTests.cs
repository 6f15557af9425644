using LoadKit.Targets;

namespace LoadKit.Tests.Targets;

/// <summary>The warm-up a worker runs once before its first prepared run compiles only what it really runs: every step of it must work.</summary>
public class ProcessWarmUpTests
{
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
