using System.Reflection;
using System.Runtime.CompilerServices;
using LoadKit.PlanFiles.Compiling;
using LoadKit.PlanFiles.Documents;

namespace LoadKit;

/// <summary>
/// A load plan written as a file (YAML or JSON, one format over one model; see <see cref="JsonSchema"/>), compiled
/// to the same <see cref="Scenario"/>s the C# API builds: <c>LoadRunner.RunAsync(PlanFile.Load("checkout.yaml").Scenarios)</c>.
/// Every problem of a plan is reported at once, each with its file, line, path in the document, value and what is
/// allowed (<see cref="PlanFileException"/>).
/// </summary>
public sealed class PlanFile
{
    private const string SchemaResource = "LoadKit.PlanFiles.plan.schema.json";

    private PlanFile(string source, IReadOnlyList<Scenario> scenarios, IReadOnlyList<string> feedFiles)
    {
        Source = source;
        Scenarios = scenarios;
        FeedFiles = feedFiles;
    }

    /// <summary>The plan's file path, or the name given to <see cref="Parse"/>.</summary>
    public string Source { get; }

    /// <summary>The plan's scenarios, built and validated, in the plan's order.</summary>
    public IReadOnlyList<Scenario> Scenarios { get; }

    /// <summary>
    /// The files the plan reads (its feeds' CSV and JSON-lines files, its gRPC descriptor sets, the certificates it trusts) as the plan names them:
    /// relative to the plan's folder, or absolute. A distributed run sends them to the workers with the plan.
    /// </summary>
    public IReadOnlyList<string> FeedFiles { get; }

    /// <summary>
    /// The JSON Schema of plan files (JSON Schema draft 07), the same as <c>docs/plan.schema.json</c>: point an
    /// editor at it (<c># yaml-language-server: $schema=plan.schema.json</c>, or <c>"$schema"</c> in JSON) to complete
    /// and check plans as they are written.
    /// </summary>
    public static string JsonSchema
    {
        get
        {
            using var stream = typeof(PlanFile).Assembly.GetManifestResourceStream(SchemaResource)
                ?? throw new InvalidOperationException($"The plan schema resource '{SchemaResource}' is missing from {typeof(PlanFile).Assembly.GetName().Name}.");
            using var reader = new StreamReader(stream);
            return reader.ReadToEnd();
        }
    }

    /// <summary>
    /// Reads and compiles the plan at <paramref name="path"/>: <c>.json</c> is JSON, <c>.yaml</c> and <c>.yml</c>
    /// YAML. A relative path is looked up in the current directory, then beside the assembly that calls this method (a
    /// test assembly's output folder, also on a worker that loaded it). Feed files are relative to the plan's folder.
    /// </summary>
    /// <exception cref="FileNotFoundException">No plan file at <paramref name="path"/>; the message says where it was looked for.</exception>
    /// <exception cref="PlanFileException">The plan has problems; every one is listed.</exception>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static PlanFile Load(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var candidates = new List<string> { Path.GetFullPath(path) };
        if (!Path.IsPathRooted(path) && Path.GetDirectoryName(Assembly.GetCallingAssembly().Location) is { Length: > 0 } callerFolder)
        {
            candidates.Add(Path.GetFullPath(path, callerFolder));
        }

        var found = candidates.FirstOrDefault(File.Exists)
            ?? throw new FileNotFoundException($"Plan file '{path}' was not found (looked for {string.Join(" and ", candidates.Distinct())}).", path);
        return Parse(File.ReadAllText(found), found, Path.GetDirectoryName(found));
    }

    /// <summary>
    /// Compiles a plan held in memory (sent over the network, or written by a test). JSON when
    /// <paramref name="sourceName"/> ends in <c>.json</c> or the text starts with <c>{</c>; YAML otherwise.
    /// </summary>
    /// <param name="text">The plan.</param>
    /// <param name="sourceName">The name problems are reported under, e.g. the file name it came from.</param>
    /// <param name="baseDirectory">The folder relative feed paths start from; the current directory when null.</param>
    /// <exception cref="PlanFileException">The plan has problems; every one is listed.</exception>
    public static PlanFile Parse(string text, string sourceName, string? baseDirectory = null)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentException.ThrowIfNullOrWhiteSpace(sourceName);
        var reader = new PlanReader(sourceName);
        var root = DocumentReader.Read(text, DocumentReader.IsJson(sourceName, text), out var problem);
        if (root is null)
        {
            reader.Problem(null, "", "not readable", problem!.Value.Message);
            throw new PlanFileException(sourceName, [reader.Problems[0] with { Line = problem.Value.Line, Column = problem.Value.Column }]);
        }

        var compiler = new PlanCompiler(reader, baseDirectory ?? Directory.GetCurrentDirectory());
        var scenarios = compiler.Compile(root);
        if (reader.Problems.Count > 0)
        {
            throw new PlanFileException(sourceName, [.. reader.Problems.OrderBy(p => p.Line).ThenBy(p => p.Column)]);
        }

        return new PlanFile(sourceName, scenarios, [.. compiler.Files.Distinct(StringComparer.Ordinal)]);
    }

    /// <summary>The scenario named <paramref name="name"/>.</summary>
    /// <exception cref="ArgumentException">The plan has no such scenario; the message lists those it has.</exception>
    public Scenario GetScenario(string name) =>
        Scenarios.FirstOrDefault(s => s.Name == name)
        ?? throw new ArgumentException($"Plan '{Source}' has no scenario '{name}' (it has {string.Join(", ", Scenarios.Select(s => $"'{s.Name}'"))}).", nameof(name));
}
