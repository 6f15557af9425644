namespace LoadKit;

/// <summary>
/// Thrown by <see cref="ScenarioBuilder.Build"/> when a scenario is invalid. It lists every problem at once,
/// each with the setting, the value given and what is allowed.
/// </summary>
public sealed class ScenarioValidationException : Exception
{
    /// <summary>Creates the exception for the scenario <paramref name="scenarioName"/> and its problems.</summary>
    public ScenarioValidationException(string scenarioName, IReadOnlyList<ValidationProblem> problems)
        : base(Describe(scenarioName, problems))
    {
        ScenarioName = scenarioName;
        Problems = problems;
    }

    /// <summary>The name of the scenario that failed validation (may be empty when the name itself is the problem).</summary>
    public string ScenarioName { get; }

    /// <summary>Every problem found, in the order the settings were declared.</summary>
    public IReadOnlyList<ValidationProblem> Problems { get; }

    private static string Describe(string scenarioName, IReadOnlyList<ValidationProblem> problems)
    {
        var text = new System.Text.StringBuilder();
        text.Append("Scenario '").Append(scenarioName).Append("' is invalid (")
            .Append(problems.Count).Append(problems.Count == 1 ? " problem):" : " problems):");
        foreach (var problem in problems)
        {
            text.AppendLine().Append("  - ").Append(problem);
        }

        return text.ToString();
    }
}
