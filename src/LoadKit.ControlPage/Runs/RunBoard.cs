using System.Globalization;
using System.Text.Json;
using LoadKit.Cluster;
using LoadKit.ControlPage.Page;

namespace LoadKit.ControlPage.Runs;

/// <summary>A plan file the page can run: its name in <c>plans/</c> and when it was last changed.</summary>
internal sealed record PlanFileRow(string Name, DateTimeOffset Modified);

/// <summary>
/// A run as the list of runs shows it, kept as <c>runs/&lt;id&gt;/run.json</c> beside its reports, so the list survives
/// a restart of the page.
/// </summary>
internal sealed record RunRecord(
    string Id, string Plan, string Where, DateTimeOffset StartedAt, DateTimeOffset? EndedAt, string State, string Verdict, string? Problem,
    long Requests, long Errors, bool HasReport);

/// <summary>
/// The runs of a control page: starts a plan file of <c>plans/</c>, or scenario factories of a test assembly uploaded
/// to <c>assemblies/</c>, here or on the chosen number of workers (one run at a time), stops it, and writes each
/// finished run's reports and record into <c>runs/&lt;id&gt;/</c>.
/// </summary>
internal sealed class RunBoard(string? folder, ClusterOptions? cluster, PageFeed feed, long maxUploadBytes = 512L * 1024 * 1024, int maxUploadEntries = 20_000)
{
    private readonly object _gate = new();
    private readonly List<RunRecord> _shownRuns = [];
    private LiveRun? _current;
    private Task _running = Task.CompletedTask;

    /// <summary>Where the plan files are; null for the live view of a test run, which starts none.</summary>
    public string? PlansFolder { get; } = folder is null ? null : Path.Combine(folder, "plans");

    /// <summary>The uploaded test assemblies (<c>assemblies/</c>); null for the live view of a test run.</summary>
    public AssemblyFolder? Assemblies { get; } = folder is null ? null : new AssemblyFolder(Path.Combine(folder, "assemblies"), maxUploadBytes, maxUploadEntries);

    /// <summary>Where the finished runs are kept; null for the live view of a test run.</summary>
    public string? RunsFolder { get; } = folder is null ? null : Path.Combine(folder, "runs");

    /// <summary>The run going on, or the last one started since the page started; null before the first.</summary>
    public LiveRun? Current
    {
        get
        {
            lock (_gate)
            {
                return _current;
            }
        }
    }

    /// <summary>The plan files (<c>.yaml</c>, <c>.yml</c>, <c>.json</c>) of <c>plans/</c>, by name.</summary>
    public IReadOnlyList<PlanFileRow> PlanFiles() => PlansFolder is not null && Directory.Exists(PlansFolder)
        ? [.. new DirectoryInfo(PlansFolder).EnumerateFiles()
            .Where(f => f.Extension.ToLowerInvariant() is ".yaml" or ".yml" or ".json")
            .OrderBy(f => f.Name, StringComparer.Ordinal)
            .Select(f => new PlanFileRow(f.Name, new DateTimeOffset(f.LastWriteTimeUtc, TimeSpan.Zero)))]
        : [];

    /// <summary>The finished runs in <c>runs/</c> (a test run's live view: the runs it showed), newest first.</summary>
    public IReadOnlyList<RunRecord> History()
    {
        if (RunsFolder is null)
        {
            lock (_gate)
            {
                return [.. _shownRuns.OrderByDescending(r => r.StartedAt)];
            }
        }

        if (!Directory.Exists(RunsFolder))
        {
            return [];
        }

        var records = new List<RunRecord>();
        foreach (var file in Directory.EnumerateFiles(RunsFolder, "run.json", SearchOption.AllDirectories))
        {
            try
            {
                if (JsonSerializer.Deserialize<RunRecord>(File.ReadAllText(file), PageFeed.Json) is { } record)
                {
                    records.Add(record with { HasReport = File.Exists(Path.Combine(Path.GetDirectoryName(file)!, "report.html")) });
                }
            }
            catch (Exception exception) when (exception is JsonException or IOException)
            {
                // Not a run this page wrote, or one being written: not listed.
            }
        }

        return [.. records.OrderByDescending(r => r.StartedAt)];
    }

