using System.Reflection;

namespace LoadKit.Cluster;

/// <summary>
/// The scenario factories of a compiled test assembly: its public static methods without parameters that return a
/// <see cref="Scenario"/> (<c>public static Scenario Checkout() =&gt; ...</c>), which a distributed run's workers call by
/// name too (<see cref="Targets.ScenarioFactoryName"/>). The assembly is loaded with its own dependencies beside the
/// host's LoadKit, which it shares, as a worker loads it; the context is not collectible (it stays loaded for the life
/// of the process), so load each assembly once. Used by <c>loadkit run TESTS.dll</c> and the control page.
/// </summary>
public sealed class ScenarioFactories
{
    private ScenarioFactories(string assemblyPath, IReadOnlyList<MethodInfo> methods)
    {
        AssemblyPath = assemblyPath;
        Methods = methods;
    }

    /// <summary>The full path of the loaded assembly.</summary>
    public string AssemblyPath { get; }

    /// <summary>The factories, by type and method name.</summary>
    public IReadOnlyList<MethodInfo> Methods { get; }

    /// <summary>Loads the assembly at <paramref name="path"/> and finds its factories.</summary>
    /// <param name="path">The test assembly, e.g. <c>bin/Release/net10.0/Shop.LoadTests.dll</c>, beside its <c>.deps.json</c>.</param>
    /// <param name="source">Names the setting that gave the path in errors, e.g. <c>TESTS.dll</c>.</param>
    /// <exception cref="ArgumentException">No such file, or not a .NET assembly; the message names the setting and the path.</exception>
    public static ScenarioFactories Load(string path, string source)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(source);
        var full = Path.GetFullPath(path);
        if (!File.Exists(full))
        {
            throw new ArgumentException($"{source} = '{path}': no such file (looked for {full}); give a test project's built assembly, e.g. bin/Release/net10.0/Shop.LoadTests.dll.");
        }

        Assembly assembly;
        try
        {
            assembly = new TestAssemblyContext(full, isCollectible: false).LoadFromAssemblyPath(full);
        }
        catch (BadImageFormatException exception)
        {
            throw new ArgumentException($"{source} = '{path}': not a .NET assembly ({exception.Message}).", exception);
        }

        Type[] types;
        try
        {
            types = assembly.GetTypes();
        }
        catch (ReflectionTypeLoadException exception)
        {
            // A type whose dependency is missing holds no factory that could run here; the others still count.
            types = [.. exception.Types.OfType<Type>()];
        }

        var methods = types
            .Where(t => t.IsPublic || t.IsNestedPublic)
            .SelectMany(t => t.GetMethods(BindingFlags.Public | BindingFlags.Static | BindingFlags.DeclaredOnly))
            .Where(m => !m.IsSpecialName && !m.IsGenericMethodDefinition && m.GetParameters().Length == 0 && m.ReturnType == typeof(Scenario))
            .OrderBy(m => m.DeclaringType!.FullName, StringComparer.Ordinal).ThenBy(m => m.Name, StringComparer.Ordinal)
            .ToArray();
        return new ScenarioFactories(full, methods);
    }

    /// <summary>A factory's name as messages show it: <c>Type.Method</c>.</summary>
    public static string NameOf(MethodInfo method)
    {
        ArgumentNullException.ThrowIfNull(method);
        return $"{method.DeclaringType!.FullName}.{method.Name}";
    }

    /// <summary>Calls the factory <paramref name="method"/> and returns its scenario.</summary>
    /// <exception cref="ArgumentException">The factory threw or returned null; the message names it and what it threw.</exception>
    public static Scenario Build(MethodInfo method)
    {
        ArgumentNullException.ThrowIfNull(method);
        try
        {
            return method.Invoke(null, null) as Scenario ?? throw new ArgumentException($"scenario factory {NameOf(method)}: returned null.");
        }
        catch (TargetInvocationException exception)
        {
            var cause = exception.InnerException ?? exception;
            throw new ArgumentException($"scenario factory {NameOf(method)}: threw {cause.GetType().Name}: {cause.Message}", cause);
        }
    }
}
