using LoadKit.Scenarios;
using System.Reflection;
using System.Text.Json;

namespace LoadKit.NUnitSteps;

/// <summary>
/// What <c>loadkit-worker run</c> loads: which tests of the assembly, as one scenario named after it with a step per
/// test, run by a constant number of VUs for a duration, or for a number of iterations each (bounded by the duration). It travels to the workers as one forwarded environment
/// variable (<see cref="Variable"/>), from which <see cref="NUnitScenarioFactory"/> builds the same scenario there.
/// </summary>
internal sealed record NUnitLoad(IReadOnlyList<string> Tests, int Users, TimeSpan Duration)
{
    /// <summary>Iterations per VU; null: VUs iterate until <see cref="Duration"/> is over.</summary>
    public int? Iterations { get; init; }

    /// <summary>The forwarded environment variable that carries the load to the workers (JSON).</summary>
    public const string Variable = "LOADKIT_NUNIT_LOAD";

    /// <summary>Each step's timeout; null: the scenario default (<see cref="Scenario.DefaultStepTimeout"/>).</summary>
    public TimeSpan? StepTimeout { get; init; }

    /// <summary>The scenario: named after the assembly, a step per test in the given order, constant VUs.</summary>
    /// <exception cref="ArgumentException">Tests that cannot run; the message lists every one and why.</exception>
    /// <exception cref="ScenarioValidationException">The load is not valid (VUs, duration); the message lists every problem.</exception>
    public Scenario BuildScenario(NUnitTests tests)
    {
        ArgumentNullException.ThrowIfNull(tests);
        var found = Tests.Select(tests.TryStep).ToArray();
        var problems = found.Where(f => f.Step is null).Select(f => f.Problem).ToList();
        if (Tests.Count == 0)
        {
            problems.Add($"tests: none given; name at least one test of {Path.GetFileName(tests.AssemblyPath)} (it has {tests.Names.Count}).");
        }

        if (problems.Count > 0)
        {
            throw new ArgumentException("These tests cannot run as load:" + Environment.NewLine + string.Join(Environment.NewLine, problems.Select(p => "  - " + p)));
        }

        var scenario = Scenario.Create(tests.Assembly.GetName().Name ?? "nunit");
        foreach (var (step, _) in found)
        {
            scenario.Step(step!, StepTimeout);
        }

        return scenario.WithLoad(Iterations is { } iterations ? Load.IterationsPerUser(Users, iterations, Duration) : Load.ConstantUsers(Users, Duration)).Build();
    }

    public string ToJson() => JsonSerializer.Serialize(new Wire([.. Tests], Users, Duration.Ticks, StepTimeout?.Ticks, Iterations));

    /// <exception cref="ArgumentException">The text is not a load written by <see cref="ToJson"/>; the message names <paramref name="source"/>.</exception>
    public static NUnitLoad FromJson(string? json, string source)
    {
        Wire? wire = null;
        try
        {
            wire = string.IsNullOrWhiteSpace(json) ? null : JsonSerializer.Deserialize<Wire>(json);
        }
        catch (JsonException)
        {
        }

        return wire is { Tests: not null }
            ? new NUnitLoad(wire.Tests, wire.Users, TimeSpan.FromTicks(wire.DurationTicks)) { StepTimeout = wire.StepTimeoutTicks is { } t ? TimeSpan.FromTicks(t) : null, Iterations = wire.Iterations }
            : throw new ArgumentException($"{source} = '{json}': not the NUnit load that 'loadkit-worker run' forwards (JSON with Tests, Users, DurationTicks).");
    }

    private sealed record Wire(string[] Tests, int Users, long DurationTicks, long? StepTimeoutTicks, int? Iterations);
}

/// <summary>
/// The scenario factory a worker calls for <c>loadkit-worker run</c>: a plain NUnit assembly has none of its own, so
/// this one, in LoadKit, builds the scenario from the uploaded assembly (already loaded by the worker) and the load in
/// the forwarded <see cref="NUnitLoad.Variable"/>. <see cref="ScenarioLocator"/> finds it by name.
/// </summary>
internal static class NUnitScenarioFactory
{
    public static Scenario FromForwardedLoad(Assembly testAssembly) =>
        NUnitLoad.FromJson(Environment.GetEnvironmentVariable(NUnitLoad.Variable), $"environment variable {NUnitLoad.Variable}")
            .BuildScenario(NUnitTests.From(testAssembly));

    /// <summary>Where the workers find this factory.</summary>
    public static ScenarioLocator Locator(NUnitTests tests) =>
        new(tests.AssemblyPath, typeof(NUnitScenarioFactory).FullName!, nameof(FromForwardedLoad));

    /// <summary>
    /// Runs <paramref name="load"/> of <paramref name="tests"/>: here, or on the workers when <paramref name="options"/>
    /// choose a cluster (they get the assembly's folder and the load in <see cref="NUnitLoad.Variable"/>).
    /// </summary>
    public static Task<LoadResult> RunAsync(NUnitTests tests, NUnitLoad load, RunOptions options, CancellationToken cancellationToken)
    {
        var origin = new Plans.ScenarioOrigin(tests.AssemblyPath, [Locator(tests)], new Dictionary<string, string> { [NUnitLoad.Variable] = load.ToJson() });
        var plan = RunPlan.Create([load.BuildScenario(tests)], options.Profile, options.LoadScale, options.Thresholds, origin);
        return LoadRunner.RunAsync(plan, options, cancellationToken);
    }
}
