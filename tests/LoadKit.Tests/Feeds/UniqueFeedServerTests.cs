using System.Diagnostics;
using LoadKit.TestTargets;

namespace LoadKit.Tests.Feeds;

/// <summary>
/// A unique feed never hands one record to two VUs, checked on a real Kestrel server on 127.0.0.1 that counts
/// each value it is sent.
/// </summary>
public class UniqueFeedServerTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(60);

    [Test]
    public async Task RunAsync_UniqueFeedInStepChainClosedModel_ServerSeesEachValueOnceAndTheScenarioStops()
    {
        await using var server = await ValueServer.StartAsync();
        var feed = DataFeed.FromValues("ids", "id", Enumerable.Range(0, 500), new FeedOptions { Order = FeedOrder.Unique });
        var scenario = Scenario.Create("closed")
            .Feed(feed)
            .Step("use", async ctx => (await server.Client.GetAsync($"/use/{ctx.Session.Get<int>("id")}", ctx.CancellationToken)).EnsureSuccessStatusCode())
            .WithLoad(Load.ConstantUsers(20, TimeSpan.FromSeconds(20)))
            .Build();

        var clock = Stopwatch.StartNew();
        var result = await LoadRunner.RunAsync(scenario).WaitAsync(Bound);
        clock.Stop();

        var stats = result.GetScenario("closed");
        TestContext.Out.WriteLine($"{clock.Elapsed.TotalSeconds:0.00} s; {string.Join("; ", result.Notes)}");
        Assert.That(server.Values.Keys.Select(int.Parse).Order(), Is.EqualTo(Enumerable.Range(0, 500)), "every record was sent");
        Assert.That(server.Values.Values.Max(), Is.EqualTo(1), "no record was sent twice");
        Assert.That((stats.Iterations.Ok, stats.Iterations.Failed, stats.GetStep("use").Failed, stats.GetStep("use").Cancelled), Is.EqualTo((500L, 0L, 0L, 0L)));
        Assert.That(result.Notes.Single(), Does.Match("^scenario 'closed' stopped at [0-9.]+ s: feed 'ids' ran out after 500 records$"));
        Assert.That(clock.Elapsed, Is.LessThan(TimeSpan.FromSeconds(10)), "the 20 s phase ended when the feed ran out");
    }

    [Test]
    public async Task RunAsync_UniqueFeedReadInStepOpenModel_ServerSeesEachValueOnceAndTheScenarioStops()
    {
        await using var server = await ValueServer.StartAsync();
        var feed = DataFeed.FromValues("codes", "code", Enumerable.Range(0, 300).Select(i => $"c{i}"), new FeedOptions { Order = FeedOrder.Unique });
        var scenario = Scenario.Create("open")
            .UseFeed(feed)
            .Step("use", async ctx =>
            {
                feed.ReadInto(ctx);
                (await server.Client.GetAsync($"/use/{ctx.Session.Get<string>("code")}", ctx.CancellationToken)).EnsureSuccessStatusCode();
            })
            .WithLoad(Load.ArrivalRate(400, TimeSpan.FromSeconds(20), preAllocatedUsers: 20, maxUsers: 40))
            .Build();

        var clock = Stopwatch.StartNew();
        var result = await LoadRunner.RunAsync(scenario).WaitAsync(Bound);
        clock.Stop();

        var stats = result.GetScenario("open");
        TestContext.Out.WriteLine($"{clock.Elapsed.TotalSeconds:0.00} s; dropped {stats.Dropped}; {string.Join("; ", result.Notes)}");
        Assert.That(server.Values.Keys.Order(), Is.EqualTo(Enumerable.Range(0, 300).Select(i => $"c{i}").Order()));
        Assert.That(server.Values.Values.Max(), Is.EqualTo(1));
        Assert.That((stats.Iterations.Ok, stats.Iterations.Failed, stats.GetStep("use").Failed), Is.EqualTo((300L, 0L, 0L)),
            "the iteration that found the feed empty is not counted");
        Assert.That(result.Notes.Single(), Does.Contain("scenario 'open' stopped at").And.Contain("feed 'codes' ran out after 300 records"));
        Assert.That(clock.Elapsed, Is.LessThan(TimeSpan.FromSeconds(10)), "the schedule stopped when the feed ran out");
    }

    [Test]
    public async Task RunAsync_UniqueFeedLargerThanTheIterations_ServerSeesEachValueAtMostOnceAndNoNote()
    {
        await using var server = await ValueServer.StartAsync();
        var feed = DataFeed.FromValues("ids", "id", Enumerable.Range(0, 500), new FeedOptions { Order = FeedOrder.Unique });
        var scenario = Scenario.Create("bounded")
            .Feed(feed)
            .Step("use", async ctx => (await server.Client.GetAsync($"/use/{ctx.Session.Get<int>("id")}", ctx.CancellationToken)).EnsureSuccessStatusCode())
            .WithLoad(Load.SharedIterations(20, 300))
            .Build();

        var result = await LoadRunner.RunAsync(scenario).WaitAsync(Bound);

        Assert.That(server.Values, Has.Count.EqualTo(300));
        Assert.That(server.Values.Values.Max(), Is.EqualTo(1));
        Assert.That(result.Notes, Is.Empty);
    }
}
