using System.Collections.Concurrent;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using LoadKit.TestTargets;

namespace LoadKit.Tests.HttpSteps;

using Results = Microsoft.AspNetCore.Http.Results;

/// <summary>
/// A real Kestrel shop on 127.0.0.1 that verifies what the client carried from one response to the next (tokens,
/// form values), and counts protocols and connections. One HTTP/1.1 port, one HTTP/2-only port (h2c).
/// </summary>
internal sealed class ShopTarget : IAsyncDisposable
{
    public const string Csrf = "c5rf-7f3a";
    public const string Page = """
        <html><head><title>Orders</title></head><body>
        <form><input type="hidden" name="csrf" value="c5rf-7f3a"></form>
        <p>Your order id=4711 is placed.</p>
        <a class="prev" href="/orders?page=0">prev</a><a class="next" href="/orders?page=2">next</a>
        </body></html>
        """;

    /// <summary>The size of /big's body: several read buffers long.</summary>
    public const int BigBody = 100_000;

    private readonly WebApplication _app;
    private long _authorized;
    private long _rejected;
    private long _submitted;

    private ShopTarget(WebApplication app) => _app = app;

    public Uri Http1 { get; private set; } = null!;

    public Uri Http2 { get; private set; } = null!;

    /// <summary>Requests to /orders whose bearer token was the one /login issued to the user named in the query.</summary>
    public long Authorized => Interlocked.Read(ref _authorized);

    /// <summary>Requests to /orders or /submit that carried a wrong or missing value.</summary>
    public long Rejected => Interlocked.Read(ref _rejected);

    public long Submitted => Interlocked.Read(ref _submitted);

    public ConcurrentDictionary<string, long> Protocols { get; } = new();

    public ConcurrentDictionary<string, byte> Connections { get; } = new();

    public static async Task<ShopTarget> StartAsync()
    {
        var app = LoopbackApp.Create(k =>
        {
            k.Listen(IPAddress.Loopback, 0, o => o.Protocols = HttpProtocols.Http1);
            k.Listen(IPAddress.Loopback, 0, o => o.Protocols = HttpProtocols.Http2);
        });
        var shop = new ShopTarget(app);
        app.Use(async (context, next) =>
        {
            shop.Protocols.AddOrUpdate(context.Request.Protocol, 1, (_, n) => n + 1);
            shop.Connections.TryAdd(context.Connection.Id, 0);
            await next(context);
        });
        app.MapPost("/login", async (Microsoft.AspNetCore.Http.HttpRequest request) =>
        {
            var login = await request.ReadFromJsonAsync<Login>();
            return string.IsNullOrEmpty(login?.User) || login.Password != "secret"
                ? Results.StatusCode(403)
                : Results.Json(new { token = Token(login.User), user = login.User, state = "active" });
        });
        app.MapGet("/orders", (Microsoft.AspNetCore.Http.HttpRequest request) =>
        {
            var user = request.Query["user"].ToString();
            if (request.Headers.Authorization.ToString() != $"Bearer {Token(user)}")
            {
                Interlocked.Increment(ref shop._rejected);
                return Results.StatusCode(401);
            }

            Interlocked.Increment(ref shop._authorized);
            return Results.Json(new { owner = user, orders = new[] { new { id = 4711, state = "placed" } } });
        });
        app.MapGet("/page", () => Results.Content(Page, "text/html"));
        app.MapPost("/submit", async (Microsoft.AspNetCore.Http.HttpRequest request) =>
        {
            var form = await request.ReadFormAsync();
            var ok = form["csrf"] == Csrf && form["order"] == "4711" && request.Query["next"] == "/orders?page=2" && form["title"] == "Orders";
            Interlocked.Increment(ref ok ? ref shop._submitted : ref shop._rejected);
            return ok ? Results.Text("submitted") : Results.StatusCode(400);
        });
        app.MapGet("/status/{code:int}", (int code) => Results.StatusCode(code));
        app.MapGet("/slow", async (int ms, CancellationToken ct) =>
        {
            await Task.Delay(ms, ct);
            return Results.Text("late");
        });
        app.MapGet("/hello", () => Results.Text("hello"));
        app.MapGet("/big", () => Results.Text(new string('x', BigBody), "text/x-big"));
        var addresses = await LoopbackApp.StartAsync(app);
        (shop.Http1, shop.Http2) = (addresses[0], addresses[1]);
        return shop;
    }

    public static string Token(string user) => $"tok-{user.Length}-{string.Concat(user.Reverse())}";

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();

    private sealed record Login(string User, string Password);
}
