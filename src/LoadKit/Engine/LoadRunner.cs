using LoadKit.Engine;

namespace LoadKit;

/// <summary>Runs scenarios in this process and returns their <see cref="LoadResult"/>.</summary>
public static class LoadRunner
{
    /// <summary>
    /// Runs <paramref name="scenario"/>'s full load until its phases end. Cancelling
    /// <paramref name="cancellationToken"/> stops the run promptly and still returns what was measured,
    /// with <see cref="LoadResult.Cancelled"/> set.
    /// </summary>
    public static Task<LoadResult> RunAsync(Scenario scenario, CancellationToken cancellationToken = default) =>
        RunAsync([scenario], RunOptions.Default, cancellationToken);

    /// <summary>Runs <paramref name="scenario"/> with the load that <paramref name="options"/> select.</summary>
    public static Task<LoadResult> RunAsync(Scenario scenario, RunOptions options, CancellationToken cancellationToken = default) =>
        RunAsync([scenario], options, cancellationToken);

    /// <summary>
    /// Runs several scenarios at the same time, each with its own load (as k6 runs its scenarios), and returns one
    /// result with a <see cref="ScenarioResult"/> per scenario.
    /// </summary>
    /// <exception cref="ArgumentException">No scenario, or two with the same name.</exception>
    public static async Task<LoadResult> RunAsync(IReadOnlyList<Scenario> scenarios, RunOptions? options = null, CancellationToken cancellationToken = default)
    {
        CheckNames(scenarios);
        options ??= RunOptions.Default;
        if (options.Cluster is not null)
        {
            throw new ArgumentException(
                "The run options name a cluster, but scenarios given as objects can only run here: pass their factories " +
                "(static methods that return the Scenario) so the workers can build them too.", nameof(options));
        }

        CheckThresholds(scenarios, options);
        using var watch = ThresholdWatch.For(scenarios, options);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, watch?.Aborted ?? CancellationToken.None);
        var startedAt = DateTimeOffset.UtcNow;
        var plans = scenarios.Select(s => s.PlanFor(options)).ToArray();
        var planned = PlannedDuration(plans);
        var latest = new ScenarioResult?[scenarios.Count];
        var start = System.Diagnostics.Stopwatch.GetTimestamp();
        using var export = Telemetry.OtlpExport.Start(options.OtlpEndpoint);
        using var health = new Health.HealthSampler(Health.HealthSampler.ThisProcess, start, planned);
        var progress = Progress.ProgressView.Start(options, planned, start, () => latest.OfType<ScenarioResult>());
        ScenarioResult[] results;
        GeneratorHealth generator;
        try
        {
            var engines = scenarios.Select((scenario, i) => new ScenarioEngine(
                scenario, plans[i], SegmentShare.Whole, onSnapshot: Observer(i))
            {
                SnapshotWanted = watch is null ? () => progress!.WantsFigures : null,
            }).ToArray();
            health.Start();
            watch?.Start(start);
            results = await Task.WhenAll(engines.Select(engine => engine.RunAsync(stop.Token))).ConfigureAwait(false);
            generator = health.Stop();
            Array.Copy(results, latest, results.Length);
            return new LoadResult(startedAt, DateTimeOffset.UtcNow, cancellationToken.IsCancellationRequested, results)
            {
                Notes = [.. engines.SelectMany(e => e.Notes), .. watch?.StopNote() is { } note ? [note] : Array.Empty<string>(), .. ExportNote(export)],
                Thresholds = watch?.Outcomes(results) ?? [],
                Generators = [generator],
            };
        }
        finally
        {
            if (progress is not null)
            {
                await progress.DisposeAsync().ConfigureAwait(false);
            }
        }

        Action<ScenarioResult, IterationProgress>? Observer(int index) => progress is null && watch is null ? null : (result, _) =>
        {
            latest[index] = result;
            watch?.Observe(result);
        };
    }

    /// <summary>How long the longest plan lasts (an iteration-counted phase counts its maximum duration).</summary>
    internal static TimeSpan PlannedDuration(IEnumerable<LoadPlan> plans) =>
        plans.Select(p => p.Blocks.Aggregate(TimeSpan.Zero, (sum, b) => sum + b.Duration)).DefaultIfEmpty().Max();

    /// <summary>The run's note about a failed OTLP export, after the export's last flush.</summary>
    private static string[] ExportNote(Telemetry.OtlpExport? export)
    {
        export?.Dispose();
        return export?.FailureNote is { } note ? [note] : [];
    }

    /// <summary>Throws unless the run's own thresholds are valid for these scenarios (theirs were checked when built).</summary>
    internal static void CheckThresholds(IReadOnlyList<Scenario> scenarios, RunOptions options)
    {
        var problems = new List<ValidationProblem>();
        var stepNames = scenarios.SelectMany(s => s.StepNames).Distinct().ToArray();
        for (var i = 0; i < options.Thresholds.Count; i++)
        {
            if (options.Thresholds[i] is { } threshold)
            {
                threshold.Validate($"RunOptions.Thresholds[{i}]", stepNames, problems);
            }
            else
            {
                problems.Add(new($"RunOptions.Thresholds[{i}]", "null", "a threshold from Threshold.*"));
            }
        }

        if (problems.Count > 0)
        {
            throw new ArgumentException($"The run's thresholds are not valid:{Environment.NewLine}  - {string.Join(Environment.NewLine + "  - ", problems)}", nameof(options));
        }
    }

    /// <summary>
    /// Builds the scenarios with <paramref name="factories"/> and runs them: in this process, or on the workers when
    /// <paramref name="options"/> name a cluster (<see cref="RunOptions.Cluster"/>). Workers call the same factories
    /// in the same test assembly, so each factory must be a static method without parameters.
    /// </summary>
    /// <exception cref="DistributedRunException">A distributed run could not find, reach or keep its workers; the message says what it saw.</exception>
    public static Task<LoadResult> RunAsync(IReadOnlyList<Func<Scenario>> factories, RunOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(factories);
        if (factories.Count == 0 || factories.Any(f => f is null))
        {
            throw new ArgumentException("Give at least one scenario factory, and no null ones.", nameof(factories));
        }

        options ??= RunOptions.Default;
        return options.Cluster is null
            ? RunAsync([.. factories.Select(f => f())], options, cancellationToken)
            : Distributed.DistributedRunner.RunAsync(factories, options, cancellationToken);
    }

    /// <summary>Throws unless there is at least one scenario and their names are unique.</summary>
    internal static void CheckNames(IReadOnlyList<Scenario> scenarios)
    {
        ArgumentNullException.ThrowIfNull(scenarios);
        if (scenarios.Count == 0 || scenarios.Any(s => s is null))
        {
            throw new ArgumentException("Give at least one scenario, and no null ones.", nameof(scenarios));
        }

        var duplicates = scenarios.GroupBy(s => s.Name, StringComparer.Ordinal).Where(g => g.Count() > 1).Select(g => $"'{g.Key}'").ToArray();
        if (duplicates.Length > 0)
        {
            throw new ArgumentException(
                $"Scenario names must be unique within a run, because results are reported by name; used more than once: {string.Join(", ", duplicates)}.",
                nameof(scenarios));
        }
    }
}
