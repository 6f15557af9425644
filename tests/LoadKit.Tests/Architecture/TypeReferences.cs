using Mono.Cecil;
using Mono.Cecil.Cil;

namespace LoadKit.Tests.Architecture;

/// <summary>
/// Every reference of a type to another: base types, interfaces, fields, properties, events, method signatures,
/// generic arguments and constraints, attributes, locals, caught exceptions, and the IL's operands (types, called
/// methods, fields). A compiler-generated nested type's references count as its declaring type's.
/// </summary>
internal sealed class TypeReferences
{
    private readonly Dictionary<(TypeDefinition From, TypeDefinition To), Via> _acrossFolders = [];
    private readonly Dictionary<string, Dictionary<TypeDefinition, (TypeReference Type, Via Via)>> _external =
        new(StringComparer.Ordinal);

    private TypeReferences()
    {
    }

    /// <summary>Each pair of types of different folders with one reference that makes it (a direct one when there is one).</summary>
    public IReadOnlyDictionary<(TypeDefinition From, TypeDefinition To), Via> AcrossFolders => _acrossFolders;

    /// <summary>Per referenced assembly: each type of ours that uses a type of it, with one such use.</summary>
    public IReadOnlyDictionary<string, Dictionary<TypeDefinition, (TypeReference Type, Via Via)>> External => _external;

    public static TypeReferences Collect(CoreAssembly core)
    {
        var references = new TypeReferences();
        var walker = new Walker(core, references);
        foreach (var unit in core.Units)
        {
            walker.Walk(unit);
        }

        return references;
    }

    private sealed class Walker(CoreAssembly core, TypeReferences into)
    {
        private TypeDefinition _from = null!;
        private string? _fromFolder;

        public void Walk(TypeDefinition unit)
        {
            _from = unit;
            _fromFolder = core.PlaceOf(unit)?.Folder;
            Members(unit);
        }

        private void Members(TypeDefinition type)
        {
            Attributes(type, type);
            Type(type.BaseType, new Via("base type of", type));
            foreach (var implemented in type.Interfaces)
            {
                Type(implemented.InterfaceType, new Via("interface of", type));
            }

            Constraints(type.GenericParameters, type);
            foreach (var field in type.Fields)
            {
                Type(field.FieldType, new Via("field", field));
                Attributes(field, field);
            }

            foreach (var property in type.Properties)
            {
                Type(property.PropertyType, new Via("property", property));
                Attributes(property, property);
            }

            foreach (var @event in type.Events)
            {
                Type(@event.EventType, new Via("event", @event));
                Attributes(@event, @event);
            }

            foreach (var method in type.Methods)
            {
                Method(method);
            }

            foreach (var nested in type.NestedTypes)
            {
                if (CoreAssembly.IsCompilerGenerated(nested))
                {
                    Members(nested);
                }
            }
        }

        private void Method(MethodDefinition method)
        {
            var signature = new Via("signature of", method);
            Type(method.ReturnType, signature);
            foreach (var parameter in method.Parameters)
            {
                Type(parameter.ParameterType, signature);
                Attributes(parameter, method);
            }

            Attributes(method, method);
            Attributes(method.MethodReturnType, method);
            Constraints(method.GenericParameters, method);
            foreach (var overridden in method.Overrides)
            {
                Called(overridden, "overrides", method);
            }

            if (!method.HasBody)
            {
                return;
            }

            var body = method.Body;
            foreach (var variable in body.Variables)
            {
                Type(variable.VariableType, new Via("local variable", In: method));
            }

            foreach (var handler in body.ExceptionHandlers)
            {
                Type(handler.CatchType, new Via("catch", In: method));
            }

            foreach (var instruction in body.Instructions)
            {
                switch (instruction.Operand)
                {
                    case TypeReference type:
                        Type(type, new Via("uses", type, method));
                        break;
                    case MethodReference called:
                        Called(called, instruction.OpCode.Code == Code.Newobj ? "new" : "calls", method);
                        break;
                    case FieldReference field:
                        Type(field.DeclaringType, new Via("field", field, method));
                        Type(field.FieldType, new Via("type of field", field, method, Direct: false));
                        break;
                    case CallSite site:
                        Type(site.ReturnType, new Via("function pointer", In: method));
                        foreach (var parameter in site.Parameters)
                        {
                            Type(parameter.ParameterType, new Via("function pointer", In: method));
                        }

                        break;
                }
            }
        }

