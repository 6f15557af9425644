using System.Reflection;
using System.Runtime.Loader;

namespace LoadKit.Cluster;

/// <summary>
/// The load context of a test assembly: its dependencies come from its own output folder (through its
/// <c>.deps.json</c>), LoadKit from the host, so the test's scenarios and the host's engine share LoadKit's types. The
/// workers load each run's assembly in a collectible one and unload it after the run; <c>loadkit run</c> and the
/// control page (<see cref="ScenarioFactories"/>) keep theirs for the life of the process.
/// </summary>
public sealed class TestAssemblyContext : AssemblyLoadContext
{
    private static readonly string SharedName = typeof(Scenario).Assembly.GetName().Name!;
    private readonly AssemblyDependencyResolver _resolver;

    /// <summary>A context for the test assembly at <paramref name="mainAssemblyPath"/>, beside its <c>.deps.json</c>.</summary>
    /// <param name="mainAssemblyPath">The full path of the test assembly.</param>
    /// <param name="isCollectible">Whether the context can be unloaded (<see cref="AssemblyLoadContext.Unload"/>).</param>
    public TestAssemblyContext(string mainAssemblyPath, bool isCollectible)
        : base($"LoadKit test {Path.GetFileName(mainAssemblyPath)}", isCollectible)
    {
        ArgumentNullException.ThrowIfNull(mainAssemblyPath);
        _resolver = new AssemblyDependencyResolver(mainAssemblyPath);
    }

    /// <inheritdoc />
    protected override Assembly? Load(AssemblyName assemblyName) =>
        // null: the default context answers, so LoadKit (and the framework) are the host's own.
        assemblyName.Name == SharedName ? null
        : _resolver.ResolveAssemblyToPath(assemblyName) is { } path ? LoadFromAssemblyPath(path) : null;

    /// <inheritdoc />
    protected override IntPtr LoadUnmanagedDll(string unmanagedDllName) =>
        _resolver.ResolveUnmanagedDllToPath(unmanagedDllName) is { } path ? LoadUnmanagedDllFromPath(path) : IntPtr.Zero;
}
