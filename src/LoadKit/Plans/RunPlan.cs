using System.Collections.Immutable;
using LoadKit.Workload;
using LoadKit.Scenarios;

namespace LoadKit;

/// <summary>
/// One run, planned and validated: its scenarios, the load each runs under the chosen profile and scale, the run's own
/// thresholds and how long it is planned to last. A plan is made once (<see cref="RunOptions.Plan(IReadOnlyList{Scenario})"/>),
/// reports every problem at once, and is then only read: by the run target that executes it (this process or the
/// workers) and by the observers that watch it.
/// </summary>
public sealed class RunPlan
{
    private readonly ImmutableArray<LoadPlan> _loads;

    private RunPlan(ImmutableArray<Scenario> scenarios, ImmutableArray<LoadPlan> loads, ImmutableArray<Threshold> thresholds, LoadProfile profile, double loadScale, Plans.ScenarioOrigin? origin)
    {
        Scenarios = scenarios;
        _loads = loads;
        Thresholds = thresholds;
        Profile = profile;
        LoadScale = loadScale;
        Origin = origin;
        PlannedDuration = loads.Select(l => l.Blocks.Aggregate(TimeSpan.Zero, (sum, b) => sum + b.Duration)).DefaultIfEmpty().Max();
    }

    /// <summary>The scenarios, run at the same time, each with its own load; their names are unique.</summary>
    public IReadOnlyList<Scenario> Scenarios { get; }

    /// <summary>The run's own thresholds, over every scenario (each scenario also holds its own).</summary>
    public IReadOnlyList<Threshold> Thresholds { get; }

    /// <summary>Which load the scenarios run.</summary>
    public LoadProfile Profile { get; }

    /// <summary>The factor applied to VUs, rates and iteration counts before any split.</summary>
    public double LoadScale { get; }

    /// <summary>How long the longest scenario's load lasts (an iteration-counted phase counts its maximum duration).</summary>
    public TimeSpan PlannedDuration { get; }

    /// <summary>
    /// How another process builds the same scenarios (an assembly and its factories); null when they were given as
    /// objects, which only this process can run.
    /// </summary>
    internal Plans.ScenarioOrigin? Origin { get; }

    /// <summary>Each scenario's load, by position in <see cref="Scenarios"/>.</summary>
    internal IReadOnlyList<LoadPlan> Loads => _loads;

    /// <summary>Plans <paramref name="scenarios"/> (built from <paramref name="origin"/>, when given) under a profile and scale.</summary>
    /// <exception cref="ArgumentException">Every problem found: no scenario, duplicate names, invalid run thresholds.</exception>
    internal static RunPlan Create(IReadOnlyList<Scenario> scenarios, LoadProfile profile, double loadScale, IReadOnlyList<Threshold> thresholds, Plans.ScenarioOrigin? origin)
    {
        ArgumentNullException.ThrowIfNull(scenarios);
        ArgumentNullException.ThrowIfNull(thresholds);
        var problems = new List<string>();
        if (scenarios.Count == 0 || scenarios.Any(s => s is null))
        {
            problems.Add("scenarios: give at least one scenario, and no null ones.");
        }

        var built = scenarios.OfType<Scenario>().ToArray();
        var duplicates = built.GroupBy(s => s.Name, StringComparer.Ordinal).Where(g => g.Count() > 1).Select(g => $"'{g.Key}'").ToArray();
        if (duplicates.Length > 0)
        {
            problems.Add($"scenario names must be unique within a run, because results are reported by name; used more than once: {string.Join(", ", duplicates)}.");
        }

        var stepNames = built.SelectMany(s => s.StepNames).Distinct().ToArray();
        var thresholdProblems = new List<ValidationProblem>();
        for (var i = 0; i < thresholds.Count; i++)
        {
            if (thresholds[i] is { } threshold)
            {
                threshold.Validate($"RunOptions.Thresholds[{i}]", stepNames, thresholdProblems);
            }
            else
            {
                thresholdProblems.Add(new($"RunOptions.Thresholds[{i}]", "null", "a threshold from Threshold.*"));
            }
        }

        problems.AddRange(thresholdProblems.Select(p => p.ToString()));
        if (problems.Count > 0)
        {
            throw new ArgumentException($"The run cannot be planned:{Environment.NewLine}  - {string.Join(Environment.NewLine + "  - ", problems)}");
        }

        return new RunPlan([.. built], [.. built.Select(s => LoadOf(s, profile, loadScale))], [.. thresholds], profile, loadScale, origin);
    }

    /// <summary>The load a profile and scale select for <paramref name="scenario"/>, as blocks of work ready to be cut into segments.</summary>
    internal static LoadPlan LoadOf(Scenario scenario, LoadProfile profile, double loadScale)
    {
        var load = profile == LoadProfile.Smoke && scenario.SmokeLoad.Count > 0 ? scenario.SmokeLoad : scenario.Load;
        return loadScale == 1
            ? LoadPlan.Create(scenario.WarmUp, load)
            : LoadPlan.Create([.. scenario.WarmUp.Select(p => p.Scale(loadScale))], [.. load.Select(p => p.Scale(loadScale))]);
    }

    /// <summary>Problems of cutting every scenario's load into the segments of <paramref name="sequence"/> (none: it can be split).</summary>
    internal IEnumerable<string> CheckSplit(SegmentSequence sequence) =>
        Scenarios.SelectMany((s, i) => _loads[i].CheckSplit(sequence).Select(p => $"scenario '{s.Name}': {p}"));
}
