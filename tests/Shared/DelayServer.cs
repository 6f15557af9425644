using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace LoadKit.TestTargets;

/// <summary>
/// A real Kestrel server on 127.0.0.1 (a free port) whose endpoints answer after known delays, so tests can
/// compare what LoadKit measures with what the server was told to do.
/// </summary>
internal sealed class DelayServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private long _requests;

    private DelayServer(WebApplication app) => _app = app;

    public Uri BaseAddress { get; private set; } = null!;

    /// <summary>A client for this server; disposed with it.</summary>
    public HttpClient Client { get; private set; } = null!;

    public long Requests => Interlocked.Read(ref _requests);

    /// <summary>Starts a server whose endpoint <c>path</c> answers GET and POST with 200 after <c>delay</c>; <c>/fail</c> always answers 500.</summary>
    public static Task<DelayServer> StartAsync(params (string Path, TimeSpan Delay)[] endpoints) =>
        StartAsync(endpoints.Select(e => (e.Path, (Func<TimeSpan, TimeSpan>)(_ => e.Delay))).ToArray());

    /// <summary>
    /// Starts a server whose endpoint <c>path</c> answers 200 after the delay that <c>delayAt</c> gives for the time
    /// since its first request (a stall is a window in which every request waits longer).
    /// </summary>
    public static Task<DelayServer> StartAsync(params (string Path, Func<TimeSpan, TimeSpan> DelayAt)[] endpoints) =>
        StartAsync(endpoints.Select(e => (e.Path, (Func<TimeSpan, long, TimeSpan>)((elapsed, _) => e.DelayAt(elapsed)))).ToArray());

    /// <summary>
    /// Starts a server whose endpoint <c>path</c> answers 200 after the delay that <c>delayFor</c> gives for the time
    /// since its first request and the request's number on the server (1, 2, ...): a known slow tail. The clock starts
    /// with the first request, not with the server, so a window such as "2 s to 3 s" falls in the run's own seconds
    /// however long the test took to build and start its run (on a busy machine, long enough to shift it by a second).
    /// </summary>
    public static async Task<DelayServer> StartAsync(params (string Path, Func<TimeSpan, long, TimeSpan> DelayFor)[] endpoints)
    {
        var firstRequest = 0L;
        var app = LoopbackApp.Create();
        var server = new DelayServer(app);
        foreach (var (path, delayFor) in endpoints)
        {
            app.MapMethods(path, ["GET", "POST"], async (CancellationToken ct) =>
            {
                var number = Interlocked.Increment(ref server._requests);
                var now = System.Diagnostics.Stopwatch.GetTimestamp();
                var first = Interlocked.CompareExchange(ref firstRequest, now, 0);
                await Task.Delay(delayFor(System.Diagnostics.Stopwatch.GetElapsedTime(first == 0 ? now : first, now), number), ct);
                return Microsoft.AspNetCore.Http.Results.Text("ok");
            });
        }

        app.MapGet("/fail", () =>
        {
            Interlocked.Increment(ref server._requests);
            return Microsoft.AspNetCore.Http.Results.StatusCode(500);
        });
        server.BaseAddress = (await LoopbackApp.StartAsync(app))[0];
        server.Client = new HttpClient { BaseAddress = server.BaseAddress };
        return server;
    }

    /// <summary>A step that GETs <paramref name="path"/> and fails on a status other than 2xx.</summary>
    public Func<StepContext, ValueTask> Get(string path) => Get(_ => path);

    /// <summary>A step that GETs the path chosen for this call and fails on a status other than 2xx.</summary>
    public Func<StepContext, ValueTask> Get(Func<StepContext, string> path) => async ctx =>
    {
        using var response = await Client.GetAsync(path(ctx), ctx.CancellationToken);
        response.EnsureSuccessStatusCode();
    };

    public async ValueTask DisposeAsync()
    {
        Client?.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