    /// <summary>
    /// Starts <paramref name="planName"/> on <paramref name="workers"/> workers (ignored without a cluster). The
    /// problems when it cannot: a bad name or count, a plan with problems, a run going on.
    /// </summary>
    public (LiveRun? Run, IReadOnlyList<string> Problems, bool Busy) Start(string? planName, int? workers)
    {
        if (PlansFolder is null)
        {
            return (null, ["This page shows a test run as it goes; it starts none (loadkit serve does)."], true);
        }

        var problems = new List<string>();
        var plans = PlanFiles();
        if (string.IsNullOrWhiteSpace(planName) || plans.All(p => p.Name != planName))
        {
            problems.Add($"plan = '{planName}': not a plan file of {PlansFolder}; allowed: {(plans.Count == 0 ? "none there yet (add a .yaml or .json plan)" : string.Join(", ", plans.Select(p => p.Name)))}.");
        }

        var count = workers ?? 1;
        if (cluster is not null && count < 1)
        {
            problems.Add($"workers = {count}: must be a whole number of at least 1.");
        }

        if (problems.Count > 0)
        {
            return (null, problems, false);
        }

        PlanFile plan;
        try
        {
            plan = PlanFile.Load(Path.Combine(PlansFolder, planName!));
        }
        catch (PlanFileException exception)
        {
            return (null, [.. exception.Problems.Select(p => p.ToString())], false);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            return (null, [$"plan = '{planName}': cannot be read: {exception.Message}"], false);
        }

        var options = RunOptions.Default with { Progress = ProgressMode.Off };
        if (cluster is not null)
        {
            try
            {
                options = options with { Target = ClusterTarget.ForPlan(cluster.WithWorkers(count), new PlanFileSource(plan.Source, plan.FeedFiles)) };
            }
            catch (ArgumentException exception)
            {
                return (null, [exception.Message.Split(" (Parameter", 2)[0]], false);
            }
        }

        var scenarios = plan.Scenarios;
        return Launch(planName!, Path.GetFileNameWithoutExtension(planName!), $"{planName}: {string.Join(", ", scenarios.Select(s => s.Name))}", count, options,
            o => LoadRunner.RunAsync(scenarios, o, CancellationToken.None));
    }

    /// <summary>
    /// Starts the scenario factory <paramref name="scenario"/> (its method or full name; empty: every factory) of the
    /// uploaded test assembly <paramref name="assemblyName"/> here or on <paramref name="workers"/> workers, as
    /// <c>loadkit run TESTS.dll --scenario NAME</c> does. The problems when it cannot: a bad name or count, a factory
    /// that throws, a run going on.
    /// </summary>
    public (LiveRun? Run, IReadOnlyList<string> Problems, bool Busy) StartAssembly(string? assemblyName, string? scenario, int? workers)
    {
        if (Assemblies is null)
        {
            return (null, ["This page shows a test run as it goes; it starts none (loadkit serve does)."], true);
        }

        var problems = new List<string>();
        var (factories, problem) = Assemblies.Find(assemblyName);
        if (problem is not null)
        {
            problems.Add(problem);
        }

        var count = workers ?? 1;
        if (cluster is not null && count < 1)
        {
            problems.Add($"workers = {count}: must be a whole number of at least 1.");
        }

        if (factories is null || problems.Count > 0)
        {
            return (null, problems, false);
        }

        var chosen = string.IsNullOrWhiteSpace(scenario)
            ? factories.Methods
            : [.. factories.Methods.Where(m => m.Name == scenario || ScenarioFactories.NameOf(m) == scenario)];
        if (chosen.Count == 0)
        {
            return (null, [$"scenario = '{scenario}': {Path.GetFileName(factories.AssemblyPath)} has no scenario factory of that name; it has " +
                $"{string.Join(", ", factories.Methods.Select(ScenarioFactories.NameOf))}."], false);
        }

        // Called here first, as loadkit run does: a factory that throws is told now, not by every worker.
        var built = new List<Scenario>();
        foreach (var method in chosen)
        {
            try
            {
                built.Add(ScenarioFactories.Build(method));
            }
            catch (ArgumentException exception)
            {
                problems.Add(exception.Message);
            }
        }

        if (problems.Count > 0)
        {
            return (null, problems, false);
        }

        var options = RunOptions.Default with { Progress = ProgressMode.Off };
        if (cluster is not null)
        {
            options = options with { Target = new ClusterTarget(cluster.WithWorkers(count)) };
        }

        IReadOnlyList<Func<Scenario>> run = [.. chosen.Select(m => m.CreateDelegate<Func<Scenario>>())];
        var label = $"{assemblyName}: {string.Join(", ", chosen.Select(m => m.Name))}";
        return Launch(label, $"{assemblyName}-{(chosen.Count == 1 ? chosen[0].Name : "all")}", $"{label} ({string.Join(", ", built.Select(b => b.Name))})", count, options,
            o => LoadRunner.RunAsync(run, o, CancellationToken.None));
    }

    /// <summary>Starts a run (one at a time): its live view, its first log line, and its end written to <c>runs/</c>.</summary>
    private (LiveRun? Run, IReadOnlyList<string> Problems, bool Busy) Launch(
        string label, string idSuffix, string what, int count, RunOptions options, Func<RunOptions, Task<LoadResult>> start)
    {
        var where = cluster is not null ? $"{count} worker{(count == 1 ? "" : "s")}" : "this process";
        lock (_gate)
        {
            if (_current is { State: "starting" or "running" or "stopping" } going)
            {
                return (null, [$"run {going.Id} of {going.Plan} is going on; stop it or wait for its end (one run at a time)."], true);
            }

            var id = $"{DateTime.UtcNow.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture)}-{idSuffix}";
            var run = new LiveRun(id, label, where) { Changed = feed.Send };
            _current = run;
            run.Add(new RunEvent(DateTimeOffset.UtcNow, RunEventKind.Log, RunEventLevel.Information, "control page", $"{what} in {where}"));
            _running = RunAsync(run, start, options with { Observers = [run] });
            feed.Send("run", run.Summary);
            return (run, [], false);
        }
    }

