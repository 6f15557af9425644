using System.Reflection;
using System.Runtime.Loader;
using LoadKit.Cluster;

namespace LoadKit.Worker.Runs;

/// <summary>
/// A test assembly loaded from an uploaded output folder in a collectible context, unloaded after the run.
/// LoadKit itself comes from the worker, so the test's scenarios and the worker's engine share its types.
/// </summary>
internal sealed class TestAssembly
{
    private readonly TestAssemblyContext _context;

    public TestAssembly(string folder, string assemblyFile)
    {
        var path = Path.GetFullPath(Path.Combine(folder, assemblyFile));
        if (!path.StartsWith(Path.GetFullPath(folder) + Path.DirectorySeparatorChar, StringComparison.Ordinal) || !File.Exists(path))
        {
            throw new ArgumentException($"assembly file = '{assemblyFile}': the uploaded folder has no such file.");
        }

        _context = new TestAssemblyContext(path, isCollectible: true);
        Assembly = _context.LoadFromAssemblyPath(path);
    }

    public Assembly Assembly { get; }

    /// <summary>
    /// Unloads the context and returns a weak reference to it, to see whether it goes. The caller must drop this object
    /// (an async method's parameter or local lives as long as its state machine, and would hold the context).
    /// </summary>
    public WeakReference Unload()
    {
        _context.Unload();
        ClearFrameworkCaches();
        return new WeakReference(_context);
    }

    /// <summary>
    /// Empties the caches that libraries of the worker's own context keep of the types they have seen, the way hot
    /// reload does (each library's <see cref="System.Reflection.Metadata.MetadataUpdateHandlerAttribute"/> handler,
    /// <c>ClearCache</c>): System.Text.Json's serialisation metadata of Playwright's types kept every browser run's
    /// test assembly loaded (still loaded after 1,000 collections; unloaded once cleared).
    /// </summary>
    private static void ClearFrameworkCaches()
    {
        foreach (var assembly in AssemblyLoadContext.Default.Assemblies)
        {
            foreach (var handler in assembly.GetCustomAttributes<System.Reflection.Metadata.MetadataUpdateHandlerAttribute>())
            {
                var clear = handler.HandlerType.GetMethod("ClearCache", BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static, [typeof(Type[])]);
                try
                {
                    clear?.Invoke(null, [null]);
                }
                catch (TargetInvocationException)
                {
                    // A cache that would not clear only keeps this run's assembly loaded, which the unload check reports.
                }
            }
        }
    }

    /// <summary>
    /// Whether an unloaded context is gone within a few collections. It stays when something outside it still
    /// references its types (STACK.md: serialising a test type, a thread or event handler it started).
    /// </summary>
    public static async Task<bool> IsCollectedAsync(WeakReference context, int collections = 10)
    {
        for (var i = 0; i < collections && context.IsAlive; i++)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
            await Task.Delay(TimeSpan.FromMilliseconds(50)).ConfigureAwait(false); // lets finished calls release their frames
        }

        return !context.IsAlive;
    }
}
