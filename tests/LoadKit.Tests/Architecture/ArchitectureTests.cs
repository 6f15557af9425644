using System.Text;
using System.Text.Json;
using FluentAssertions;
using FluentAssertions.Execution;
using Mono.Cecil;

namespace LoadKit.Tests.Architecture;

/// <summary>
/// The shape of the code, read from the built assemblies: src/LoadKit's folders (its capabilities) form no cycle, the
/// core carries no cluster or telemetry package, internals are open to test assemblies only, and internal code is in
/// the namespace of its folder. A type's folder is where its source file is (its PDB's documents), not its namespace:
/// the user API is in the LoadKit namespace whatever its folder.
/// </summary>
public class ArchitectureTests
{
    /// <summary>Assemblies the core must not reference: the distributed controller's and live telemetry's.</summary>
    private static readonly string[] ForbiddenPrefixes = ["Etcd", "Grpc.", "OpenTelemetry"];

    private static readonly string[] ForbiddenNames = ["dotnet-etcd", "Google.Protobuf", "LoadKit.Cluster"];

    private static readonly string[] TestAssemblySuffixes = [".Tests", ".Benchmarks"];

    private static CoreAssembly Core => CoreAssembly.Instance;

    [Test]
    public void Folders_OfTheCore_FormNoDependencyCycle()
    {
        var graph = new FolderGraph(Core);

        var cycles = graph.Cycles();

        TestContext.Out.WriteLine($"Folder dependencies of {Core.Source.ProjectPath} (type references):");
        TestContext.Out.WriteLine(graph.DependencyList());

        Fail.Unless(cycles.Count == 0, $"""
            Expected the folders of {Core.Source.ProjectPath} to depend on each other without a cycle (a folder may use
            another only if that one does not use it back, directly or through others), but found {cycles.Count} group(s)
            of folders that do. Cut one dependency of each cycle, e.g. by moving the type that makes it, or by an interface
            or a callback the other folder provides.

            {string.Join(Environment.NewLine, cycles.Select(c => graph.Describe(c)))}
            """);
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
            Expected LoadKit.dll to reference no cluster or telemetry assembly (dotnet-etcd, Etcd*, Grpc.*, Google.Protobuf,
            OpenTelemetry*, LoadKit.Cluster): those belong to LoadKit.Cluster and its users, not to every user of the core.
            It references {assemblies.Length}:
            {report}
            and its package (LoadKit.deps.json) depends on {(packages.Length == 0 ? "none of them" : string.Join(", ", packages))}.
            """);
    }

    [Test]
    public void ShippedAssemblies_InternalsVisibleTo_TestAssembliesOnly()
    {
        var findings = new List<string>();
        foreach (var (project, path) in ShippedAssemblies())
        {
            if (!File.Exists(path))
            {
                findings.Add($"  {project}: {path} is not built; build LoadKit.sln first.");
                continue;
            }

            var friends = InternalsVisibleTo(path).Where(f => !TestAssemblySuffixes.Any(s => f.EndsWith(s, StringComparison.Ordinal)));
            findings.AddRange(friends.Select(f => $"  {project} → {f}"));
        }

        Fail.Unless(findings.Count == 0, $"""
            Expected the shipped assemblies (src/*/) to open their internals only to assemblies named *.Tests or *.Benchmarks,
            but {findings.Count} InternalsVisibleTo name(s) another: what that assembly uses must be public API (or move
            into it). Remove it from the project's <InternalsVisibleTo> items:
            {string.Join(Environment.NewLine, findings)}
            """);
    }

    [Test]
    public void InternalTypes_OfEachFolder_AreInTheFoldersNamespace()
    {
        var root = Core.Module.Assembly.Name.Name;
        var misplaced = Core.Module.Types
            .Where(t => CoreAssembly.UnitOf(t) == t) // declared in source, not compiler-generated
            .Select(t => (Type: t, Place: Core.PlaceOf(t)))
            .Where(t => t.Place is not null && t.Type.Namespace != NamespaceOf(root, t.Place.Directory)
                && !(t.Type.IsPublic && t.Type.Namespace == root))
            .Select(t => (t.Type, Place: t.Place!))
            .GroupBy(t => t.Place.Directory)
            .OrderBy(g => g.Key, StringComparer.Ordinal)
            .ToArray();

        var report = new StringBuilder();
        foreach (var folder in misplaced)
        {
            report.AppendLine($"  {(folder.Key.Length == 0 ? "(root)" : folder.Key)}/ → namespace {NamespaceOf(root, folder.Key)}:");
            foreach (var (type, place) in folder.OrderBy(t => Names.Of(t.Type), StringComparer.Ordinal))
            {
                var visibility = type.IsPublic ? "public, " : "";
                report.AppendLine($"    {Names.Of(type)} ({visibility}{place.File ?? "found by " + place.How})");
            }
        }

        Fail.Unless(misplaced.Length == 0, $"""
            Expected every internal type of {Core.Source.ProjectPath} to be in the namespace of its folder ({root}.<Folder>,
            {root}.<Folder>.<Sub> for a sub-folder), and every public one there or in {root} (the user API), but
            {misplaced.Sum(g => g.Count())} are not. Change their namespace (or move the file):
            {report}
            """);
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

    private static IEnumerable<string> InternalsVisibleTo(string assemblyPath)
    {
        using var module = ModuleDefinition.ReadModule(assemblyPath);
        return module.Assembly.CustomAttributes
            .Where(a => a.AttributeType.FullName == "System.Runtime.CompilerServices.InternalsVisibleToAttribute")
            .Select(a => ((string)a.ConstructorArguments[0].Value).Split(',')[0].Trim())
            .ToArray();
    }

    /// <summary>A failure with a message of our own, whole (FluentAssertions would quote it and read braces as placeholders).</summary>
    private static class Fail
    {
        public static void Unless(bool condition, string message) =>
            Execute.Assertion.ForCondition(condition).FailWith(message.Replace("{", "{{", StringComparison.Ordinal).Replace("}", "}}", StringComparison.Ordinal));
    }
}
