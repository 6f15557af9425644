using Mono.Cecil;

namespace LoadKit.Tests.Architecture;

/// <summary>Types and members as C# spells them (Outer.Inner, List&lt;T&gt;), for failure messages.</summary>
internal static class Names
{
    /// <summary>
    /// A type's name without its namespace, its declaring types or its arity: what source declares (a file-local
    /// type's metadata name, &lt;File&gt;F{checksum}__Name, is Name).
    /// </summary>
    public static string Simple(TypeReference type)
    {
        var name = type.Name;
        if (name.StartsWith('<') && name.IndexOf(">F", StringComparison.Ordinal) > 0 && name.IndexOf("__", StringComparison.Ordinal) is > 0 and var at)
        {
            name = name[(at + 2)..];
        }

        var tick = name.IndexOf('`', StringComparison.Ordinal);
        return tick < 0 ? name : name[..tick];
    }

    /// <summary>Namespace.Outer.Inner&lt;T&gt;.</summary>
    public static string Of(TypeReference type)
    {
        if (type is TypeSpecification or GenericParameter)
        {
            return Short(type);
        }

        var name = Simple(type) + Arguments(type);
        if (type.IsNested)
        {
            return Of(type.DeclaringType) + "." + name;
        }

        return type.Namespace.Length == 0 ? name : type.Namespace + "." + name;
    }

    /// <summary>
    /// Outer.Inner.Method(), Outer.Field, Outer() for a constructor: a member in a message, without its namespace (the
    /// type's folder says where). Code the compiler moved out of a method (a lambda, a local function, an async or
    /// iterator body) is named as that method.
    /// </summary>
    public static string Of(MemberReference member)
    {
        if (member is TypeReference type)
        {
            return Short(type);
        }

        var declaring = member.DeclaringType;
        var owner = declaring is null ? "" : Short(declaring);
        var name = Unmangle(member.Name);
        if (name == member.Name && declaring is TypeDefinition { Name: var typeName } definition
            && CoreAssembly.IsCompilerGenerated(definition) && Unmangle(typeName) is var fromType && fromType != typeName)
        {
            name = fromType; // MoveNext of <RunAsync>d__3
        }

        return member switch
        {
            MethodReference { Name: ".ctor" } => owner + "()",
            MethodReference { Name: ".cctor" } => owner + "'s static constructor",
            MethodReference => $"{owner}.{name}()",
            _ => $"{owner}.{name}",
        };
    }

    /// <summary>&lt;Name&gt;b__1_0 → Name; any other name as it is.</summary>
    private static string Unmangle(string name) =>
        name.StartsWith('<') && name.IndexOf('>', StringComparison.Ordinal) is > 1 and var end ? name[1..end] : name;

    /// <summary>
    /// Outer.Inner&lt;T&gt; without the namespace, Func&lt;Check, String&gt; for a constructed one; a compiler-generated
    /// type (a closure, a state machine) is named as its declaring type.
    /// </summary>
    public static string Short(TypeReference type)
    {
        switch (type)
        {
            case GenericInstanceType instance:
                return Bare(instance.ElementType) + "<" + string.Join(", ", instance.GenericArguments.Select(Short)) + ">";
            case ArrayType array:
                return Short(array.ElementType) + "[]";
            case TypeSpecification specification:
                return Short(specification.ElementType);
            case GenericParameter parameter:
                return parameter.Name;
        }

        var definition = type as TypeDefinition;
        while (definition is { IsNested: true } && CoreAssembly.IsCompilerGenerated(definition))
        {
            definition = definition.DeclaringType;
        }

        type = definition ?? type;
        return Bare(type) + Arguments(type);
    }

    private static string Bare(TypeReference type) => type.IsNested ? Short(type.DeclaringType) + "." + Simple(type) : Simple(type);

    private static string Arguments(TypeReference type)
    {
        var tick = type.Name.IndexOf('`', StringComparison.Ordinal);
        if (tick < 0 || !int.TryParse(type.Name.AsSpan(tick + 1), out var arity))
        {
            return "";
        }

        // A nested type's generic parameters include its declaring types' ones first.
        var parameters = type.GenericParameters;
        return type is TypeDefinition && parameters.Count >= arity
            ? "<" + string.Join(", ", parameters.Skip(parameters.Count - arity).Select(p => p.Name)) + ">"
            : "<" + new string(',', arity - 1) + ">";
    }
}
