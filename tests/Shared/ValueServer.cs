using System.Collections.Concurrent;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace LoadKit.TestTargets;

/// <summary>
/// A Kestrel server on 127.0.0.1 that counts how often each value reaches <c>/use/{value}</c>,
/// to check that test data (a unique feed) reached it at most once.
/// </summary>
internal sealed class ValueServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private ValueServer(WebApplication app) => _app = app;

    public ConcurrentDictionary<string, int> Values { get; } = new();

    public Uri BaseAddress { get; private set; } = null!;

    /// <summary>A client for this server; disposed with it.</summary>
    public HttpClient Client { get; private set; } = null!;

    public static async Task<ValueServer> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        var server = new ValueServer(app);
        app.MapGet("/use/{value}", (string value) =>
        {
            server.Values.AddOrUpdate(value, 1, (_, n) => n + 1);
            return Results.Text("ok");
        });
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        server.BaseAddress = new Uri(address);
        server.Client = new HttpClient { BaseAddress = server.BaseAddress };
        return server;
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await _app.DisposeAsync();
    }
}
