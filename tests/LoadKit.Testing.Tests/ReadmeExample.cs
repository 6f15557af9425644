using FluentAssertions;
using LoadKit;
using LoadKit.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using NUnit.Framework;

public class CheckoutLoadTests
{
    private static Uri _shopAddress = null!;
    private WebApplication _shop = null!;

    // The system under test: a tiny shop on 127.0.0.1. Yours is already running somewhere.
    [OneTimeSetUp]
    public async Task StartShop()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        _shop = builder.Build();
        _shop.MapGet("/products", async () => { await Task.Delay(20); return "[]"; });
        _shop.MapPost("/checkout", async () => { await Task.Delay(50); return Results.Ok(); });
        await _shop.StartAsync();
        _shopAddress = new Uri(_shop.Urls.First());
    }

    [OneTimeTearDown]
    public async Task StopShop() => await _shop.DisposeAsync();

    public static Scenario Checkout() =>
        Scenario.Create("checkout")
            .WithHttp(new HttpSettings { BaseAddress = _shopAddress })
            .Step("browse", Http.Get("/products").Check(HttpCheck.BodyContains("[")))
            .ThinkTime(TimeSpan.FromMilliseconds(100), TimeSpan.FromMilliseconds(300))
            .Step("pay", Http.Post("/checkout"))
            .WithLoad(Load.ConstantUsers(10, during: TimeSpan.FromSeconds(5)))
            .Build();

    [Test]
    public async Task Checkout_meets_its_SLO()
    {
        LoadResult result = await LoadTest.RunAsync(Checkout);

        result.Should().HaveStep("pay").WithPercentile(95).Below(TimeSpan.FromMilliseconds(200));
        result.Should().HaveFailureRateBelow(0.01);
    }
}
