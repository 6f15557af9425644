namespace LoadKit.Worker.Tests.Distributed;

/// <summary>
/// Scenario factories with data feeds for the distributed tests: each worker process calls them and gets its own
/// feed object, bound to its execution segment. The target's address comes from the forwarded environment variable.
/// </summary>
public static class FeedScenarios
{
    /// <summary>The records of <see cref="UniqueIds"/>.</summary>
    public const int Ids = 600;

    private static readonly HttpClient Http = new(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5) });

    /// <summary>10 VUs for up to 20 s, each iteration sending the next id of a unique feed of 600: stops when it runs out.</summary>
    public static Scenario UniqueIds() => Scenario.Create("unique ids")
        .Feed(DataFeed.FromValues("ids", "id", Enumerable.Range(0, Ids), new FeedOptions { Order = FeedOrder.Unique }))
        .Step("use", async ctx =>
        {
            var target = Environment.GetEnvironmentVariable(DistributedScenarios.TargetVariable)?.TrimEnd('/')
                ?? throw new InvalidOperationException($"{DistributedScenarios.TargetVariable} is not set.");
            using var response = await Http.GetAsync($"{target}/use/{ctx.Session.Get<int>("id")}", ctx.CancellationToken);
            response.EnsureSuccessStatusCode();
        })
        .WithLoad(Load.ConstantUsers(10, TimeSpan.FromSeconds(20)))
        .Build();
}
