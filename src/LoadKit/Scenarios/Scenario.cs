using System.Collections.Immutable;
using LoadKit.Scenarios;

namespace LoadKit;

/// <summary>
/// A validated, immutable load scenario: named steps that each VU runs in order, think times between them,
/// per-VU init and cleanup, and the load phases. Create one with <see cref="Create"/> and
/// <see cref="ScenarioBuilder.Build"/>; run it with <see cref="LoadRunner.RunAsync(Scenario, CancellationToken)"/>.
/// </summary>
public sealed class Scenario
{
    internal Scenario(
        string name,
        ImmutableArray<StepDefinition> steps,
        ImmutableArray<TaskDefinition> tasks,
        bool hasNamedTasks,
        Func<Session, CancellationToken, ValueTask>? init,
        Func<Session, CancellationToken, ValueTask>? cleanup,
        TimeSpan? pacing,
        ImmutableArray<LoadPhase> warmUp,
        ImmutableArray<LoadPhase> load,
        ImmutableArray<LoadPhase> smokeLoad,
        TimeSpan gracefulStop,
        TimeSpan hookTimeout,
        HttpSettings http)
    {
        Http = http;
        Name = name;
        Steps = steps;
        PreparableSteps = [.. steps.Select(s => s.Action.Target).OfType<IPreparableStep>().Distinct()];
        Tasks = tasks;
        HasNamedTasks = hasNamedTasks;
        TotalWeight = tasks.Sum(t => t.Weight);
        Init = init;
        Cleanup = cleanup;
        Pacing = pacing;
        WarmUp = warmUp;
        Load = load;
        SmokeLoad = smokeLoad;
        GracefulStop = gracefulStop;
        HookTimeout = hookTimeout;
        StepNames = steps.Select(s => s.Name).ToImmutableArray();
    }

    /// <summary>The default time that iterations still running at the end of a phase get to finish: 30 seconds, as in k6.</summary>
    public static readonly TimeSpan DefaultGracefulStop = TimeSpan.FromSeconds(30);

    /// <summary>The default step timeout: 60 seconds.</summary>
    public static readonly TimeSpan DefaultStepTimeout = TimeSpan.FromSeconds(60);

    /// <summary>The scenario's name, used in results and reports.</summary>
    public string Name { get; }

    /// <summary>The names of the steps in the order each iteration runs them.</summary>
    public IReadOnlyList<string> StepNames { get; }

    /// <summary>The load phases, run one after the other after the warm-up.</summary>
    public IReadOnlyList<LoadPhase> Load { get; }

    /// <summary>The warm-up phases, run first; what they measure is reported apart and kept out of the gates.</summary>
    public IReadOnlyList<LoadPhase> WarmUp { get; }

    /// <summary>How long iterations in flight at the end of a phase may go on before they are cancelled.</summary>
    public TimeSpan GracefulStop { get; }

    /// <summary>Starts a builder for a scenario named <paramref name="name"/>.</summary>
    public static ScenarioBuilder Create(string name) => new(name);

    internal ImmutableArray<StepDefinition> Steps { get; }

    /// <summary>The steps that prepare a VU before a shared start (<see cref="IPreparableStep"/>), each once.</summary>
    internal ImmutableArray<IPreparableStep> PreparableSteps { get; }

    /// <summary>How the HTTP steps connect.</summary>
    internal HttpSettings Http { get; }

    /// <summary>The tasks of the mix; a scenario without tasks has one, made of its own steps.</summary>
    internal ImmutableArray<TaskDefinition> Tasks { get; }

    /// <summary>Whether the tasks were declared with <see cref="ScenarioBuilder.WithTask"/> (and are reported per task).</summary>
    internal bool HasNamedTasks { get; }

    internal double TotalWeight { get; }

    /// <summary>The feeds the scenario reads (in its step chains or declared with <see cref="ScenarioBuilder.UseFeed"/>), loaded.</summary>
    internal ImmutableArray<DataFeed> Feeds { get; init; } = [];

    /// <summary>What each process that runs the scenario must provide, checked before it starts (<see cref="ScenarioRequirement"/>).</summary>
    internal ImmutableArray<ScenarioRequirement> Requirements { get; init; } = [];

    /// <summary>The interval at which each VU starts its iterations, or null for back-to-back iterations.</summary>
    internal TimeSpan? Pacing { get; }

    internal Func<Session, CancellationToken, ValueTask>? Init { get; }

    internal Func<Session, CancellationToken, ValueTask>? Cleanup { get; }

    /// <summary>The pass/fail limits on this scenario's figures, evaluated while it runs and at the end.</summary>
    public IReadOnlyList<Threshold> Thresholds { get; init; } = [];

    /// <summary>The load of the smoke profile (<see cref="LoadProfile.Smoke"/>); empty when the scenario has none.</summary>
    public IReadOnlyList<LoadPhase> SmokeLoad { get; }

    /// <summary>The bound on one VU's init or cleanup: the scenario's default step timeout.</summary>
    internal TimeSpan HookTimeout { get; }

    /// <inheritdoc />
    public override string ToString() =>
        $"{Name}: {string.Join(" → ", StepNames)}; {(WarmUp.Count > 0 ? $"warm-up {string.Join(", then ", WarmUp)}; " : "")}{string.Join(", then ", Load)}";
}
