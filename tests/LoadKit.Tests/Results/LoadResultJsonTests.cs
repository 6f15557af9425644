using System.Text.Json;

namespace LoadKit.Tests.Results;

public class LoadResultJsonTests
{
    private static async Task<LoadResult> RunMixedScenarioAsync()
    {
        var scenario = Scenario.Create("mixed")
            .WithInit((_, _) => ValueTask.CompletedTask)
            .Step("ok", async ctx => await Task.Delay(ctx.Iteration % 3 == 0 ? 2 : 8, ctx.CancellationToken))
            .Step("flaky", ctx => ctx.Iteration % 4 == 0 ? throw new TimeoutException("upstream") : ctx.Iteration % 4 == 1 ? throw new FormatException("bad {json}") : ValueTask.CompletedTask)
            .WithLoad(Load.IterationsPerUser(3, 40))
            .Build();
        return await LoadRunner.RunAsync(scenario).WaitAsync(TimeSpan.FromSeconds(30));
    }

    [Test]
    public async Task ToJsonFromJson_RealResult_RoundTripsWithoutLoss()
    {
        var original = await RunMixedScenarioAsync();

        var json = original.ToJson();
        var copy = LoadResult.FromJson(json);

        Assert.That(copy.ToJson(), Is.EqualTo(json));
        Assert.That((copy.StartedAt, copy.EndedAt, copy.Cancelled), Is.EqualTo((original.StartedAt, original.EndedAt, original.Cancelled)));
        var (before, after) = (original.GetScenario("mixed"), copy.GetScenario("mixed"));
        Assert.That(after.Duration, Is.EqualTo(before.Duration));
        Assert.That(after.Init!.Ok, Is.EqualTo(3));
        foreach (var name in new[] { "ok", "flaky" })
        {
            var (a, b) = (before.GetStep(name), after.GetStep(name));
            Assert.That((b.Ok, b.Failed, b.TimedOut, b.Cancelled), Is.EqualTo((a.Ok, a.Failed, a.TimedOut, a.Cancelled)), name);
            Assert.That(b.Errors, Is.EqualTo(a.Errors), name);
            Assert.That(b.Timeline.Select(p => (p.Second, p.Ok, p.Latency.P95)), Is.EqualTo(a.Timeline.Select(p => (p.Second, p.Ok, p.Latency.P95))), name);
            foreach (var percentile in new[] { 50, 90, 99, 99.9, 100 })
            {
                Assert.That(b.Latency.Percentile(percentile), Is.EqualTo(a.Latency.Percentile(percentile)), $"{name} p{percentile}");
            }

            Assert.That((b.Latency.Min, b.Latency.Mean, b.Latency.Max), Is.EqualTo((a.Latency.Min, a.Latency.Mean, a.Latency.Max)), name);
        }

        Assert.That(after.GetStep("flaky").TimedOut, Is.EqualTo(30), "a TimeoutException thrown by a step counts as a timeout");
    }

    [Test]
    public async Task WriteFile_AnyResult_StartsWithTheJsonObjectNotAByteOrderMark()
    {
        var result = await RunMixedScenarioAsync();
        var path = Path.Combine(Directory.CreateTempSubdirectory("loadkit-json-").FullName, "result.json");

        result.WriteFile(path);

        var bytes = File.ReadAllBytes(path);
        Assert.That(bytes[0], Is.EqualTo((byte)'{'), $"the file starts with {Convert.ToHexString(bytes, 0, 3)}");
        Assert.That(LoadResult.ReadFile(path).GetStep("ok").Ok, Is.EqualTo(result.GetStep("ok").Ok));
    }

    [Test]
    public void FromJson_HistogramDisagreesWithCount_ThrowsJsonException()
    {
        var json = """{"startedAt":"2026-01-01T00:00:00+00:00","endedAt":"2026-01-01T00:00:01+00:00","cancelled":false,"scenarios":[{"name":"s","startedAt":"2026-01-01T00:00:00+00:00","duration":"00:00:01","users":1,"steps":[],"iterations":{"name":"iteration","ok":1,"failed":0,"timedOut":0,"cancelled":0,"duration":"00:00:01","latency":{"count":5,"sumMicroseconds":1,"minMicroseconds":1,"maxMicroseconds":1},"failedLatency":{"count":0},"errors":[],"timeline":[]},"init":null,"cleanup":null,"abandonedUsers":0}]}""";

        var exception = Assert.Throws<JsonException>(() => LoadResult.FromJson(json));

        Assert.That(exception.Message, Does.Contain("count 5 has no 'histogram'"));
    }

    [Test]
    public void FromJson_Null_ThrowsJsonException()
    {
        Assert.Throws<JsonException>(() => LoadResult.FromJson("null"));
    }
}
