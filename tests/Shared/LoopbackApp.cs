using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace LoadKit.TestTargets;

/// <summary>The start-up every test server shares: Kestrel on 127.0.0.1, free ports, no logging.</summary>
internal static class LoopbackApp
{
    /// <summary>An app that listens on one free loopback port, or as <paramref name="listen"/> says; map its endpoints, then start it.</summary>
    public static WebApplication Create(Action<KestrelServerOptions>? listen = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(listen ?? (k => k.Listen(IPAddress.Loopback, 0)));
        return builder.Build();
    }

    /// <summary>
    /// An app that serves HTTP/1.1 over TLS with <paramref name="certificate"/> on one free loopback port; calls
    /// <paramref name="handshakeDone"/> once per connection whose TLS handshake completed.
    /// </summary>
    public static WebApplication CreateHttps(System.Security.Cryptography.X509Certificates.X509Certificate2 certificate, Action? handshakeDone = null) =>
        Create(k => k.Listen(IPAddress.Loopback, 0, o =>
        {
            o.Protocols = HttpProtocols.Http1;
            o.UseHttps(certificate);
            if (handshakeDone is not null)
            {
                // Connection middleware after UseHttps runs once the handshake is done.
                o.Use(next => connection =>
                {
                    handshakeDone();
                    return next(connection);
                });
            }
        }));

    /// <summary>Starts the app; returns the addresses it listens on, in the order they were configured.</summary>
    public static async Task<Uri[]> StartAsync(WebApplication app)
    {
        await app.StartAsync();
        return [.. app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Select(a => new Uri(a))];
    }
}
