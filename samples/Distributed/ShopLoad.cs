using LoadKit;

namespace Distributed;

/// <summary>
/// The scenario, as a test project would define it: a static factory that the controller and every worker call.
/// The shop's address comes from <c>SHOP_URL</c>, which the controller forwards to the workers.
/// </summary>
public static class ShopLoad
{
    public const string ShopUrlVariable = "SHOP_URL";

    // One client per process that runs the scenario.
    private static readonly HttpClient Http = new();

    /// <summary>900 arrivals a second for 10 seconds, split across the workers.</summary>
    public static Scenario Checkout() => Scenario.Create("shop")
        .Step("browse", async ctx =>
        {
            using var response = await Http.GetAsync(ShopUrl() + "/products", ctx.CancellationToken);
            response.EnsureSuccessStatusCode();
        })
        .Step("checkout", async ctx =>
        {
            using var response = await Http.PostAsync(ShopUrl() + "/checkout", null, ctx.CancellationToken);
            response.EnsureSuccessStatusCode();
        })
        .WithLoad(Load.ArrivalRate(900, TimeSpan.FromSeconds(10), preAllocatedUsers: 60, maxUsers: 600))
        .Build();

    private static string ShopUrl() =>
        Environment.GetEnvironmentVariable(ShopUrlVariable)?.TrimEnd('/') ?? throw new InvalidOperationException($"{ShopUrlVariable} is not set.");
}
