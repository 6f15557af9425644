using System.Reflection;

namespace LoadKit.NUnitSteps;

/// <summary>
/// An NUnit test fixture class as NUnit would run it: a parameterless constructor (none for a static class), and its
/// [OneTimeSetUp], [SetUp], [TearDown] and [OneTimeTearDown] methods in NUnit's order (set-ups from the base class
/// down, tear-downs from the derived class up). Immutable; one <see cref="NUnitFixtureInstance"/> per VU runs it.
/// </summary>
internal sealed class NUnitFixture
{
    private const BindingFlags Declared = BindingFlags.DeclaredOnly | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static;

    private NUnitFixture(Type type, ConstructorInfo? constructor, string? problem)
    {
        Type = type;
        Constructor = constructor;
        Problem = problem;
        OneTimeSetUps = Lifecycle(type, NUnitAttributes.OneTimeSetUp, baseFirst: true);
        SetUps = Lifecycle(type, NUnitAttributes.SetUp, baseFirst: true);
        TearDowns = Lifecycle(type, NUnitAttributes.TearDown, baseFirst: false);
        OneTimeTearDowns = Lifecycle(type, NUnitAttributes.OneTimeTearDown, baseFirst: false);
    }

    public Type Type { get; }

    /// <summary>Why the fixture cannot run as a load step, or null.</summary>
    public string? Problem { get; }

    public IReadOnlyList<MethodInfo> OneTimeSetUps { get; }

    public IReadOnlyList<MethodInfo> SetUps { get; }

    public IReadOnlyList<MethodInfo> TearDowns { get; }

    public IReadOnlyList<MethodInfo> OneTimeTearDowns { get; }

    /// <summary>The key of a VU's instance of this fixture in its session.</summary>
    public string SessionKey => "LoadKit.NUnit fixture " + Type.AssemblyQualifiedName;

    private ConstructorInfo? Constructor { get; }

    public static NUnitFixture For(Type type)
    {
        string? problem = null;
        ConstructorInfo? constructor = null;
        var isStatic = type.IsAbstract && type.IsSealed;
        if (type.ContainsGenericParameters)
        {
            problem = "is generic; LoadKit runs fixtures of plain, non-generic classes";
        }
        else if (NUnitAttributes.Has(type, NUnitAttributes.TestFixtureSource)
            || type.GetCustomAttributesData().Any(a => a.AttributeType.FullName == NUnitAttributes.TestFixture && a.ConstructorArguments.Count > 0))
        {
            problem = "takes constructor arguments ([TestFixture(...)] or [TestFixtureSource]); LoadKit creates fixtures with their parameterless constructor";
        }
        else if (!isStatic)
        {
            constructor = type.GetConstructor(BindingFlags.Public | BindingFlags.Instance, Type.EmptyTypes);
            if (constructor is null || type.IsAbstract)
            {
                problem = "has no public parameterless constructor (or is abstract), so LoadKit cannot create one per VU";
            }
        }

        return new NUnitFixture(type, constructor, problem);
    }

    /// <summary>A new instance (null for a static class).</summary>
    public object? Create() => Constructor?.Invoke(BindingFlags.DoNotWrapExceptions, null, null, null);

    /// <summary>Calls <paramref name="method"/> on <paramref name="instance"/> and waits for the Task or ValueTask it returns.</summary>
    public static ValueTask InvokeAsync(MethodInfo method, object? instance)
    {
        var returned = method.Invoke(method.IsStatic ? null : instance, BindingFlags.DoNotWrapExceptions, null, null, null);
        return returned switch
        {
            Task task => new ValueTask(task),
            ValueTask valueTask => valueTask,
            _ => ValueTask.CompletedTask,
        };
    }

    /// <summary>Whether a method returning <paramref name="type"/> can be awaited (or called) the way NUnit does.</summary>
    public static bool ReturnsVoidOrTask(Type type) => type == typeof(void) || typeof(Task).IsAssignableFrom(type) || type == typeof(ValueTask);

    private static MethodInfo[] Lifecycle(Type type, string attribute, bool baseFirst)
    {
        var levels = new List<Type>();
        for (var level = type; level is not null && level != typeof(object); level = level.BaseType)
        {
            levels.Add(level);
        }

        // A virtual set-up overridden lower down runs once, as the override: keep the most derived declaration.
        var seen = new HashSet<(Module, int)>();
        var perLevel = new List<MethodInfo[]>();
        foreach (var level in levels)
        {
            var methods = level.GetMethods(Declared)
                .Where(m => NUnitAttributes.Has(m, attribute) && m.GetParameters().Length == 0 && !m.ContainsGenericParameters)
                .Where(m => seen.Add((m.GetBaseDefinition().Module, m.GetBaseDefinition().MetadataToken)))
                .OrderBy(m => m.Name, StringComparer.Ordinal)
                .ToArray();
            perLevel.Add(methods);
        }

        if (baseFirst)
        {
            perLevel.Reverse();
        }

        return [.. perLevel.SelectMany(m => m)];
    }
}
