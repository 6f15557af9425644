using System.Reflection;
using LoadKit.Scenarios;

namespace LoadKit.NUnitSteps;

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

    /// <inheritdoc cref="NUnitTests.RunAsync"/>
    public static Task<LoadResult> RunAsync(NUnitTests tests, NUnitLoad load, RunOptions options, CancellationToken cancellationToken)
    {
        var origin = new Plans.ScenarioOrigin(tests.AssemblyPath, [Locator(tests)], new Dictionary<string, string> { [NUnitLoad.Variable] = load.ToJson() });
        var plan = RunPlan.Create([load.BuildScenario(tests)], options.Profile, options.LoadScale, options.Thresholds, origin);
        return LoadRunner.RunAsync(plan, options, cancellationToken);
    }
}
