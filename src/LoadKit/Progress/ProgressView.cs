using System.Diagnostics;
using System.Globalization;
using LoadKit.Display;
using LoadKit.Results;

namespace LoadKit.Progress;

/// <summary>
/// What the progress shows: VUs now, the last second's rate and p95 (the whole run's at the end), the failures so far,
/// and a step that has failed the same way from its start (<see cref="RunFindings.FailingFromTheStart"/>), if any.
/// </summary>
internal readonly record struct ProgressFigures(int Users, double RequestsPerSecond, TimeSpan? P95, long Calls, long Failures)
{
    /// <summary>A step failing the same way from its start, briefly; null when none is.</summary>
    public string? FailingStart { get; init; }

    /// <summary>
    /// The figures of the latest statistics of every scenario (in a distributed run, merged across workers): the last
    /// second's rate and p95, or with <paramref name="whole"/> the whole run's (a last, partial second would mislead).
    /// </summary>
    public static ProgressFigures From(IEnumerable<ScenarioResult> scenarios, bool whole = false)
    {
        var list = scenarios.ToArray();
        var failing = list.SelectMany(RunFindings.FailingFromTheStart).Select(f => f.Brief).FirstOrDefault();
        var users = list.Sum(s => s.Timeline.Count == 0 ? 0 : s.Timeline[^1].ActiveUsers);
        var steps = list.SelectMany(s => s.Steps).ToArray();
        var last = steps.Select(s => s.Timeline.Count == 0 ? -1 : s.Timeline[^1].Second).DefaultIfEmpty(-1).Max();
        var points = steps.Select(s => s.Timeline.Count > 0 && s.Timeline[^1].Second == last ? s.Timeline[^1] : null).OfType<TimelinePoint>().ToArray();
        if (whole)
        {
            var duration = list.Select(s => s.Duration).DefaultIfEmpty().Max();
            var all = LatencyDistribution.Merge(steps.Select(s => s.Latency));
            var calls = steps.Sum(s => s.Completed);
            return new ProgressFigures(
                users,
                duration > TimeSpan.Zero ? calls / duration.TotalSeconds : 0,
                all.Count == 0 ? null : all.P95,
                calls,
                steps.Sum(s => s.Failed + s.TimedOut)) { FailingStart = failing };
        }

        var latency = LatencyDistribution.Merge(points.Select(p => p.Latency));
        return new ProgressFigures(
            users,
            points.Sum(p => p.Ok + p.Failed + p.TimedOut),
            latency.Count == 0 ? null : latency.P95,
            steps.Sum(s => s.Completed),
            steps.Sum(s => s.Failed + s.TimedOut)) { FailingStart = failing };
    }

    /// <summary>One line, e.g. <c>00:12 / 01:00  VUs 50  rps 1,234  p95 12.30 ms  failures 5 of 14,808 (0.03 %)</c>.</summary>
    public string Render(TimeSpan elapsed, TimeSpan planned) =>
        $"{Clock(elapsed)} / {Clock(planned)}  VUs {Users}  rps {Format.Count((long)Math.Round(RequestsPerSecond))}  " +
        $"p95 {(P95 is { } p95 ? Format.Milliseconds(p95) : "-")}  " +
        $"failures {Format.Count(Failures)} of {Format.Count(Calls)} ({Format.Percent(Calls == 0 ? 0 : Failures / (double)Calls)})" +
        (FailingStart is { } failing ? "  " + failing : "");

    private static string Clock(TimeSpan value) => value >= TimeSpan.FromHours(1)
        ? ((int)value.TotalHours).ToString(CultureInfo.InvariantCulture) + value.ToString(@"\:mm\:ss", CultureInfo.InvariantCulture)
        : value.ToString(@"mm\:ss", CultureInfo.InvariantCulture);
}

/// <summary>
/// Writes a run's progress once a second, from the latest snapshot it was handed: in place (carriage return) on a
/// console, or one line per second. It reads snapshots only, never the recorders.
/// </summary>
internal sealed class ProgressView : IRunObservation
{
    /// <summary>With <see cref="ProgressMode.Auto"/>, progress shows once a run has lasted this long (a short run shows none).</summary>
    internal static readonly TimeSpan AutoAbove = TimeSpan.FromSeconds(5);

    private readonly TextWriter _writer;
    private readonly bool _inPlace;
    private readonly bool _auto;
    private bool _shown;
    private readonly TimeSpan _planned;
    private readonly CancellationTokenSource _stop = new();
    private long _origin = Stopwatch.GetTimestamp();
    private volatile IReadOnlyList<ScenarioResult> _latest = [];
    private Task _loop = Task.CompletedTask;
    private int _width;

    // The progress loop and the events write from different threads; the in-place line shown now, to write again below an event.
    private readonly Lock _writing = new();
    private string? _current;

    private ProgressView(TextWriter writer, bool inPlace, bool auto, TimeSpan planned) =>
        (_writer, _inPlace, _auto, _planned) = (writer, inPlace, auto, planned);

