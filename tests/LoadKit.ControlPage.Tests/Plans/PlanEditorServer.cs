using System.Collections.Concurrent;
using LoadKit.ControlPage.Plans;
using LoadKit.TestTargets;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using HttpResults = Microsoft.AspNetCore.Http.Results;

namespace LoadKit.ControlPage.Tests.Plans;

/// <summary>
/// Kestrel on 127.0.0.1 with the plan editor's group over a temporary plans folder, a page that mounts the editor (as
/// the control page does), and a small shop a plan can run against: <c>GET /items/{id}</c> answers JSON when the
/// request carries <c>X-Client: editor</c>, <c>POST /orders</c> records the body it gets.
/// </summary>
internal sealed class PlanEditorServer : IAsyncDisposable
{
    private const string Page = """
        <!doctype html>
        <html><head><meta charset="utf-8"><title>plans</title><link rel="stylesheet" href="/plans.css"></head>
        <body><div id="plans"></div><script src="/plans.js"></script>
        <script>LoadKitPlans.mount(document.getElementById('plans'));</script></body></html>
        """;

    private readonly WebApplication _app;

    private PlanEditorServer(WebApplication app, Uri address, string folder)
    {
        _app = app;
        Address = address;
        Folder = folder;
    }

    public Uri Address { get; }

    /// <summary>The plans folder (a fresh temporary one).</summary>
    public string Folder { get; }

    /// <summary>The bodies POST /orders received.</summary>
    public ConcurrentQueue<string> Orders { get; } = new();

    public HttpClient Client() => new() { BaseAddress = Address };

    public static async Task<PlanEditorServer> StartAsync()
    {
        var folder = Path.Combine(Path.GetTempPath(), "loadkit-plans-" + Guid.NewGuid().ToString("N"));
        var app = LoopbackApp.Create();
        PlanEditorServer? server = null;
        app.MapPlanEditor(folder);
        app.MapGet("/", () => HttpResults.Content(Page, "text/html"));
        app.MapGet("/items/{id}", (HttpRequest request, string id) => request.Headers["X-Client"] == "editor"
            ? HttpResults.Json(new { item = new { id = "item-" + id, price = 12 } })
            : HttpResults.StatusCode(403));
        app.MapPost("/orders", async (HttpRequest request) =>
        {
            using var reader = new StreamReader(request.Body);
            server!.Orders.Enqueue(await reader.ReadToEndAsync());
            return HttpResults.Text("placed");
        });
        var addresses = await LoopbackApp.StartAsync(app);
        server = new PlanEditorServer(app, addresses[0], folder);
        return server;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.DisposeAsync();
        Directory.Delete(Folder, recursive: true);
    }
}
