using System.Reflection;
using System.Runtime.Loader;

namespace LoadKit.Cli.TestAssemblies;

/// <summary>
/// The scenario factories of a compiled test assembly: its public static methods without parameters that return a
/// <see cref="Scenario"/> (<c>public static Scenario Checkout() =&gt; ...</c>), which a distributed run's workers call by
/// name too (<see cref="Targets.ScenarioFactoryName"/>). The assembly is loaded with its own dependencies beside this
/// tool's LoadKit, which it shares, as a worker loads it.
/// </summary>
internal sealed class ScenarioFactories
{
    private ScenarioFactories(string assemblyPath, IReadOnlyList<MethodInfo> methods)
    {
        AssemblyPath = assemblyPath;
        Methods = methods;
    }

    public string AssemblyPath { get; }

    /// <summary>The factories, by type and method name.</summary>
    public IReadOnlyList<MethodInfo> Methods { get; }

    /// <summary>Loads the assembly at <paramref name="path"/> and finds its factories.</summary>
    /// <exception cref="ArgumentException">No such file, or not a .NET assembly; the message names the path.</exception>
    public static ScenarioFactories Load(string path)
    {
        var full = Path.GetFullPath(path);
        if (!File.Exists(full))
        {
            throw new ArgumentException($"TESTS.dll = '{path}': no such file (looked for {full}); give a test project's built assembly, e.g. bin/Release/net10.0/Shop.LoadTests.dll.");
        }

        Assembly assembly;
        try
        {
            assembly = new SharingContext(full).LoadFromAssemblyPath(full);
        }
        catch (BadImageFormatException exception)
        {
            throw new ArgumentException($"TESTS.dll = '{path}': not a .NET assembly ({exception.Message}).", exception);
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
    public static string NameOf(MethodInfo method) => $"{method.DeclaringType!.FullName}.{method.Name}";

    private sealed class SharingContext(string mainAssemblyPath) : AssemblyLoadContext($"loadkit run {Path.GetFileName(mainAssemblyPath)}")
    {
        private static readonly string SharedName = typeof(Scenario).Assembly.GetName().Name!;
        private readonly AssemblyDependencyResolver _resolver = new(mainAssemblyPath);

        // null: the default context answers, so LoadKit (and the framework) are this tool's own.
        protected override Assembly? Load(AssemblyName assemblyName) =>
            assemblyName.Name == SharedName ? null
            : _resolver.ResolveAssemblyToPath(assemblyName) is { } path ? LoadFromAssemblyPath(path) : null;

        protected override IntPtr LoadUnmanagedDll(string unmanagedDllName) =>
            _resolver.ResolveUnmanagedDllToPath(unmanagedDllName) is { } path ? LoadUnmanagedDllFromPath(path) : IntPtr.Zero;
    }
}
