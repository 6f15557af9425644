using System.Reflection;

namespace LoadKit.Scenarios;

/// <summary>
/// Where a scenario factory lives: an assembly file, a type and a static method without parameters that returns a
/// <see cref="Scenario"/>. Workers load the same assembly and call the same method, so every process builds the
/// same scenario from the same code.
/// </summary>
internal sealed record ScenarioLocator(string AssemblyPath, string TypeName, string MethodName)
{
    /// <summary>The locator of <paramref name="factory"/>, which must be a static method (a method group, not a lambda).</summary>
    /// <exception cref="ArgumentException">The factory is a lambda, an instance method, or in an assembly without a file.</exception>
    public static ScenarioLocator Of(Func<Scenario> factory)
    {
        ArgumentNullException.ThrowIfNull(factory);
        var method = factory.Method;
        var type = method.DeclaringType;
        if (!method.IsStatic || factory.Target is not null || type is null || method.IsDefined(typeof(System.Runtime.CompilerServices.CompilerGeneratedAttribute))
            || type.IsDefined(typeof(System.Runtime.CompilerServices.CompilerGeneratedAttribute)) || method.GetParameters().Length != 0)
        {
            throw new ArgumentException(
                $"scenario factory = {type?.Name}.{method.Name}: a distributed run needs a static method without parameters that returns a Scenario, " +
                "passed as a method group (LoadTest.RunAsync(Checkout) for 'public static Scenario Checkout()'), so workers can call the same method; " +
                "a lambda or an instance method cannot be found by name.",
                nameof(factory));
        }

        if (string.IsNullOrEmpty(type.Assembly.Location))
        {
            throw new ArgumentException($"scenario factory = {type.FullName}.{method.Name}: its assembly {type.Assembly.GetName().Name} has no file to send to the workers.", nameof(factory));
        }

        return new ScenarioLocator(type.Assembly.Location, type.FullName!, method.Name);
    }

    /// <summary>
    /// The factory method in <paramref name="assembly"/>; or, for an assembly without factories of its own (a plain
    /// NUnit test assembly run by <c>loadkit-worker run</c>), a factory of LoadKit's that takes the assembly.
    /// </summary>
    /// <exception cref="ArgumentException">No such type or method; the message says what was looked for.</exception>
    public static Func<Scenario> Resolve(Assembly assembly, string typeName, string methodName)
    {
        ArgumentNullException.ThrowIfNull(assembly);
        if (assembly.GetType(typeName, throwOnError: false) is null && BuiltIn(typeName, methodName) is { } builtIn)
        {
            return () => builtIn(assembly);
        }

        var type = assembly.GetType(typeName, throwOnError: false)
            ?? throw new ArgumentException($"scenario factory type = '{typeName}': assembly {assembly.GetName().Name} has no such type.");
        var method = type.GetMethod(methodName, BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static, Type.EmptyTypes);
        if (method is null || method.ReturnType != typeof(Scenario))
        {
            throw new ArgumentException(
                $"scenario factory method = '{typeName}.{methodName}': there is no static method of that name without parameters that returns " +
                $"{typeof(Scenario).FullName} (from LoadKit {typeof(Scenario).Assembly.GetName().Version}).");
        }

        return method.CreateDelegate<Func<Scenario>>();
    }

    /// <summary>A static method of LoadKit itself that builds a scenario from the uploaded assembly, or null.</summary>
    private static Func<Assembly, Scenario>? BuiltIn(string typeName, string methodName) =>
        typeof(Scenario).Assembly.GetType(typeName, throwOnError: false)?.GetMethod(methodName, BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static, [typeof(Assembly)]) is { } method
            && method.ReturnType == typeof(Scenario)
            ? method.CreateDelegate<Func<Assembly, Scenario>>()
            : null;
}
