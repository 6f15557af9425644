// QuickStart: starts a small HTTP shop on 127.0.0.1 (a free port), loads it with LoadKit for about
// ten seconds and prints the summary. The shop's delays are known, so the measured latencies can be
// checked against them: p50 of 'browse' should sit just above 20 ms and of 'checkout' just above 80 ms.
using System.Net;
using LoadKit;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

var browseDelay = TimeSpan.FromMilliseconds(20);
var checkoutDelay = TimeSpan.FromMilliseconds(80);

var builder = WebApplication.CreateSlimBuilder(args);
builder.Logging.ClearProviders();
builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
await using var shop = builder.Build();
shop.MapGet("/products", async () =>
{
    await Task.Delay(browseDelay);
    return "[{\"id\":1,\"name\":\"kettle\"}]";
});
shop.MapPost("/checkout", async () =>
{
    await Task.Delay(checkoutDelay);
    return "{\"order\":42}";
});
await shop.StartAsync();
var address = shop.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
Console.WriteLine($"Shop listening on {address} (browse takes {browseDelay.TotalMilliseconds} ms, checkout {checkoutDelay.TotalMilliseconds} ms)");

var scenario = Scenario.Create("shop")
    .WithHttp(new HttpSettings { BaseAddress = new Uri(address) })
    .Step("browse", Http.Get("/products"))
    .ThinkTime(TimeSpan.FromMilliseconds(50), TimeSpan.FromMilliseconds(150))
    .Step("checkout", Http.Post("/checkout").Check(HttpCheck.JsonValueIs("$.order", "42")))
    .WithLoad(Load.ConstantUsers(5, during: TimeSpan.FromSeconds(10)))
    .WithStepTimeout(TimeSpan.FromSeconds(5))
    .WithThresholds(
        Threshold.Step("checkout").Percentile(95).Below(TimeSpan.FromMilliseconds(250)),
        Threshold.AllSteps.FailureRate.Below(0.01))
    .Build();

Console.WriteLine($"Running {scenario} ...");
var result = await LoadRunner.RunAsync(scenario);
Console.WriteLine();
Console.Write(SummaryTable.Render(result));
var report = await Report.WriteAsync(result, Path.Combine(AppContext.BaseDirectory, "loadkit-report"));
Console.WriteLine($"HTML report: {report.Html}");

await shop.StopAsync();
return result.Thresholds.All(t => t.Passed) ? 0 : 1;
