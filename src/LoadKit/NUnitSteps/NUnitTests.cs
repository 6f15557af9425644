using System.Reflection;
using System.Runtime.Loader;
using LoadKit.NUnitSteps;

namespace LoadKit;

/// <summary>
/// The NUnit tests of a compiled test assembly that knows nothing of LoadKit, to run as load (as the Taurus NUnit
/// executor does): <c>Scenario.Create("shop").Step(tests.Step("CartTests.AddsAnItem"))</c>. Each VU gets its own
/// fixture instance ([OneTimeSetUp] on first use, [OneTimeTearDown] and Dispose at the VU's end); each call runs
/// [SetUp], the test and [TearDown]. Tests are found by NUnit's attribute names, so any NUnit version works, and the
/// assembly runs with its own NUnit and dependencies beside LoadKit's. Parameterised tests ([TestCase],
/// [TestCaseSource], [Values]) are refused. Immutable.
/// </summary>
public sealed class NUnitTests
{
    private readonly Dictionary<string, (NUnitFixture Fixture, MethodInfo Method, string? Problem)> _tests;

    private NUnitTests(Assembly assembly)
    {
        Assembly = assembly;
        _tests = Discover(assembly);
        Names = [.. _tests.Where(t => t.Value.Problem is null).Select(t => t.Key).Order(StringComparer.Ordinal)];
    }

    /// <summary>The full names (namespace, class, method) of the tests that can run as steps, in order.</summary>
    public IReadOnlyList<string> Names { get; }

    /// <summary>The path of the test assembly.</summary>
    public string AssemblyPath => Assembly.Location;

    internal Assembly Assembly { get; }

    /// <summary>
    /// Loads the test assembly at <paramref name="assemblyPath"/> (a test project's build output: its folder holds
    /// its dependencies and <c>.deps.json</c>) in a load context of its own, which shares only LoadKit with this process.
    /// </summary>
    /// <exception cref="ArgumentException">No such file, or not a .NET assembly; the message names the path.</exception>
    public static NUnitTests Load(string assemblyPath)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(assemblyPath);
        var path = Path.GetFullPath(assemblyPath);
        if (!File.Exists(path))
        {
            throw new ArgumentException($"test assembly = '{assemblyPath}': no such file; give the path of a test project's built .dll, e.g. bin/Release/net10.0/Shop.Tests.dll.", nameof(assemblyPath));
        }

