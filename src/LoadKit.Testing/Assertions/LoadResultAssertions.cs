using FluentAssertions;
using FluentAssertions.Execution;

namespace LoadKit.Testing;

/// <summary>
/// Gates on a whole run. The gate methods here apply to every call of every step of every scenario together;
/// <see cref="HaveStep"/> and <see cref="HaveScenario"/> narrow them down.
/// </summary>
public sealed class LoadResultAssertions
{
    private readonly LoadResult _result;
    private readonly Lazy<StepAssertions> _allSteps;

    internal LoadResultAssertions(LoadResult result)
    {
        _result = result;
        _allSteps = new(() => new StepAssertions(
            result.Scenarios.Count == 1
                ? result.Scenarios[0].AllSteps
                : StepStats.Merge("all steps", [.. result.Scenarios.Select(s => s.AllSteps)], result.Duration),
            "all steps",
            () => SummaryTable.Render(result),
            StepScope.AllSteps));
    }

    /// <summary>Gates on every call of every step.</summary>
    public StepAssertions AllSteps => _allSteps.Value;

    /// <summary>Asserts that the run has a step named <paramref name="name"/> and returns gates on it.</summary>
    public StepAssertions HaveStep(string name, string because = "", params object[] becauseArgs)
    {
        var scenarios = _result.Scenarios.Where(s => s.Steps.Any(step => step.Name == name)).ToArray();
        Execute.Assertion
            .BecauseOf(because, becauseArgs)
            .ForCondition(scenarios.Length == 1)
            .FailWith(AssertionFailureMessage.Build(
                scenarios.Length == 0 ? $"Expected the run to have a step '{name}'" : $"Expected exactly one scenario to have a step '{name}'",
                scenarios.Length == 0
                    ? $", but its steps are: {string.Join(", ", _result.Scenarios.SelectMany(s => s.Steps).Select(s => $"'{s.Name}'"))}."
                    : $", but scenarios {string.Join(", ", scenarios.Select(s => $"'{s.Name}'"))} have one; use HaveScenario(name) to pick.",
                SummaryTable.Render(_result)));
        var scenario = scenarios.Length == 1 ? scenarios[0] : _result.Scenarios.First();
        var step = scenarios.Length == 1 ? scenario.GetStep(name) : scenario.AllSteps;
        return new StepAssertions(step, $"step '{name}'", () => SummaryTable.Render(scenario), new StepScope(scenario.Name, name));
    }

    /// <summary>Asserts that the run has a scenario named <paramref name="name"/> and returns gates on all its steps together.</summary>
    public StepAssertions HaveScenario(string name, string because = "", params object[] becauseArgs)
    {
        var scenario = _result.Scenarios.FirstOrDefault(s => s.Name == name);
        Execute.Assertion
            .BecauseOf(because, becauseArgs)
            .ForCondition(scenario is not null)
            .FailWith(AssertionFailureMessage.Build(
                $"Expected the run to have a scenario '{name}'",
                $", but its scenarios are: {string.Join(", ", _result.Scenarios.Select(s => $"'{s.Name}'"))}.",
                SummaryTable.Render(_result)));
        scenario ??= _result.Scenarios.First();
        return new StepAssertions(scenario.AllSteps, $"scenario '{name}'", () => SummaryTable.Render(scenario), new StepScope(name, null));
    }

    /// <summary>Gates on a percentile of all successful calls, e.g. <c>WithPercentile(99.9).Below(...)</c>.</summary>
    public LatencyAssertions WithPercentile(double percentile) => AllSteps.WithPercentile(percentile);

    /// <summary>Gates on the mean latency of all successful calls.</summary>
    public LatencyAssertions WithMean() => AllSteps.WithMean();

    /// <summary>Gates on the maximum latency of all successful calls.</summary>
    public LatencyAssertions WithMax() => AllSteps.WithMax();

    /// <summary>Asserts that fewer than <paramref name="rate"/> (0 to 1) of all calls failed or timed out.</summary>
    public AndConstraint<StepAssertions> HaveFailureRateBelow(double rate, string because = "", params object[] becauseArgs) =>
        AllSteps.HaveFailureRateBelow(rate, because, becauseArgs);

    /// <summary>Asserts that at most <paramref name="count"/> calls failed or timed out.</summary>
    public AndConstraint<StepAssertions> HaveFailureCountAtMost(long count, string because = "", params object[] becauseArgs) =>
        AllSteps.HaveFailureCountAtMost(count, because, becauseArgs);

    /// <summary>Asserts that all steps together completed at least <paramref name="requestsPerSecond"/> calls per second.</summary>
    public AndConstraint<StepAssertions> HaveThroughputAtLeast(double requestsPerSecond, string because = "", params object[] becauseArgs) =>
        AllSteps.HaveThroughputAtLeast(requestsPerSecond, because, becauseArgs);
}
