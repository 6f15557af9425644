using System.Text;
using System.Text.Json;
using FluentAssertions;
using FluentAssertions.Execution;
using Mono.Cecil;

namespace LoadKit.Tests.Architecture;

/// <summary>
/// The shape of the code, read from the built assemblies: src/LoadKit's folders (its capabilities) form no cycle, the
/// core carries no cluster or telemetry package nor references another LoadKit assembly, internals are open to test
/// assemblies only, and internal code is in the namespace of its folder. A type's folder is where its source file is
/// (its PDB's documents), not its namespace: the user API is in the LoadKit namespace whatever its folder.
/// </summary>
/// <remarks>
/// Every rule is strict: rules 1, 3 and 4 began as ratchets with checked-in lists of known violations that could only
/// shrink, until their last violation was fixed. The rule on InternalsVisibleTo reads the built assemblies of src/, so
/// build LoadKit.sln first.
/// </remarks>
public class ArchitectureTests
{
    /// <summary>Assemblies the core must not reference: the distributed controller's and live telemetry's.</summary>
    private static readonly string[] ForbiddenPrefixes = ["Etcd", "Grpc.", "OpenTelemetry"];

    /// <summary>
    /// ... nor YAML (plan files are a package of their own), nor the other LoadKit assemblies: they build on the core (the
    /// controller, the OTLP exporter, the NUnit attributes, the worker, the browser steps, plan files), never the other way.
    /// </summary>
    private static readonly string[] ForbiddenNames =
    [
        "dotnet-etcd", "Google.Protobuf", "YamlDotNet",
        "LoadKit.Cluster", "LoadKit.OpenTelemetry", "LoadKit.Testing", "LoadKit.Worker", "LoadKit.Browser", "LoadKit.PlanFiles", "LoadKit.Grpc",
    ];

    private static readonly string[] TestAssemblySuffixes = [".Tests", ".Benchmarks"];

    private static CoreAssembly Core => CoreAssembly.Instance;

    /// <summary>Rule 1: no dependency between src/LoadKit's folders lies on a cycle.</summary>
    [Test]
    public void Folders_OfTheCore_FormNoDependencyCycle()
    {
        var graph = new FolderGraph(Core);
        var onCycles = graph.EdgesOnCycles().ToDictionary(Line, StringComparer.Ordinal);

        TestContext.Out.WriteLine($"Folder dependencies of {Core.Source.ProjectPath} (type references):");
        TestContext.Out.WriteLine(graph.DependencyList());
        TestContext.Out.WriteLine();
        TestContext.Out.WriteLine($"{onCycles.Count} of them on a cycle:");
        foreach (var cycle in graph.Cycles())
        {
            TestContext.Out.WriteLine(graph.Describe(cycle));
        }

        Strict(onCycles.Keys, added => $"""
            Expected the folders of {Core.Source.ProjectPath} to gain no dependency that lies on a cycle (a folder may
            use another only if that one does not use it back, directly or through others), but {Count(added.Count, "dependency", "dependencies")}
            {(added.Count == 1 ? "lies" : "lie")} on a cycle.
            Cut one dependency of each cycle, e.g. by moving the type that makes it, or by an interface or a callback
            the other folder provides:
            {string.Join(Environment.NewLine, added.Select(a => onCycles[a]).OrderBy(e => e.References.Count).Select(e => NewCycleEdge(graph, e)))}
            """);

        static string Line(FolderEdge edge) => $"{edge.From} -> {edge.To}";
    }

