using LoadKit.Scenarios;

namespace LoadKit.Plans;

/// <summary>
/// How another process builds a plan's scenarios: the test assembly's file, the factories in it (or LoadKit's own,
/// see <see cref="ScenarioLocator.Resolve"/>) and environment variables the factories read.
/// </summary>
/// <param name="AssemblyPath">The test assembly's file.</param>
/// <param name="Factories">The scenario factories in it, one per scenario.</param>
/// <param name="Environment">Variables to set for the factories.</param>
/// <param name="Problem">Why the scenarios cannot be built elsewhere (then the other fields are empty); null when they can.</param>
internal sealed record ScenarioOrigin(string AssemblyPath, IReadOnlyList<ScenarioLocator> Factories, IReadOnlyDictionary<string, string> Environment, string? Problem = null)
{
    /// <summary>The origin of <paramref name="factories"/>, or one that says why they cannot be called elsewhere (a lambda, say).</summary>
    public static ScenarioOrigin TryOf(IReadOnlyList<Func<Scenario>> factories)
    {
        try
        {
            return Of(factories);
        }
        catch (ArgumentException exception)
        {
            return new ScenarioOrigin("", [], new Dictionary<string, string>(), exception.Message);
        }
    }

    /// <summary>The origin of <paramref name="factories"/>: static methods of one assembly.</summary>
    /// <exception cref="ArgumentException">A factory is a lambda or an instance method, or they come from several assemblies.</exception>
    public static ScenarioOrigin Of(IReadOnlyList<Func<Scenario>> factories)
    {
        var locators = factories.Select(ScenarioLocator.Of).ToArray();
        var assemblies = locators.Select(l => l.AssemblyPath).Distinct(StringComparer.Ordinal).ToArray();
        if (assemblies.Length != 1)
        {
            throw new ArgumentException($"scenario factories = {string.Join(", ", locators.Select(l => l.TypeName + "." + l.MethodName))}: " +
                $"a distributed run sends one test assembly, but these come from {string.Join(", ", assemblies.Select(Path.GetFileName))}.", nameof(factories));
        }

        return new ScenarioOrigin(assemblies[0], locators, new Dictionary<string, string>());
    }
}
