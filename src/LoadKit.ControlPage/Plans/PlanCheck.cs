using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace LoadKit.ControlPage.Plans;

/// <summary>
/// One problem of a plan as the editor shows it: <see cref="Field"/> is the path of the form field it belongs to (the
/// plan's own <see cref="Path"/>, made precise where LoadKit names a request's part in words: the address, a header,
/// an extraction), the rest as <see cref="PlanProblem"/> has it.
/// </summary>
internal sealed record FieldProblem(string Path, string Field, int Line, int Column, string Value, string Allowed, string Message);

/// <summary>A compiled scenario as the editor lists it: what the plan runs.</summary>
internal sealed record ScenarioSummary(string Name, IReadOnlyList<string> Steps, IReadOnlyList<string> Load, IReadOnlyList<string> WarmUp, IReadOnlyList<string> SmokeLoad, IReadOnlyList<string> Thresholds);

/// <summary>A plan's text, its model, and what LoadKit.PlanFiles makes of it: every problem, or the scenarios it compiles to.</summary>
internal sealed record PlanView(
    string Name,
    string Text,
    JsonNode? Model,
    bool HasComments,
    bool Valid,
    IReadOnlyList<FieldProblem> Problems,
    IReadOnlyList<ScenarioSummary> Scenarios);

/// <summary>Checks a plan through <see cref="PlanFile.Parse"/>, the code that runs it, and places each problem on its field.</summary>
internal static partial class PlanCheck
{
    /// <summary>The view of a plan given as text.</summary>
    public static PlanView OfText(string name, string text, string folder)
    {
        // A text the model cannot be read from is refused by PlanFile too, with its line.
        var model = PlanText.Read(text, PlanText.IsJson(name), out var comments);
        return Check(name, text, model, comments, folder);
    }

    /// <summary>The view of a plan given as the editor's model; its text is written from it in the name's format.</summary>
    public static PlanView OfModel(string name, JsonNode model, string folder) =>
        Check(name, PlanText.Write(model, PlanText.IsJson(name)), model, hasComments: false, folder);

    private static PlanView Check(string name, string text, JsonNode? model, bool hasComments, string folder)
    {
        try
        {
            var plan = PlanFile.Parse(text, name, folder);
            return new PlanView(name, text, model, hasComments, true, [], [.. plan.Scenarios.Select(Summary)]);
        }
        catch (PlanFileException e)
        {
            return new PlanView(name, text, model, hasComments, false, [.. e.Problems.Select(p => Place(p, model))], []);
        }
    }

    private static ScenarioSummary Summary(Scenario scenario) => new(
        scenario.Name,
        scenario.StepNames,
        [.. scenario.Load.Select(p => p.ToString()!)],
        [.. scenario.WarmUp.Select(p => p.ToString()!)],
        [.. scenario.SmokeLoad.Select(p => p.ToString()!)],
        [.. scenario.Thresholds.Select(t => t.ToString())]);

    /// <summary>
    /// A request's problems that LoadKit's HTTP step finds are reported at the step, with the part named in words
    /// ("the address ...", "header 'X': ..."): the field is that part.
    /// </summary>
    private static FieldProblem Place(PlanProblem problem, JsonNode? model)
    {
        var field = problem.Path;
        if (IsRequestItem(problem.Path, model) && RequestPart().Match(problem.Allowed) is { Success: true } part)
        {
            var named = part.Groups["name"].Value;
            field = part.Groups["part"].Value switch
            {
                "the address" or "path" => problem.Path + ".request.url",
                "query" => $"{problem.Path}.request.query.{named}",
                "header" => $"{problem.Path}.request.headers.{named}",
                "form field" => $"{problem.Path}.request.form.{named}",
                "body" => problem.Path + (At(model, problem.Path + ".request.json") is not null ? ".request.json" : ".request.body"),
                "timeout" => problem.Path + ".request.timeout",
                "extraction" => $"{problem.Path}.extract.{named}",
                _ => problem.Path + ".checks",
            };
        }

        var message = $"{(problem.Value.Length > 0 ? problem.Value + ": " : "")}{problem.Allowed}";
        return new FieldProblem(problem.Path, field, problem.Line, problem.Column, problem.Value, problem.Allowed, message);
    }

    private static bool IsRequestItem(string path, JsonNode? model) => path.EndsWith(']') && At(model, path) is JsonObject item && item.ContainsKey("request");

    /// <summary>The node at a plan path such as <c>scenarios[0].steps[1].request</c>; null when there is none.</summary>
    private static JsonNode? At(JsonNode? model, string path)
    {
        var node = model;
        foreach (Match segment in PathSegment().Matches(path))
        {
            node = segment.Groups["index"].Success
                ? node is JsonArray list && int.Parse(segment.Groups["index"].Value, CultureInfo.InvariantCulture) is var i && i < list.Count ? list[i] : null
                : node is JsonObject map && map.TryGetPropertyValue(segment.Groups["key"].Value, out var value) ? value : null;
            if (node is null)
            {
                return null;
            }
        }

        return node;
    }

    [GeneratedRegex(@"^(?<part>the address|path|query|header|form field|body|timeout|extraction|check)( '(?<name>[^']*)')?[: ]", RegexOptions.CultureInvariant)]
    private static partial Regex RequestPart();

    [GeneratedRegex(@"(?<key>[^.\[\]]+)|\[(?<index>\d+)\]", RegexOptions.CultureInvariant)]
    private static partial Regex PathSegment();
}