    [Test]
    public void CoreAssembly_References_NoClusterOrTelemetryPackage()
    {
        var assemblies = Core.Module.AssemblyReferences.Select(a => a.Name).Where(IsForbidden).Order(StringComparer.Ordinal).ToArray();
        var packages = CorePackages().Where(IsForbidden).Order(StringComparer.Ordinal).ToArray();

        var report = new StringBuilder();
        foreach (var assembly in assemblies)
        {
            var users = Core.References.External.GetValueOrDefault(assembly) ?? [];
            var folders = users.Keys.Select(t => Core.PlaceOf(t)?.Folder ?? "?").Distinct().Order(StringComparer.Ordinal);
            report.AppendLine($"  {assembly}: used by {users.Count} type(s) in {string.Join(", ", folders)}, e.g.");
            foreach (var (user, (type, via)) in users.OrderBy(u => Names.Of(u.Key), StringComparer.Ordinal).Take(2))
            {
                report.AppendLine($"    {Names.Of(user)} → {Names.Of(type)} ({via})");
            }
        }

        Fail.Unless(assemblies.Length == 0 && packages.Length == 0, $"""
            Expected LoadKit.dll to reference no cluster, telemetry or YAML assembly (dotnet-etcd, Etcd*, Grpc.*, Google.Protobuf,
            OpenTelemetry*, YamlDotNet) and none of the LoadKit assemblies built on it ({string.Join(", ", ForbiddenNames.Where(n => n.StartsWith("LoadKit.", StringComparison.Ordinal)))}):
            those belong to those assemblies and their users, not to every user of the core. It references {assemblies.Length}:
            {report}
            and its package (LoadKit.deps.json) depends on {(packages.Length == 0 ? "none of them" : string.Join(", ", packages))}.
            """);
    }

    /// <summary>
    /// Rule 3: no shipped assembly (src/*/) opens its internals to another: the packages ship and version apart, so one
    /// uses another only through its public API (docs/architecture.md, "Writing a run target").
    /// </summary>
    [Test]
    public void ShippedAssemblies_InternalsVisibleTo_NoOtherShippedAssembly()
    {
        var shipped = ShippedAssemblies().Select(a => Path.GetFileNameWithoutExtension(a.Path)).ToHashSet(StringComparer.OrdinalIgnoreCase);
        var friends = ShippedFriends().Where(f => shipped.Contains(f.Friend)).Select(f => $"{f.Assembly} → {f.Friend}");

        Strict(friends, added => $"""
            Expected no shipped assembly (src/*/) to open its internals to another shipped assembly, but
            {Count(added.Count, "InternalsVisibleTo names", "InternalsVisibleTo name")} one. What the friend uses must be
            public API of the assembly (a small, documented surface, as LoadKit.Targets is for run targets) or move into
            the friend. Remove the project's <InternalsVisibleTo> items:
            {string.Join(Environment.NewLine, added.Select(a => "  " + a))}
            """);
    }

    /// <summary>Rule 3, all of it: every shipped assembly (src/*/) opens its internals to *.Tests and *.Benchmarks only.</summary>
    [Test]
    public void ShippedAssemblies_InternalsVisibleTo_TestAssembliesOnly()
    {
        var friends = ShippedFriends()
            .Where(f => !TestAssemblySuffixes.Any(s => f.Friend.EndsWith(s, StringComparison.Ordinal)))
            .Select(f => $"{f.Assembly} → {f.Friend}");

        Strict(friends, added => $"""
            Expected the shipped assemblies (src/*/) to open their internals only to assemblies named *.Tests or
            *.Benchmarks, but {Count(added.Count, "InternalsVisibleTo names", "InternalsVisibleTo name")} another.
            What that assembly uses must be public API (or move into it). Remove the project's <InternalsVisibleTo> items:
            {string.Join(Environment.NewLine, added.Select(a => "  " + a))}
            """);
    }

