using LoadKit.PlanFiles.Documents;

namespace LoadKit.PlanFiles.Compiling;

/// <summary>
/// Where each setting the DSL names (<c>Tasks[1].Steps[0]</c>, <c>Load[2]</c>) came from in the plan, recorded as the
/// plan is compiled: so a problem <see cref="ScenarioBuilder.Build"/> finds (a user count of 0, a malformed JSON path)
/// is reported at its path and line in the document, and the DSL's checks are not written twice.
/// </summary>
internal sealed class SettingMap(PlanReader reader, string scenarioPath, PlanNode scenarioNode)
{
    private readonly List<(string Setting, string Path, PlanNode Node)> _entries = [];

    /// <summary>Records that the DSL's <paramref name="setting"/> came from <paramref name="path"/> (at <paramref name="node"/>; the scenario's when it is not there).</summary>
    public void Add(string setting, string path, PlanNode? node) => _entries.Add((setting, path, node ?? scenarioNode));

    /// <summary>
    /// Reports the DSL's problems at their places in the plan, leaving out what follows from the reader's: a problem at
    /// a place the reader already reported, and an empty list whose items the reader could not read.
    /// </summary>
    public void Report(IEnumerable<ValidationProblem> problems)
    {
        var located = problems.Select(p => (Problem: p, Place: Locate(p.Setting))).ToArray();
        foreach (var (problem, (path, node)) in located.Where(p => !reader.HasProblemAt(p.Place.Path) && !(p.Problem.Value == "none" && reader.HasProblemInside(p.Place.Path))).ToArray())
        {
            reader.Problem(node, path, problem.Value, problem.Allowed);
        }
    }

    private (string Path, PlanNode Node) Locate(string setting)
    {
        var (prefix, path, node) = _entries.Where(e => Covers(e.Setting, setting)).OrderByDescending(e => e.Setting.Length)
            .DefaultIfEmpty(("", scenarioPath, scenarioNode)).First();

        // What follows the mapped part: ".Users" → ".users"; a quoted step name after a space adds nothing.
        var rest = setting[prefix.Length..];
        var space = rest.IndexOf(' ', StringComparison.Ordinal);
        rest = space >= 0 ? rest[..space] : rest;
        var segments = rest.Split('.', StringSplitOptions.RemoveEmptyEntries).Select(s => char.ToLowerInvariant(s[0]) + s[1..]);
        return (segments.Aggregate(path, PlanReader.Child), node);
    }

    private static bool Covers(string prefix, string setting) =>
        setting.StartsWith(prefix, StringComparison.Ordinal) && (setting.Length == prefix.Length || setting[prefix.Length] is '.' or ' ' || prefix.Length == 0);
}
