using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

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
        var app = LoopbackApp.Create();
        var server = new ValueServer(app);
        app.MapGet("/use/{value}", (string value) =>
        {
            server.Values.AddOrUpdate(value, 1, (_, n) => n + 1);
            return Microsoft.AspNetCore.Http.Results.Text("ok");
        });
        server.BaseAddress = (await LoopbackApp.StartAsync(app))[0];
        server.Client = new HttpClient { BaseAddress = server.BaseAddress };
        return server;
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await _app.DisposeAsync();
    }
}
