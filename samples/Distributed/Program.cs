// Distributed: a whole distributed run on this machine. Starts etcd (from PATH, a temp data folder, free loopback
// ports), three LoadKit workers that register in it, and a small shop to load; runs ShopLoad.Checkout across the
// workers; prints the merged table with a row per worker and the start skew; then stops everything it started,
// by PID.
//
// With --controller-only --etcd URL --prefix P --workers N --shop URL it is only the controller, against workers
// and a shop that run elsewhere (the tests kill such a controller mid-run).
using System.Net;
using Distributed;
using LoadKit;
using LoadKit.TestTargets;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

var token = Environment.GetEnvironmentVariable(ClusterOptions.TokenVariable) ?? Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16));
if (args.Contains("--controller-only"))
{
    string Arg(string name) => args.SkipWhile(a => a != name).Skip(1).FirstOrDefault() ?? throw new ArgumentException($"{name} is required with --controller-only.");
    Environment.SetEnvironmentVariable(ShopLoad.ShopUrlVariable, Arg("--shop"));
    var result = await RunAsync(new Uri(Arg("--etcd")), Arg("--prefix"), int.Parse(Arg("--workers"), System.Globalization.CultureInfo.InvariantCulture));
    return result.Workers.Any(w => w.Lost is not null) ? 1 : 0;
}

const int workerCount = 3;
int exitCode;
await using var etcd = await EtcdServer.StartAsync();
Console.WriteLine($"etcd listening on {etcd.Url} (PID {etcd.ProcessId})");
await using var shop = await StartShopAsync();
var shopUrl = shop.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
Environment.SetEnvironmentVariable(ShopLoad.ShopUrlVariable, shopUrl);
Console.WriteLine($"Shop listening on {shopUrl}");

var prefix = "sample";
await using (var workers = LocalWorkers.Start(workerCount, etcd.Url, prefix, token, "samples/Distributed"))
{
    Console.WriteLine($"Workers started (PIDs {string.Join(", ", workers.ProcessIds)})");
    var result = await RunAsync(new Uri(etcd.Url), prefix, workerCount);
    exitCode = result.Workers.Count == workerCount && result.Workers.All(w => w.Lost is null) ? 0 : 1;
}

Console.WriteLine("Stopped the workers, the shop and etcd.");
return exitCode;

async Task<LoadResult> RunAsync(Uri etcdUrl, string clusterPrefix, int count)
{
    var options = new RunOptions
    {
        Target = new ClusterTarget(new ClusterOptions([etcdUrl], count, token)
        {
            Prefix = clusterPrefix,
            WorkerWait = TimeSpan.FromSeconds(30),
            Forward = [ShopLoad.ShopUrlVariable],
        }),
    };
    Console.WriteLine($"Running 'shop' on {count} workers ...");
    var result = await LoadRunner.RunAsync([ShopLoad.Checkout], options);
    Console.WriteLine(SummaryTable.Render(result));
    return result;
}

static async Task<WebApplication> StartShopAsync()
{
    var builder = WebApplication.CreateSlimBuilder();
    builder.Logging.ClearProviders();
    builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
    var app = builder.Build();
    app.MapGet("/products", async () =>
    {
        await Task.Delay(5);
        return "[{\"id\":1,\"name\":\"kettle\"}]";
    });
    app.MapPost("/checkout", async () =>
    {
        await Task.Delay(20);
        return "{\"order\":42}";
    });
    await app.StartAsync();
    return app;
}
