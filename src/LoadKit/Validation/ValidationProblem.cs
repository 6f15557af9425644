namespace LoadKit;

/// <summary>One problem that <see cref="ScenarioBuilder.Build"/> found: the setting, the value given and what is allowed.</summary>
/// <param name="Setting">The setting, as a user writes it (for example <c>Load[0].Users</c>).</param>
/// <param name="Value">The value that was given, formatted for a reader.</param>
/// <param name="Allowed">What the setting accepts.</param>
public sealed record ValidationProblem(string Setting, string Value, string Allowed)
{
    /// <inheritdoc />
    public override string ToString() => $"{Setting} = {Value}: {Allowed}";
}