        private void Called(MethodReference called, string kind, MethodDefinition caller)
        {
            var via = new Via(kind, called, caller);
            Type(called.DeclaringType, via);
            if (called is GenericInstanceMethod instance)
            {
                foreach (var argument in instance.GenericArguments)
                {
                    Type(argument, via with { Kind = "type argument of" });
                }

                called = instance.ElementMethod;
            }

            // What the called method takes and returns: compiling the call needs those types too.
            var signature = via with { Kind = "signature of called", Direct = false };
            Type(called.ReturnType, signature);
            foreach (var parameter in called.Parameters)
            {
                Type(parameter.ParameterType, signature);
            }
        }

        private void Constraints(IEnumerable<GenericParameter> parameters, MemberReference owner)
        {
            foreach (var parameter in parameters)
            {
                foreach (var constraint in parameter.Constraints)
                {
                    Type(constraint.ConstraintType, new Via("generic constraint of", owner));
                }
            }
        }

        private void Attributes(ICustomAttributeProvider provider, MemberReference on)
        {
            if (!provider.HasCustomAttributes)
            {
                return;
            }

            foreach (var attribute in provider.CustomAttributes)
            {
                var via = new Via("attribute on", on);
                Type(attribute.AttributeType, via);
                try
                {
                    foreach (var argument in attribute.ConstructorArguments)
                    {
                        Argument(argument, via);
                    }

                    foreach (var named in attribute.Properties.Concat(attribute.Fields))
                    {
                        Argument(named.Argument, via);
                    }
                }
                catch (AssemblyResolutionException)
                {
                    // An argument of an enum type from an assembly that is not here: its value cannot be read,
                    // and an enum of another assembly is no reference between our folders.
                }
            }
        }

        private void Argument(CustomAttributeArgument argument, Via via)
        {
            Type(argument.Type, via);
            switch (argument.Value)
            {
                case TypeReference type:
                    Type(type, via);
                    break;
                case CustomAttributeArgument boxed:
                    Argument(boxed, via);
                    break;
                case CustomAttributeArgument[] array:
                    foreach (var element in array)
                    {
                        Argument(element, via);
                    }

                    break;
            }
        }

        private void Type(TypeReference? type, Via via)
        {
            switch (type)
            {
                case null or GenericParameter:
                    return;
                case GenericInstanceType instance:
                    Type(instance.ElementType, via);
                    foreach (var argument in instance.GenericArguments)
                    {
                        Type(argument, via);
                    }

                    return;
                case IModifierType modified:
                    Type(modified.ModifierType, via);
                    Type(modified.ElementType, via);
                    return;
                case FunctionPointerType pointer:
                    Type(pointer.ReturnType, via);
                    foreach (var parameter in pointer.Parameters)
                    {
                        Type(parameter.ParameterType, via);
                    }

                    return;
                case TypeSpecification specification: // arrays, by-refs, pointers, pinned
                    Type(specification.ElementType, via);
                    return;
                case TypeDefinition definition when definition.Module == core.Module:
                    Internal(definition, via);
                    return;
                default:
                    if (type.Scope is AssemblyNameReference assembly)
                    {
                        External(assembly.Name, type, via);
                    }

                    return;
            }
        }

        private void Internal(TypeDefinition target, Via via)
        {
            if (_fromFolder is null || CoreAssembly.UnitOf(target) is not { } to || to == _from
                || core.PlaceOf(to)?.Folder is not { } folder || folder == _fromFolder)
            {
                return;
            }

            var key = (_from, to);
            if (!into._acrossFolders.TryGetValue(key, out var known) || (via.Direct && !known.Direct))
            {
                into._acrossFolders[key] = via;
            }
        }

        private void External(string assembly, TypeReference type, Via via)
        {
            if (!into._external.TryGetValue(assembly, out var users))
            {
                into._external[assembly] = users = [];
            }

            if (!users.TryGetValue(_from, out var known) || (via.Direct && !known.Via.Direct))
            {
                users[_from] = (type, via);
            }
        }
    }
}

/// <summary>
/// How one type references another: a kind (base type of, field, calls, new, ...), the member it names and the method
/// it is in. Direct is false for a type that is only in the signature of a called method or a used field.
/// </summary>
internal readonly record struct Via(string Kind, MemberReference? Target = null, MemberReference? In = null, bool Direct = true)
{
    public override string ToString() =>
        Kind + (Target is null ? "" : " " + Names.Of(Target)) + (In is null ? "" : " in " + Names.Of(In));
}