    /// <summary>Rule 4: every internal type of src/LoadKit is in its folder's namespace (a public one there or in LoadKit).</summary>
    [Test]
    public void InternalTypes_OfEachFolder_AreInTheFoldersNamespace()
    {
        var root = Core.Module.Assembly.Name.Name;
        var misplaced = Core.Module.Types
            .Where(t => CoreAssembly.UnitOf(t) == t) // declared in source, not compiler-generated
            .Select(t => (Type: t, Place: Core.PlaceOf(t)))
            .Where(t => t.Place is not null && t.Type.Namespace != NamespaceOf(root, t.Place.Directory)
                && !(t.Type.IsPublic && t.Type.Namespace == root))
            .ToDictionary(t => $"{Names.Of(t.Type)} ({(t.Place!.Directory.Length == 0 ? "(root)" : t.Place.Directory)})",
                t => (t.Type, Place: t.Place!), StringComparer.Ordinal);

        Strict(misplaced.Keys, added =>
        {
            var report = new StringBuilder();
            foreach (var folder in added.Select(a => misplaced[a]).GroupBy(t => t.Place.Directory).OrderBy(g => g.Key, StringComparer.Ordinal))
            {
                report.AppendLine($"  {(folder.Key.Length == 0 ? "(root)" : folder.Key)}/ → namespace {NamespaceOf(root, folder.Key)}:");
                foreach (var (type, place) in folder.OrderBy(t => Names.Of(t.Type), StringComparer.Ordinal))
                {
                    var visibility = type.IsPublic ? "public, " : "";
                    report.AppendLine($"    {Names.Of(type)} ({visibility}{place.File ?? "found by " + place.How})");
                }
            }

            return $"""
                Expected every internal type of {Core.Source.ProjectPath} to be in the namespace of its folder
                ({root}.<Folder>, {root}.<Folder>.<Sub> for a sub-folder), and every public one there or in {root} (the
                user API), but {Count(added.Count, "type is", "types are")} not.
                Change their namespace (or move the file):
                {report}
                """;
        });
    }

    /// <summary>
    /// Not a rule: the other tests are only as good as the folder each type is given. Every type declared in source
    /// must have one, from its PDB documents or, failing that, its declaration or namespace.
    /// </summary>
    [Test]
    public void CoreTypes_EachDeclaredType_HasASourceFolder()
    {
        var unplaced = Core.Units.Where(t => Core.PlaceOf(t) is null).Select(Names.Of).ToArray();

        unplaced.Should().BeEmpty("each type needs a source folder (from its methods' sequence points, its declaring "
            + "type, the one file that declares it, or its namespace) for the folder rules to see its references");
    }

    private static bool IsForbidden(string name) =>
        ForbiddenNames.Contains(name, StringComparer.OrdinalIgnoreCase)
        || ForbiddenPrefixes.Any(p => name.StartsWith(p, StringComparison.OrdinalIgnoreCase));

    private static string NamespaceOf(string root, string directory) =>
        directory.Length == 0 ? root : root + "." + directory.Replace('/', '.');

    /// <summary>The packages LoadKit depends on, as its users get them: its entry in this test's deps.json.</summary>
    private static IEnumerable<string> CorePackages()
    {
        var depsFile = Path.Combine(AppContext.BaseDirectory, typeof(ArchitectureTests).Assembly.GetName().Name + ".deps.json");
        using var deps = JsonDocument.Parse(File.ReadAllText(depsFile));
        foreach (var target in deps.RootElement.GetProperty("targets").EnumerateObject())
        {
            foreach (var library in target.Value.EnumerateObject())
            {
                if (library.Name.StartsWith(Core.Module.Assembly.Name.Name + "/", StringComparison.Ordinal)
                    && library.Value.TryGetProperty("dependencies", out var dependencies))
                {
                    return dependencies.EnumerateObject().Select(d => d.Name).ToArray();
                }
            }
        }

        throw new InvalidOperationException($"{depsFile} has no entry for LoadKit.");
    }

    /// <summary>Each project under src/ and where its assembly is built (the configuration and framework of this test's).</summary>
    private static IEnumerable<(string Project, string Path)> ShippedAssemblies()
    {
        var output = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        var (framework, configuration) = (output.Name, output.Parent!.Name);
        var projects = Directory.EnumerateDirectories(Path.Combine(Core.RepositoryRoot, "src"))
            .SelectMany(folder => Directory.EnumerateFiles(folder, "*.csproj"));
        foreach (var project in projects.Order(StringComparer.Ordinal))
        {
            var name = Path.GetFileNameWithoutExtension(project);
            var assemblyName = System.Xml.Linq.XDocument.Load(project).Descendants("AssemblyName").FirstOrDefault()?.Value ?? name;
            yield return (name, Path.Combine(Path.GetDirectoryName(project)!, "bin", configuration, framework, assemblyName + ".dll"));
        }
    }

