using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using FluentAssertions;
using LoadKit.TestTargets;

namespace LoadKit.ControlPage.Tests;

/// <summary>The run view of a run started in code (a test run), served while it goes.</summary>
public class LiveViewTests
{
    [Test]
    public async Task Observe_RunInThisProcess_ServesItsPointsEndingOnTheResultsFigures()
    {
        await using var view = await LiveView.StartAsync(new IPEndPoint(IPAddress.Loopback, 0));
        using var client = new HttpClient { BaseAddress = view.Address };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", view.AccessToken);
        var seen = new List<int>();
        var scenario = Scenario.Create("in code")
            .Step("tick", async ctx => await Task.Delay(5, ctx.CancellationToken))
            .WithLoad(Load.ConstantUsers(2, during: TimeSpan.FromSeconds(3)))
            .Build();

        var run = LoadRunner.RunAsync(scenario, RunOptions.Default with { Observers = [view], Progress = ProgressMode.Off });
        await Eventually.UntilAsync(
            () =>
            {
                using var live = JsonDocument.Parse(client.GetStringAsync(new Uri("/api/runs/current", UriKind.Relative)).GetAwaiter().GetResult() is { Length: > 0 } json ? json : "{\"points\":[]}");
                seen.Add(live.RootElement.GetProperty("points").GetArrayLength());
                return seen[^1] >= 1 || run.IsCompleted;
            },
            TimeSpan.FromSeconds(10),
            () => "no point served while the run went on");
        var result = await run;
        using var ended = JsonDocument.Parse(await client.GetStringAsync(new Uri("/api/runs/current", UriKind.Relative)));
        using var anonymous = new HttpClient();
        var unauthenticated = await anonymous.GetAsync(new Uri(view.Address, "/api/runs/current"));

        seen.Should().Contain(n => n >= 1, "points are served while the run goes on");
        ended.RootElement.GetProperty("state").GetString().Should().Be("finished");
        ended.RootElement.GetProperty("points").EnumerateArray().Select(p => p.GetProperty("requests").GetInt64())
            .Should().Equal(result.GetStep("tick").Timeline.Select(p => p.Ok + p.Failed + p.TimedOut));
        unauthenticated.StatusCode.Should().Be(HttpStatusCode.Unauthorized);
    }
}
