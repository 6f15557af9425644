using System.Collections.ObjectModel;
using System.Reflection;
using LoadKit.Scenarios;

namespace LoadKit.Targets;

/// <summary>
/// How another process builds the same scenarios as a plan: the test assembly, the scenario factories in it (static
/// methods without parameters, found by name) and the environment variables the factories read. A run target that
/// runs a plan elsewhere sends these; the other process loads the assembly and calls
/// <see cref="ScenarioFactoryName.Build"/> for each factory. Immutable.
/// </summary>
public sealed class ScenarioSource
{
    private ScenarioSource(Plans.ScenarioOrigin origin)
    {
        AssemblyPath = origin.AssemblyPath;
        Factories = [.. origin.Factories.Select(f => new ScenarioFactoryName(f.TypeName, f.MethodName))];
        Environment = new ReadOnlyDictionary<string, string>(new Dictionary<string, string>(origin.Environment, StringComparer.Ordinal));
    }

    /// <summary>The test assembly's file; the other process gets the folder it is in.</summary>
    public string AssemblyPath { get; }

    /// <summary>The scenario factories in the assembly, one per scenario, in the plan's order.</summary>
    public IReadOnlyList<ScenarioFactoryName> Factories { get; }

    /// <summary>Environment variables to set in the other process while the factories run (names and values).</summary>
    public IReadOnlyDictionary<string, string> Environment { get; }

    /// <summary>
    /// Where <paramref name="plan"/>'s scenarios come from; null when they were given as objects
    /// (<see cref="RunOptions.Plan(IReadOnlyList{Scenario})"/>), which only this process can run.
    /// </summary>
    /// <exception cref="ArgumentException">
    /// The plan was made from factories that another process cannot call by name (a lambda, an instance method, or
    /// methods of several assemblies); the message says which.
    /// </exception>
    public static ScenarioSource? Of(RunPlan plan)
    {
        ArgumentNullException.ThrowIfNull(plan);
        return plan.Origin switch
        {
            null => null,
            { Problem: { } problem } => throw new ArgumentException(problem, nameof(plan)),
            { } origin => new ScenarioSource(origin),
        };
    }
}

/// <summary>
/// A scenario factory by name: a type of the test assembly and a static method of it without parameters that returns
/// a <see cref="Scenario"/>. Immutable.
/// </summary>
/// <param name="TypeName">The type's full name.</param>
/// <param name="MethodName">The method's name.</param>
public sealed record ScenarioFactoryName(string TypeName, string MethodName)
{
    /// <summary>
    /// Calls the factory in <paramref name="assembly"/> (loaded by this process) and returns its scenario. For an assembly
    /// without factories of its own (a plain NUnit test assembly), the factory may be one of LoadKit's that takes the assembly.
    /// </summary>
    /// <exception cref="ArgumentException">No such type or method, or the factory returned null or threw; the message says which.</exception>
    public Scenario Build(Assembly assembly)
    {
        ArgumentNullException.ThrowIfNull(assembly);
        var factory = ScenarioLocator.Resolve(assembly, TypeName, MethodName);
        try
        {
            return factory() ?? throw new ArgumentException($"scenario factory = {TypeName}.{MethodName}: returned null.");
        }
        catch (Exception exception) when (exception is not ArgumentException)
        {
            throw new ArgumentException($"scenario factory = {TypeName}.{MethodName}: threw {exception.GetType().Name}: {exception.Message}", exception);
        }
    }
}