    /// <summary>Each shipped assembly (src/*/) and each assembly its InternalsVisibleTo names; fails when one is not built.</summary>
    private static IReadOnlyList<(string Assembly, string Friend)> ShippedFriends()
    {
        var unbuilt = new List<string>();
        var friends = new List<(string, string)>();
        foreach (var (project, path) in ShippedAssemblies())
        {
            if (!File.Exists(path))
            {
                unbuilt.Add($"  {project}: {path}");
                continue;
            }

            var (assembly, visibleTo) = InternalsVisibleTo(path);
            TestContext.Out.WriteLine($"{assembly} ({path}): InternalsVisibleTo {(visibleTo.Length == 0 ? "none" : string.Join(", ", visibleTo))}");
            friends.AddRange(visibleTo.Select(f => (assembly, f)));
        }

        Fail.Unless(unbuilt.Count == 0, $"""
            Expected every shipped assembly (src/*/) to be built, to read its InternalsVisibleTo, but {unbuilt.Count} are not;
            build LoadKit.sln first:
            {string.Join(Environment.NewLine, unbuilt)}
            """);
        return friends;
    }

    /// <summary>An assembly's name and the assemblies its InternalsVisibleTo attributes name.</summary>
    private static (string Assembly, string[] Friends) InternalsVisibleTo(string assemblyPath)
    {
        using var module = ModuleDefinition.ReadModule(assemblyPath);
        return (module.Assembly.Name.Name, module.Assembly.CustomAttributes
            .Where(a => a.AttributeType.FullName == "System.Runtime.CompilerServices.InternalsVisibleToAttribute")
            .Select(a => ((string)a.ConstructorArguments[0].Value).Split(',')[0].Trim())
            .ToArray());
    }

    /// <summary>
    /// A new dependency on a cycle: the type references that make it, and a shortest cycle it closes with one type
    /// reference for each of the cycle's other dependencies.
    /// </summary>
    private static string NewCycleEdge(FolderGraph graph, FolderEdge edge)
    {
        var text = new StringBuilder();
        text.AppendLine($"  {edge.From} → {edge.To} ({Count(edge.References.Count, "type reference", "type references")}), e.g.");
        foreach (var example in edge.Examples(2))
        {
            text.AppendLine($"      {example}");
        }

        if (graph.ShortestCycleThrough(edge) is { } cycle)
        {
            text.AppendLine($"    is on the cycle {string.Join(" → ", cycle)}, whose other dependencies are:");
            for (var i = 1; i < cycle.Count - 1; i++)
            {
                var step = graph.Edge(cycle[i], cycle[i + 1])!;
                text.AppendLine($"      {step.From} → {step.To} ({step.References.Count}), e.g. {step.Examples(1).First()}");
            }
        }

        return text.ToString();
    }

    /// <summary>A rule without known violations: fails on any, as <paramref name="describe"/> says.</summary>
    private static void Strict(IEnumerable<string> violations, Func<IReadOnlyList<string>, string> describe)
    {
        var found = violations.Order(StringComparer.Ordinal).ToArray();
        Fail.Unless(found.Length == 0, found.Length == 0 ? "" : describe(found));
    }

    /// <summary>"1 line", "2 lines".</summary>
    private static string Count(int count, string one, string many) => $"{count} {(count == 1 ? one : many)}";

    /// <summary>A failure with a message of our own, whole (FluentAssertions would quote it and read braces as placeholders).</summary>
    private static class Fail
    {
        public static void Unless(bool condition, string message) =>
            Execute.Assertion.ForCondition(condition).FailWith(message.Replace("{", "{{", StringComparison.Ordinal).Replace("}", "}}", StringComparison.Ordinal));
    }
}
