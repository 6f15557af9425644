using System.Text.Json;
using LoadKit.NUnitSteps;

namespace LoadKit;

/// <summary>
/// Which tests of a plain NUnit assembly run as load (<see cref="NUnitTests.RunAsync"/>, <c>loadkit-worker run</c>):
/// one scenario named after the assembly with a step per test, run by a constant number of VUs for a duration, or for
/// a number of iterations each (bounded by the duration). It travels to the workers as one forwarded environment
/// variable, from which they build the same scenario. Immutable.
/// </summary>
/// <param name="Tests">The tests, a step each in this order: full names or their ends (<see cref="NUnitTests.Step"/>).</param>
/// <param name="Users">The VUs, each running the tests one after the other.</param>
/// <param name="Duration">How long the VUs iterate; with <see cref="Iterations"/>, the longest the run may take.</param>
public sealed record NUnitLoad(IReadOnlyList<string> Tests, int Users, TimeSpan Duration)
{
    /// <summary>The forwarded environment variable that carries the load to the workers (JSON).</summary>
    internal const string Variable = "LOADKIT_NUNIT_LOAD";

    /// <summary>The tests, a step each in this order.</summary>
    public IReadOnlyList<string> Tests { get; } = Tests is null ? throw new ArgumentNullException(nameof(Tests)) : [.. Tests];

    /// <summary>Iterations per VU; null: VUs iterate until <see cref="Duration"/> is over.</summary>
    public int? Iterations { get; init; }

    /// <summary>Each step's timeout; null: the scenario default (<see cref="Scenario.DefaultStepTimeout"/>).</summary>
    public TimeSpan? StepTimeout { get; init; }

    /// <summary>The scenario: named after the assembly, a step per test in the given order, constant VUs.</summary>
    /// <exception cref="ArgumentException">Tests that cannot run; the message lists every one and why.</exception>
    /// <exception cref="ScenarioValidationException">The load is not valid (VUs, duration); the message lists every problem.</exception>
    internal Scenario BuildScenario(NUnitTests tests)
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

    internal string ToJson() => JsonSerializer.Serialize(new Wire([.. Tests], Users, Duration.Ticks, StepTimeout?.Ticks, Iterations));

    /// <exception cref="ArgumentException">The text is not a load written by <see cref="ToJson"/>; the message names <paramref name="source"/>.</exception>
    internal static NUnitLoad FromJson(string? json, string source)
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
