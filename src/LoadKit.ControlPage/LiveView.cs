using System.Globalization;
using System.Net;

namespace LoadKit;

/// <summary>
/// The control page's run view for runs started in code (a <c>dotnet test</c> run, a program of your own), as k6's
/// web dashboard is for a k6 run: add it to <see cref="RunOptions.Observers"/> and open <see cref="Address"/> to watch
/// each run live (charts, thresholds, events) until the view is disposed. It starts no run and needs the access token
/// like the page.
/// </summary>
public sealed class LiveView : IRunObserver, IAsyncDisposable
{
    private readonly ControlPageServer _server;
    private int _runs;

    private LiveView(ControlPageServer server) => _server = server;

    /// <summary>Where the view is, e.g. <c>http://127.0.0.1:5665/#runs</c>.</summary>
    public Uri Address => new(_server.Address, "/#runs");

    /// <summary>The token that opens it (given, or generated).</summary>
    public string AccessToken => _server.AccessToken;

    /// <summary>Starts serving the view at <paramref name="listen"/>.</summary>
    /// <param name="listen">Where to listen (loopback, e.g. <c>ControlPageOptions.ParseListen("127.0.0.1:5665", ...)</c>).</param>
    /// <param name="accessToken">The token; null: one is generated (<see cref="AccessToken"/>).</param>
    /// <param name="cancellationToken">Cancels the start.</param>
    /// <exception cref="ArgumentException">The token is too short.</exception>
    /// <exception cref="IOException">The address cannot be listened on.</exception>
    public static async Task<LiveView> StartAsync(IPEndPoint listen, string? accessToken = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(listen);
        var server = await ControlPageServer.StartAsync(new ControlPageOptions { Listen = listen, AccessToken = accessToken }, viewOnly: true, cancellationToken)
            .ConfigureAwait(false);
        return new LiveView(server);
    }

    /// <inheritdoc />
    public IRunObservation? Observe(RunPlan plan, RunControl control)
    {
        ArgumentNullException.ThrowIfNull(plan);
        var number = Interlocked.Increment(ref _runs);
        var name = string.Join(", ", plan.Scenarios.Select(s => s.Name));
        var run = new ControlPage.Runs.LiveRun($"{DateTime.UtcNow.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture)}-{number}", name, "this test run")
        {
            Changed = _server.Feed.Send,
            EndsWithResult = true,
            Ended = _server.Runs.Shown,
        };
        var observation = run.Observe(plan, control);
        _server.Runs.Show(run);
        return observation;
    }

    /// <summary>Stops serving the view.</summary>
    public ValueTask DisposeAsync() => _server.DisposeAsync();
}