        try
        {
            return new NUnitTests(new TestLoadContext(path).LoadFromAssemblyPath(path));
        }
        catch (BadImageFormatException exception)
        {
            throw new ArgumentException($"test assembly = '{assemblyPath}': not a .NET assembly ({exception.Message}).", nameof(assemblyPath), exception);
        }
    }

    /// <summary>
    /// Runs <paramref name="load"/> of these tests as one scenario named after the assembly: in this process, or on the
    /// workers when <paramref name="options"/> choose a cluster (they get the assembly's folder and the load, and build
    /// the same scenario). The result holds the outcome of the options' thresholds.
    /// </summary>
    /// <exception cref="ArgumentException">Tests that cannot run (the message lists every one and why), or the options' plan is not valid.</exception>
    /// <exception cref="ScenarioValidationException">The load is not valid (VUs, duration); the message lists every problem.</exception>
    public Task<LoadResult> RunAsync(NUnitLoad load, RunOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(load);
        return NUnitScenarioFactory.RunAsync(this, load, options ?? RunOptions.Default, cancellationToken);
    }

    /// <summary>The tests of an assembly already loaded (a worker loads the uploaded one in its own context).</summary>
    internal static NUnitTests From(Assembly assembly) => new(assembly);

    /// <summary>
    /// The test <paramref name="testName"/> as a step named so: a full name (<c>Shop.Tests.CartTests.AddsAnItem</c>), or
    /// its end after a dot (<c>CartTests.AddsAnItem</c>, <c>AddsAnItem</c>) when only one test ends so.
    /// </summary>
    /// <exception cref="ArgumentException">No such test, more than one, or one that cannot run as a step; the message says which and lists the tests.</exception>
    public NUnitStep Step(string testName)
    {
        var (step, problem) = TryStep(testName);
        return step ?? throw new ArgumentException(problem, nameof(testName));
    }

    /// <summary>The step for <paramref name="testName"/>, or why there is none (see <see cref="Step"/>).</summary>
    internal (NUnitStep? Step, string Problem) TryStep(string? testName)
    {
        var file = Path.GetFileName(AssemblyPath);
        if (string.IsNullOrWhiteSpace(testName))
        {
            return (null, $"test = '{testName}': give a test's name; {file} has {Describe(Names)}.");
        }

        var matches = _tests.Keys.Where(n => n == testName || n.EndsWith("." + testName, StringComparison.Ordinal)).Order(StringComparer.Ordinal).ToArray();
        if (matches.Length == 0)
        {
            return (null, $"test = '{testName}': {file} has no [Test] of that name; it has {Describe(Names)}.");
        }

        if (matches.Length > 1 && !matches.Contains(testName))
        {
            return (null, $"test = '{testName}': more than one test of {file} is named so ({string.Join(", ", matches)}); give more of the name.");
        }

        var fullName = matches.Length == 1 ? matches[0] : testName;
        var (fixture, method, problem) = _tests[fullName];
        return problem is null
            ? (new NUnitStep(testName, fullName, fixture, method), "")
            : (null, $"test = '{testName}': {fullName} {problem}.");
    }

    private static string Describe(IReadOnlyList<string> names) => names.Count switch
    {
        0 => "no test that can run as a step",
        <= 30 => $"these tests: {string.Join(", ", names)}",
        _ => $"{names.Count} tests, among them: {string.Join(", ", names.Take(30))}, ...",
    };

    private static Dictionary<string, (NUnitFixture, MethodInfo, string?)> Discover(Assembly assembly)
    {
        Type[] types;
        try
        {
            types = assembly.GetTypes();
        }
        catch (ReflectionTypeLoadException exception)
        {
            // A type whose dependency is missing cannot be a fixture here; the others still are.
            types = [.. exception.Types.OfType<Type>()];
        }

        var tests = new Dictionary<string, (NUnitFixture, MethodInfo, string?)>(StringComparer.Ordinal);
        foreach (var type in types.Where(t => t.IsClass && !(t.IsAbstract && !t.IsSealed)))
        {
            NUnitFixture? fixture = null;
            foreach (var method in type.GetMethods(BindingFlags.Public | BindingFlags.Instance | BindingFlags.Static))
            {
                if (!NUnitAttributes.Has(method, NUnitAttributes.Test) && !NUnitAttributes.Has(method, NUnitAttributes.TestCase)
                    && !NUnitAttributes.Has(method, NUnitAttributes.TestCaseSource) && !NUnitAttributes.Has(method, NUnitAttributes.Theory))
                {
                    continue;
                }

                fixture ??= NUnitFixture.For(type);
                var name = (type.FullName ?? type.Name).Replace('+', '.') + "." + method.Name;
                tests.TryAdd(name, (fixture, method, ProblemOf(fixture, method)));
            }
        }

        return tests;
    }

    private static string? ProblemOf(NUnitFixture fixture, MethodInfo method)
    {
        if (fixture.Problem is not null)
        {
            return $"cannot run: its fixture {fixture.Type.Name} {fixture.Problem}";
        }

        if (method.GetParameters().Length > 0 || NUnitAttributes.Has(method, NUnitAttributes.TestCase)
            || NUnitAttributes.Has(method, NUnitAttributes.TestCaseSource) || NUnitAttributes.Has(method, NUnitAttributes.Theory))
        {
            return "is parameterised ([TestCase], [TestCaseSource], [Theory] or parameters with [Values]); LoadKit runs parameterless [Test] methods only: " +
                "add a parameterless test that calls it with the arguments to load";
        }

        if (method.ContainsGenericParameters)
        {
            return "is generic; LoadKit runs non-generic [Test] methods only";
        }

        if (!NUnitFixture.ReturnsVoidOrTask(method.ReturnType))
        {
            return $"returns {method.ReturnType.Name}; LoadKit runs tests that return void, Task or ValueTask";
        }

        if (method.ReturnType == typeof(void) && method.IsDefined(typeof(System.Runtime.CompilerServices.AsyncStateMachineAttribute)))
        {
            return "is async void, which NUnit does not run either; make it return Task";
        }

        if (NUnitAttributes.Find(method, NUnitAttributes.Ignore) is { } ignore)
        {
            return $"is marked [Ignore({string.Join(", ", ignore.ConstructorArguments.Select(a => $"\"{a.Value}\""))})]";
        }

        return null;
    }

    /// <summary>
    /// The test assembly's own context: its dependencies (its NUnit among them, so its assertions' exception types and
    /// NUnit's ambient test context are its own) come from its folder; LoadKit is this process's, so steps and
    /// scenarios share one type identity; everything else the default context has (the framework) comes from there.
    /// </summary>
    private sealed class TestLoadContext(string mainAssemblyPath) : AssemblyLoadContext($"LoadKit NUnit tests {Path.GetFileName(mainAssemblyPath)}")
    {
        private static readonly string SharedName = typeof(Scenario).Assembly.GetName().Name!;
        private readonly AssemblyDependencyResolver _resolver = new(mainAssemblyPath);

        protected override Assembly? Load(AssemblyName assemblyName)
        {
            if (assemblyName.Name == SharedName)
            {
                return null;
            }

            return _resolver.ResolveAssemblyToPath(assemblyName) is { } path ? LoadFromAssemblyPath(path) : null;
        }

        protected override IntPtr LoadUnmanagedDll(string unmanagedDllName) =>
            _resolver.ResolveUnmanagedDllToPath(unmanagedDllName) is { } path ? LoadUnmanagedDllFromPath(path) : IntPtr.Zero;
    }
}