    /// <summary>Whether the run going on runs the uploaded assembly <paramref name="assemblyName"/> (its upload cannot be replaced then).</summary>
    public bool IsRunning(string assemblyName) =>
        Current is { State: "starting" or "running" or "stopping" } going && going.Plan.StartsWith(assemblyName + ": ", StringComparison.Ordinal);

    /// <summary>Shows <paramref name="run"/>, a run started elsewhere (a test run's live view), as the current one.</summary>
    public void Show(LiveRun run)
    {
        lock (_gate)
        {
            _current = run;
        }

        feed.Send("live", run.View);
    }

    /// <summary>Lists <paramref name="run"/>, a run started elsewhere that ended with <paramref name="result"/>, with the finished runs (kept in memory).</summary>
    public void Shown(LiveRun run, LoadResult result, IReadOnlyList<ThresholdRow> thresholds)
    {
        var crossed = thresholds.Count(t => t.Passed == false);
        var verdict = crossed > 0 ? $"failed: {crossed} of {thresholds.Count} thresholds crossed"
            : result.Cancelled ? "stopped"
            : thresholds.Count > 0 ? $"passed: {thresholds.Count} thresholds" : "done (no thresholds)";
        var steps = result.Scenarios.SelectMany(s => s.Steps).ToArray();
        var record = new RunRecord(
            run.Id, run.Plan, run.Where, run.StartedAt, DateTimeOffset.UtcNow, run.State, verdict, run.Problem,
            steps.Sum(s => s.Completed), steps.Sum(s => s.Failed + s.TimedOut), HasReport: false);
        lock (_gate)
        {
            _shownRuns.Add(record);
        }

        feed.Send("runs", History());
    }

    /// <summary>Stops run <paramref name="id"/>; false when it is not the one going on.</summary>
    public bool Stop(string id) => Current is { } run && run.Id == id && run.Stop("The run was stopped from the control page.");

    /// <summary>Stops the run going on and waits for its reports (the page stops).</summary>
    public async Task StopAllAsync(TimeSpan wait)
    {
        if (Current is { } run)
        {
            run.Stop("The run was stopped because the control page stopped.");
        }

        await _running.WaitAsync(wait).ConfigureAwait(false);
    }

    private async Task RunAsync(LiveRun run, Func<RunOptions, Task<LoadResult>> start, RunOptions options)
    {
        await Task.Yield();
        var folder = Path.Combine(RunsFolder!, run.Id);
        LoadResult? result = null;
        string state, verdict;
        string? problem = null;
        try
        {
            result = await start(options).ConfigureAwait(false);
            await Report.WriteAsync(result, folder).ConfigureAwait(false);
            var crossed = result.Thresholds.Count(t => !t.Passed);
            state = "finished";
            verdict = crossed > 0 ? $"failed: {crossed} of {result.Thresholds.Count} thresholds crossed"
                : result.Cancelled || run.State == "stopping" ? "stopped"
                : result.Thresholds.Count > 0 ? $"passed: {result.Thresholds.Count} thresholds" : "done (no thresholds)";
        }
        catch (Exception exception)
        {
            state = "failed";
            verdict = "error";
            problem = $"{(exception is DistributedRunException or ArgumentException ? "" : exception.GetType().Name + ": ")}{exception.Message}";
            run.Add(new RunEvent(DateTimeOffset.UtcNow, RunEventKind.Log, RunEventLevel.Error, "control page", problem));
        }

        var all = result?.Scenarios.SelectMany(s => s.Steps).ToArray() ?? [];
        var record = new RunRecord(
            run.Id, run.Plan, run.Where, run.StartedAt, DateTimeOffset.UtcNow, state, verdict, problem,
            all.Sum(s => s.Completed), all.Sum(s => s.Failed + s.TimedOut), result is not null);
        try
        {
            Directory.CreateDirectory(folder);
            await File.WriteAllTextAsync(Path.Combine(folder, "run.json"), JsonSerializer.Serialize(record, PageFeed.Json)).ConfigureAwait(false);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            problem = $"{problem}{(problem is null ? "" : "; ")}the run's record could not be written to {folder}: {exception.Message}";
        }

        run.Add(new RunEvent(DateTimeOffset.UtcNow, RunEventKind.Log, state == "finished" ? RunEventLevel.Information : RunEventLevel.Error, "control page",
            $"run {run.Id} {verdict}{(result is null ? "" : $"; reports in {folder}")}"));
        run.End(state, problem);
        feed.Send("runs", History());
    }
}
