using System.Text;
using LoadKit.TestTargets;

namespace LoadKit.Tests.Architecture;

/// <summary>
/// A rule's known violations, checked in next to the tests (tests/LoadKit.Tests/Architecture/known-*.txt) and read from
/// the repository, not the build output: a ratchet, as PublicAPI.Shipped.txt is for the public API. A violation not in
/// it fails the rule, and so does a line of it that is no longer a violation, so the list can only shrink. With
/// LOADKIT_ARCH_BASELINE=write the rule writes the current violations into it instead (sorted, under its header).
/// </summary>
internal sealed class Baseline
{
    public const string Variable = "LOADKIT_ARCH_BASELINE";

    public const string Folder = "tests/LoadKit.Tests/Architecture";

    private readonly string _path;
    private readonly IReadOnlyList<string> _description;

    private Baseline(string fileName, string format, IReadOnlyList<string> description)
    {
        FileName = fileName;
        Format = format;
        _description = description;
        _path = Path.Combine(Repository.Root, Folder, fileName);
    }

    /// <summary>Where the file is, from the repository's root.</summary>
    public string RepositoryPath => Folder + "/" + FileName;

    public string FileName { get; }

    /// <summary>The form of one line, e.g. <c>A -> B</c>.</summary>
    public string Format { get; }

    /// <summary>Whether the rules write their baselines (LOADKIT_ARCH_BASELINE=write) instead of checking them.</summary>
    public static bool Writing => Environment.GetEnvironmentVariable(Variable) switch
    {
        null or "" => false,
        "write" => true,
        var other => throw new InvalidOperationException(
            $"{Variable}={other}: the only value it takes is 'write' (rewrite the known-*.txt baselines from the code)."),
    };

    /// <summary>A baseline file: its name, the form of a line, and what its lines are (the first lines of its header).</summary>
    public static Baseline Of(string fileName, string format, params string[] description) =>
        new(fileName, format, description);

    /// <summary>The violations it lists (comment and blank lines left out), in file order, each as often as listed.</summary>
    public IReadOnlyList<string> Read() =>
        File.Exists(_path)
            ? File.ReadAllLines(_path).Select(l => l.Trim()).Where(l => l.Length > 0 && !l.StartsWith('#')).ToArray()
            : [];

    /// <summary>Replaces the file with its header and these violations, sorted.</summary>
    public void Write(IEnumerable<string> violations)
    {
        var text = new StringBuilder();
        foreach (var line in Header())
        {
            text.Append(line.Length == 0 ? "#" : "# " + line).Append('\n');
        }

        foreach (var violation in violations.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal))
        {
            text.Append(violation).Append('\n');
        }

        File.WriteAllText(_path, text.ToString());
    }

    /// <summary>What a line of the file is, that it may only shrink, and how to rewrite it.</summary>
    private IEnumerable<string> Header() =>
    [
        .. _description,
        $"One line per violation: {Format}. Lines starting with # are comments.",
        "",
        "A ratchet, like PublicAPI.Shipped.txt: this list may only shrink. The architecture tests",
        "(tests/LoadKit.Tests/Architecture/ArchitectureTests.cs) fail on a violation that is not listed here (fix it;",
        "do not add it) and on a line here that is no longer a violation (remove it: it is fixed).",
        "",
        "Rewrite it from the current code (sorted, with this header) after a build, then review that the diff only",
        "removes lines:",
        $"  {Variable}=write dotnet test tests/LoadKit.Tests --no-build --filter \"FullyQualifiedName~Architecture\"",
    ];
}
