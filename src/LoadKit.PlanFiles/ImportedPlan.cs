using LoadKit.PlanFiles.Import;

namespace LoadKit;

/// <summary>
/// A plan made by <see cref="PlanImport"/> from a HAR recording or a Postman collection, with everything the input held
/// that the plan does not (<see cref="NotImported"/>) or that was left out (<see cref="LeftOut"/>). The plan text lists
/// both as comments on top; <see cref="PlanFile.Parse"/> reads it.
/// </summary>
public sealed class ImportedPlan
{
    private readonly PlanDraft _draft;

    internal ImportedPlan(PlanDraft draft) => _draft = draft;

    /// <summary>The file or name it was imported from.</summary>
    public string Source => _draft.Source;

    /// <summary>What the input was: <c>HAR 1.2</c> or <c>Postman collection v2.1</c>.</summary>
    public string Format => _draft.Format;

    /// <summary>The step names of the requests imported, in order.</summary>
    public IReadOnlyList<string> Steps => [.. _draft.Requests.Select(r => r.Name)];

    /// <summary>
    /// What the input holds that a plan cannot express, one sentence each naming where it is and what to do instead:
    /// scripts, auth types other than bearer, basic and API key, file uploads, variables the input does not define,
    /// recorded cookies.
    /// </summary>
    public IReadOnlyList<string> NotImported => _draft.NotImported;

    /// <summary>What was left out on purpose or changed, one sentence each: static resources and other hosts (HAR), disabled items, a base-address variable made <c>http.baseAddress</c>.</summary>
    public IReadOnlyList<string> LeftOut => _draft.Skipped;

    /// <summary>The plan as YAML, with the notes as comments on top.</summary>
    public string ToYaml() => _draft.ToYaml();

    /// <summary>The plan as JSON (plan files allow comments), with the notes as comments on top.</summary>
    public string ToJson() => _draft.ToJson();

    /// <summary>The plan as JSON when <paramref name="path"/> ends in <c>.json</c>, as YAML otherwise.</summary>
    /// <param name="path">The file the plan is meant for.</param>
    public string ToText(string path) => string.Equals(Path.GetExtension(path), ".json", StringComparison.OrdinalIgnoreCase) ? ToJson() : ToYaml();
}
