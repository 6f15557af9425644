using System.Net;
using System.Security.Cryptography;
using LoadKit.ControlPage.Access;
using LoadKit.ControlPage.Page;
using LoadKit.ControlPage.Plans;
using LoadKit.ControlPage.Runs;
using LoadKit.ControlPage.Workers;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using HttpResults = Microsoft.AspNetCore.Http.Results;

namespace LoadKit;

/// <summary>
/// LoadKit's control page (<c>loadkit serve</c>): a web page with the workers registered in etcd (watched), the plan
/// files of its folder, runs started here or on chosen workers and stopped, live charts over Server-Sent Events, the
/// runs' log, and the finished runs with their reports. Every page and API call needs the access token.
/// </summary>
public sealed class ControlPageServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly PageFeed _feed;
    private readonly RunBoard _runs;
    private readonly WorkerBoard? _workers;

    private ControlPageServer(WebApplication app, PageFeed feed, RunBoard runs, WorkerBoard? workers, string accessToken, Uri address)
    {
        _app = app;
        _feed = feed;
        _runs = runs;
        _workers = workers;
        AccessToken = accessToken;
        Address = address;
    }

    /// <summary>Where the page is, e.g. <c>http://127.0.0.1:5665/</c>.</summary>
    public Uri Address { get; }

    /// <summary>The token that opens the page (given, or generated at start).</summary>
    public string AccessToken { get; }

    /// <summary>Starts the page; it serves until disposed.</summary>
    /// <exception cref="ArgumentException">The options have problems; the message lists each, naming the setting.</exception>
    /// <exception cref="IOException">The address cannot be listened on (in use, not this machine's).</exception>
    public static Task<ControlPageServer> StartAsync(ControlPageOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        return StartAsync(options, viewOnly: false, cancellationToken);
    }

    /// <summary>The runs the page shows.</summary>
    internal RunBoard Runs => _runs;

    /// <summary>The page's live feed.</summary>
    internal PageFeed Feed => _feed;

    /// <summary>Starts the page; <paramref name="viewOnly"/>: the live view of runs started elsewhere (no folder, no workers, no starting).</summary>
    internal static async Task<ControlPageServer> StartAsync(ControlPageOptions options, bool viewOnly, CancellationToken cancellationToken)
    {
        if (options.Problems() is { Count: > 0 } problems)
        {
            throw new ArgumentException("The control page's settings are not valid:" + string.Concat(problems.Select(p => Environment.NewLine + "  - " + p)));
        }

        var folder = viewOnly ? null : Path.GetFullPath(options.Folder);
        if (folder is not null)
        {
            Directory.CreateDirectory(Path.Combine(folder, "plans"));
            Directory.CreateDirectory(Path.Combine(folder, "runs"));
        }

        var token = options.AccessToken ?? Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));

        // etcd's settings (TLS files, user) are checked before anything listens: their problems are ArgumentExceptions too.
        var feed = new PageFeed();
        var workers = options.Cluster is { } cluster && !viewOnly ? new WorkerBoard(cluster, feed) : null;
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(options.Listen));
        if (viewOnly)
        {
            // A live view lives inside a test run or a program of its own: the host's default console lifetime would take
            // that process's Ctrl-C and SIGTERM, and hold its exit until the view is disposed.
            builder.Services.AddSingleton<IHostLifetime, EmbeddedLifetime>();
        }

        var app = builder.Build();
        var runs = new RunBoard(folder, options.Cluster, feed, options.MaxUploadBytes, options.MaxUploadEntries);
        var gate = new AccessGate(token);
        app.Use(gate.InvokeAsync);

        // Every endpoint below is behind the gate (the middleware above).
        var page = app.MapGroup("");
        Map(page, runs, workers, feed, viewOnly);
        if (runs.PlansFolder is { } plans)
        {
            page.MapPlanEditor(plans, () => feed.Send("plans", runs.PlanFiles()));
        }

        try
        {
            await app.StartAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception exception) when (exception is IOException or System.Net.Sockets.SocketException)
        {
            if (workers is not null)
            {
                await workers.DisposeAsync().ConfigureAwait(false);
            }

            await app.DisposeAsync().ConfigureAwait(false);
            throw new IOException($"listen = '{options.Listen}': cannot listen there ({exception.Message}); give a free port of this machine's address, or port 0 for any free one.", exception);
        }

        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Select(a => new Uri(a)).First();
        if (IPAddress.Any.Equals(options.Listen.Address) || IPAddress.IPv6Any.Equals(options.Listen.Address))
        {
            address = new UriBuilder(address) { Host = Dns.GetHostName() }.Uri;
        }

        return new ControlPageServer(app, feed, runs, workers, token, address);
    }

    private static void Map(RouteGroupBuilder page, RunBoard runs, WorkerBoard? workers, PageFeed feed, bool viewOnly)
    {
        page.MapGet("/", () => HttpResults.Content(PageAssets.Index(), "text/html; charset=utf-8"));
        page.MapGet("/assets/{name}", (string name) => PageAssets.Find(name) is { } asset ? HttpResults.File(asset.Content, asset.ContentType) : HttpResults.NotFound());
        page.MapGet("/api/workers", () => HttpResults.Json(workers?.View ?? new { source = (string?)null, problem = (string?)null, workers = Array.Empty<WorkerRow>() }, PageFeed.Json));
        page.MapGet("/api/plan-files", () => HttpResults.Json(runs.PlanFiles(), PageFeed.Json));
        page.MapGet("/api/runs", () => HttpResults.Json(new { current = runs.Current?.Summary, finished = runs.History() }, PageFeed.Json));
        page.MapGet("/api/runs/current", () => runs.Current is { } run ? HttpResults.Json(run.View, PageFeed.Json) : HttpResults.NoContent());
        page.MapPost("/api/runs", async (HttpRequest request) =>
        {
            StartRequest? start;
            try
            {
                start = await request.ReadFromJsonAsync<StartRequest>(PageFeed.Json, request.HttpContext.RequestAborted);
            }
            catch (System.Text.Json.JsonException exception)
            {
                return HttpResults.Json(new { problems = new[] { $"The request is not JSON of the form {{\"plan\": \"NAME.yaml\", \"workers\": 2}}: {exception.Message}" } }, PageFeed.Json, statusCode: 400);
            }

            var (run, problems, busy) = start?.Assembly is not null
                ? runs.StartAssembly(start.Assembly, start.Scenario, start.Workers)
                : runs.Start(start?.Plan, start?.Workers);
            return run is null
                ? HttpResults.Json(new { problems }, PageFeed.Json, statusCode: busy ? StatusCodes.Status409Conflict : StatusCodes.Status400BadRequest)
                : HttpResults.Json(run.Summary, PageFeed.Json, statusCode: StatusCodes.Status202Accepted);
        });
        page.MapGet("/api/assemblies", () => HttpResults.Json(runs.Assemblies?.List() ?? [], PageFeed.Json));
        page.MapPost("/api/assemblies", (HttpRequest request) => UploadAsync(request, runs, feed));
        page.MapDelete("/api/assemblies/{name}", (string name) =>
        {
            static IResult Refused(string problem, int status) => HttpResults.Json(new { problems = new[] { problem } }, PageFeed.Json, statusCode: status);
            if (runs.Assemblies is not { } assemblies)
            {
                return Refused("This page shows a test run as it goes; it keeps no upload (loadkit serve does).", StatusCodes.Status409Conflict);
            }

            if (runs.IsRunning(name))
            {
                return Refused($"upload '{name}': a run of it is going on; stop it or wait for its end before deleting it.", StatusCodes.Status409Conflict);
            }

            var (found, problem) = assemblies.Delete(name);
            feed.Send("assemblies", assemblies.List());
            return problem is null ? HttpResults.NoContent() : Refused(problem, found ? StatusCodes.Status409Conflict : StatusCodes.Status404NotFound);
        });
        page.MapPost("/api/runs/{id}/stop", (string id) => runs.Stop(id)
            ? HttpResults.Accepted()
            : HttpResults.Json(new { problems = new[] { $"run = '{id}': not a run going on." } }, PageFeed.Json, statusCode: StatusCodes.Status409Conflict));
        page.MapGet("/runs/{id}/{file}", (string id, string file) =>
        {
            var known = runs.History().Any(r => r.Id == id) && file is "report.html" or "result.json" or "summary.md" or "steps.csv" or "timeline.csv";
            var path = Path.Combine(runs.RunsFolder ?? "", id, file);
            return known && File.Exists(path)
                ? HttpResults.File(path, file.EndsWith(".html", StringComparison.Ordinal) ? "text/html; charset=utf-8" : file.EndsWith(".json", StringComparison.Ordinal) ? "application/json" : "text/plain; charset=utf-8")
                : HttpResults.NotFound();
        });
        page.MapGet("/api/events", (HttpContext context) => feed.StreamAsync(context, () =>
        [
            ("hello", new { local = workers is null, view = viewOnly }),
            ("workers", workers?.View ?? new { source = (string?)null, problem = (string?)null, workers = Array.Empty<WorkerRow>() }),
            ("plans", runs.PlanFiles()),
            ("assemblies", runs.Assemblies?.List() ?? []),
            ("runs", runs.History()),
            .. runs.Current is { } run ? new (string, object)[] { ("live", run.View) } : [],
        ]));
    }

    /// <summary>
    /// <c>POST /api/assemblies?name=FILE.zip</c> with the zip as the body: kept as <c>assemblies/NAME/</c> (a new folder
    /// per upload) and its scenario factories listed; refused with the problem (413 over a limit, 400 otherwise).
    /// </summary>
    private static async Task<IResult> UploadAsync(HttpRequest request, RunBoard runs, PageFeed feed)
    {
        static IResult Refused(string problem, int status) => HttpResults.Json(new { problems = new[] { problem } }, PageFeed.Json, statusCode: status);
        if (runs.Assemblies is not { } assemblies)
        {
            return Refused("This page shows a test run as it goes; it takes no upload (loadkit serve does).", StatusCodes.Status409Conflict);
        }

        var file = request.Query["name"].ToString();
        if (AssemblyFolder.NameOf(file) is not { } name)
        {
            return Refused($"name = '{file}': give the zip's file name (letters, digits, '.', '-', '_'; at most 100), e.g. Shop.LoadTests.zip.", StatusCodes.Status400BadRequest);
        }

        if (runs.IsRunning(name))
        {
            return Refused($"upload '{name}': a run of it is going on; stop it or wait for its end before replacing it.", StatusCodes.Status409Conflict);
        }

        if (request.HttpContext.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } size)
        {
            size.MaxRequestBodySize = assemblies.MaxUploadBytes;
        }

        if (request.ContentLength > assemblies.MaxUploadBytes)
        {
            return Refused($"upload '{name}': the zip has {request.ContentLength} bytes, over {assemblies.MaxUnpackedSetting} (plus 1 MiB); refused.", StatusCodes.Status413PayloadTooLarge);
        }

        try
        {
            var (row, problem, overLimit) = await assemblies.UploadAsync(name, request.Body, request.HttpContext.RequestAborted).ConfigureAwait(false);
            if (row is null)
            {
                return Refused(problem!, overLimit ? StatusCodes.Status413PayloadTooLarge : StatusCodes.Status400BadRequest);
            }

            feed.Send("assemblies", assemblies.List());
            return HttpResults.Json(row, PageFeed.Json, statusCode: StatusCodes.Status201Created);
        }
        catch (BadHttpRequestException exception) when (exception.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return Refused($"upload '{name}': the zip is over {assemblies.MaxUnpackedSetting} (plus 1 MiB); refused.", StatusCodes.Status413PayloadTooLarge);
        }
    }

    /// <summary>Stops the page: a run going on is stopped and its reports written (waited for up to 30 s), then the server stops.</summary>
    public async ValueTask DisposeAsync()
    {
        try
        {
            await _runs.StopAllAsync(TimeSpan.FromSeconds(30)).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            // Its reports are not written; the page stops anyway.
        }

        _feed.Close();
        if (_workers is not null)
        {
            await _workers.DisposeAsync().ConfigureAwait(false);
        }

        await _app.StopAsync(CancellationToken.None).ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
    }

    /// <summary>What <c>POST /api/runs</c> starts: a plan file, or (with <paramref name="Assembly"/>) an uploaded test assembly's scenario factory.</summary>
    private sealed record StartRequest(string? Plan, int? Workers, string? Assembly = null, string? Scenario = null);

    /// <summary>A host lifetime that leaves the process's signals and exit to the process.</summary>
    private sealed class EmbeddedLifetime : IHostLifetime
    {
        public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