    /// <summary>
    /// Whether the view needs the statistics yet: always when forced on; with <see cref="ProgressMode.Auto"/> from a
    /// little before it first shows, so a short run never pays for snapshots.
    /// </summary>
    public bool WantsSnapshots => !_auto || Stopwatch.GetElapsedTime(_origin) >= AutoAbove - TimeSpan.FromSeconds(1.5);

    /// <summary>A view for a run of <paramref name="planned"/> length, or null when <paramref name="mode"/> shows no progress.</summary>
    /// <param name="mode">Whether and how it shows.</param>
    /// <param name="writer">Where it goes; null: standard output.</param>
    /// <param name="planned">How long the run is planned to last (an iteration-counted phase counts its maximum duration).</param>
    public static ProgressView? For(ProgressMode mode, TextWriter? writer, TimeSpan planned)
    {
        if (mode == ProgressMode.Off)
        {
            return null;
        }

        var inPlace = mode == ProgressMode.Live || (mode == ProgressMode.Auto && writer is null && !Console.IsOutputRedirected);
        return new ProgressView(writer ?? Console.Out, inPlace, mode == ProgressMode.Auto, planned);
    }

    /// <summary>Starts the updates, counted from <paramref name="startTimestamp"/>.</summary>
    public void OnStarted(long startTimestamp)
    {
        _origin = startTimestamp;
        _loop = Task.Run(LoopAsync);
    }

    /// <inheritdoc />
    public void OnSnapshot(RunSnapshot snapshot) => _latest = snapshot.Scenarios;

    /// <summary>
    /// Writes an event on a line of its own above the progress line (which is written again below it): those of level
    /// Warning and up, and the start, take-overs, losses and stops of a run whose progress shows.
    /// </summary>
    public void OnEvent(RunEvent runEvent)
    {
        if (runEvent.Level == RunEventLevel.Information && (runEvent.Kind == RunEventKind.Log || (_auto && _planned <= AutoAbove)))
        {
            return;
        }

        var line = EventLine(runEvent);
        lock (_writing)
        {
            if (_inPlace && _current is not null)
            {
                // Over the progress line, then the progress line again under it: the terminal keeps one live line at the bottom.
                _writer.Write("\r" + line.PadRight(_width) + Environment.NewLine + _current);
                _width = _current.Length;
            }
            else
            {
                _writer.WriteLine(line);
            }

            _writer.Flush();
        }
    }

    /// <summary>An event as the console shows it, e.g. <c>12:00:03 worker-1: warning: Take-over 2 ...</c>.</summary>
    private static string EventLine(RunEvent runEvent) =>
        $"{runEvent.At.ToLocalTime().ToString("HH:mm:ss", CultureInfo.InvariantCulture)} {runEvent.Source}: " +
        (runEvent.Level switch { RunEventLevel.Warning => "warning: ", RunEventLevel.Error => "error: ", _ => "" }) +
        runEvent.Message.ReplaceLineEndings(" ");

    /// <summary>The final figures are the result's.</summary>
    public LoadResult OnCompleted(LoadResult result)
    {
        _latest = result.Scenarios;
        return result;
    }

    /// <summary>Stops the updates and writes the last figures (ending the in-place line).</summary>
    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        await _loop.ConfigureAwait(false);
        if (_shown || !_auto)
        {
            Write(final: true);
        }

        _stop.Dispose();
    }

    private async Task LoopAsync()
    {
        // A quarter second after the statistics' ticks (which count from the run's start, in a distributed run a
        // shared instant still ahead), so each update shows the second that just ended.
        try
        {
            var untilStart = -Stopwatch.GetElapsedTime(_origin);
            await Task.Delay((untilStart > TimeSpan.Zero ? untilStart : TimeSpan.Zero) + TimeSpan.FromMilliseconds(250), _stop.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
            return;
        }

        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1));
        try
        {
            while (await timer.WaitForNextTickAsync(_stop.Token).ConfigureAwait(false))
            {
                if (!_auto || Stopwatch.GetElapsedTime(_origin) >= AutoAbove)
                {
                    Write(final: false);
                }
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
            // Stopped: DisposeAsync writes the last line.
        }
    }

    private void Write(bool final)
    {
        string line;
        try
        {
            var elapsed = Stopwatch.GetElapsedTime(_origin);
            line = ProgressFigures.From(_latest, whole: final).Render(elapsed > TimeSpan.Zero ? elapsed : TimeSpan.Zero, _planned);
        }
        catch (InvalidOperationException)
        {
            // A snapshot being replaced while read: the next second shows it.
            return;
        }

        lock (_writing)
        {
            if (_inPlace)
            {
                // Pads over a longer previous line; the last one ends the line so what follows starts afresh.
                _writer.Write("\r" + line.PadRight(_width) + (final ? Environment.NewLine : ""));
                _width = line.Length;
                _current = final ? null : line;
            }
            else
            {
                _writer.WriteLine(line);
            }

            _writer.Flush();
            _shown = true;
        }
    }

    /// <summary>Shows the progress of every run in <paramref name="mode"/>, to <paramref name="writer"/> (null: standard output).</summary>
    internal sealed class Observer(ProgressMode mode, TextWriter? writer) : IRunObserver
    {
        public IRunObservation? Observe(RunPlan plan, RunControl control) => For(mode, writer, plan.PlannedDuration);
    }
}
