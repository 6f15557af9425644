using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace LoadKit.Benchmarks;

/// <summary>The HTTP benchmarks' target: Kestrel on a free 127.0.0.1 port answering <c>hello</c> at <c>/hello</c>, without logging.</summary>
internal static class HelloServer
{
    public static async Task<(WebApplication Server, Uri Address)> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
        var server = builder.Build();
        server.MapGet("/hello", () => "hello");
        await server.StartAsync();
        return (server, new Uri(server.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First()));
    }
}
