namespace LoadKit.Testing;

/// <summary>
/// What a gate looks at, by name, so the same statistics can be found in another result (a baseline): one step of a
/// scenario, all steps of a scenario (<see cref="Step"/> null), or all steps of the run (both null).
/// </summary>
internal sealed record StepScope(string? Scenario, string? Step)
{
    public static StepScope AllSteps { get; } = new(null, null);

    /// <summary>The same statistics in <paramref name="result"/>, or null and what it has instead.</summary>
    public StepStats? Find(LoadResult result, out string missing)
    {
        missing = "";
        if (Scenario is null)
        {
            return result.Scenarios.Count == 1
                ? result.Scenarios[0].AllSteps
                : StepStats.Merge("all steps", [.. result.Scenarios.Select(s => s.AllSteps)], result.Duration);
        }

        var scenario = result.Scenarios.FirstOrDefault(s => s.Name == Scenario);
        if (scenario is null)
        {
            missing = $"the baseline has no scenario '{Scenario}'; its scenarios are: {Names(result.Scenarios.Select(s => s.Name))}";
            return null;
        }

        if (Step is null)
        {
            return scenario.AllSteps;
        }

        var step = scenario.Steps.FirstOrDefault(s => s.Name == Step);
        if (step is null)
        {
            missing = $"the baseline has no step '{Step}' in scenario '{Scenario}'; its steps there are: {Names(scenario.Steps.Select(s => s.Name))}";
        }

        return step;
    }

    /// <summary>The summary table of the part of <paramref name="result"/> this scope looks at.</summary>
    public string Table(LoadResult result) =>
        Scenario is not null && result.Scenarios.FirstOrDefault(s => s.Name == Scenario) is { } scenario
            ? SummaryTable.Render(scenario)
            : SummaryTable.Render(result);

    private static string Names(IEnumerable<string> names) => names.Any() ? string.Join(", ", names.Select(n => $"'{n}'")) : "none";
}
