using System.Reflection;
using LoadKit.Cli.CommandLine;
using LoadKit.Cluster;

namespace LoadKit.Cli.Running;

/// <summary>
/// A compiled test assembly for <c>loadkit run TESTS.dll</c>: its scenario factories are called here (to check them and
/// to choose by name), then run here, or on the workers, which get the assembly's folder and call the same factories.
/// </summary>
internal static class AssemblyInput
{
    /// <summary>The chosen scenarios; null when the assembly, a factory or the choice has problems (printed to <paramref name="error"/>).</summary>
    public static async Task<RunInput?> LoadAsync(RunSettings settings, TextWriter error)
    {
        ScenarioFactories factories;
        try
        {
            factories = ScenarioFactories.Load(settings.PlanPath, "TESTS.dll");
        }
        catch (Exception exception) when (exception is ArgumentException or IOException)
        {
            await Usage.FailAsync(error, "loadkit run", [exception.Message]);
            return null;
        }

        var file = Path.GetFileName(factories.AssemblyPath);
        if (factories.Methods.Count == 0)
        {
            await Usage.FailAsync(error, "loadkit run", [$"TESTS.dll = '{settings.PlanPath}': {file} has no scenario factory " +
                "(a public static method without parameters that returns a LoadKit Scenario, in a public class)."]);
            return null;
        }

        // A name that is a factory's is chosen without calling the others, which may need what this machine lacks.
        bool Names(MethodInfo method, string name) => name == method.Name || name == ScenarioFactories.NameOf(method);
        var problems = new List<string>();
        var byMethod = factories.Methods.Where(m => settings.Scenarios.Any(n => Names(m, n))).ToArray();
        var built = Build(settings.Scenarios.Count > 0 && settings.Scenarios.All(n => byMethod.Any(m => Names(m, n))) ? byMethod : factories.Methods, problems);
        if (settings.Scenarios.Count > 0)
        {
            foreach (var missing in settings.Scenarios.Where(n => !built.Any(b => b.Scenario.Name == n || Names(b.Method, n))))
            {
                problems.Add($"option --scenario = '{missing}': {file} has no scenario or factory of that name; it has " +
                    string.Join(", ", built.Select(b => $"'{b.Scenario.Name}' ({ScenarioFactories.NameOf(b.Method)})")) + ".");
            }

            built = [.. built.Where(b => settings.Scenarios.Any(n => b.Scenario.Name == n || Names(b.Method, n)))];
        }

        if (problems.Count > 0)
        {
            await Usage.FailAsync(error, "loadkit run", problems);
            return null;
        }

        IReadOnlyList<Func<Scenario>> run = [.. built.Select(b => b.Method.CreateDelegate<Func<Scenario>>())];
        var target = settings.Cluster is { } cluster ? new ClusterTarget(cluster) : null;
        return new RunInput(
            [.. built.Select(b => b.Scenario.Name)],
            (options, cancellationToken) => LoadRunner.RunAsync(run, target is null ? options : options with { Target = target }, cancellationToken));
    }

    /// <summary>Calls each factory; one that throws or returns null is a problem naming it.</summary>
    private static List<(MethodInfo Method, Scenario Scenario)> Build(IEnumerable<MethodInfo> methods, List<string> problems)
    {
        var built = new List<(MethodInfo, Scenario)>();
        foreach (var method in methods)
        {
            try
            {
                built.Add((method, ScenarioFactories.Build(method)));
            }
            catch (ArgumentException exception)
            {
                problems.Add(exception.Message);
            }
        }

        return built;
    }
}
