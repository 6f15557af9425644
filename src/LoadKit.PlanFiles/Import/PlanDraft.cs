using System.Globalization;
using System.Text;
using System.Text.Json;
using YamlDotNet.Core;
using YamlDotNet.Serialization;
using YamlDotNet.Serialization.EventEmitters;

namespace LoadKit.PlanFiles.Import;

/// <summary>
/// What an importer read, before it is written as a plan: one scenario of requests in order, the variables they use,
/// and every note on what could not be imported or was left out. Writes the plan as YAML or JSON with the notes as
/// comments on top (plan files allow comments in both).
/// </summary>
internal sealed class PlanDraft(string source, string format, string scenarioName)
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private readonly HashSet<string> _names = new(StringComparer.Ordinal);

    public string Source { get; } = source;

    public string Format { get; } = format;

    public string ScenarioName { get; } = scenarioName;

    public string? BaseAddress { get; set; }

    public List<KeyValuePair<string, string>> Variables { get; } = [];

    public List<ImportedRequest> Requests { get; } = [];

    public List<string> NotImported { get; } = [];

    public List<string> Skipped { get; } = [];

    /// <summary>Adds a request under a step name no other step has (a second "GET /items" becomes "GET /items (2)").</summary>
    public void Add(ImportedRequest request)
    {
        var name = string.IsNullOrWhiteSpace(request.Name) ? $"{request.Method} {request.Url}" : request.Name.Trim();
        var unique = name;
        for (var n = 2; !_names.Add(unique); n++)
        {
            unique = $"{name} ({n})";
        }

        request.Name = unique;
        if (request.BodyKind == BodyKind.None && request.ContentType is not null)
        {
            Skipped.Add($"request '{unique}': its Content-Type header ({request.ContentType}): it sends no body");
        }

        Requests.Add(request);
    }

    public string ToYaml()
    {
        var yaml = new SerializerBuilder().WithQuotingNecessaryStrings().DisableAliases()
            .WithEventEmitter(next => new ExactTextEmitter(next)).Build().Serialize(Tree());
        return Comments("#") + yaml;
    }

    public string ToJson() => Comments("//") + JsonSerializer.Serialize(Tree(), Indented) + Environment.NewLine;

    private string Comments(string mark)
    {
        var text = new StringBuilder();
        // A note quotes what the input holds: a line break in it must not end the comment.
        void Line(string line) => text.Append(mark).Append(line.Length == 0 ? "" : " " + line.ReplaceLineEndings(" ")).Append('\n');
        Line($"Imported by 'loadkit import' from {Path.GetFileName(Source)} ({Format}): {Requests.Count} request{(Requests.Count == 1 ? "" : "s")}, in the order they were {(Format.StartsWith("HAR", StringComparison.Ordinal) ? "recorded" : "listed")}.");
        Line("The load replays them once with one user: set the load you want (docs/plan-files.md).");
        if (NotImported.Count > 0)
        {
            Line("");
            Line($"NOT IMPORTED ({NotImported.Count}): a plan has no way to say these; add what matters by hand (checks, extract, variables, feeds):");
            NotImported.ForEach(n => Line("  - " + n));
        }

        if (Skipped.Count > 0)
        {
            Line("");
            Line($"Left out or changed ({Skipped.Count}):");
            Skipped.ForEach(n => Line("  - " + n));
        }

        Line("");
        return text.ToString();
    }

    private Dictionary<string, object?> Tree()
    {
        var plan = new Dictionary<string, object?>();
        if (Variables.Count > 0)
        {
            plan["variables"] = Variables.ToDictionary(v => v.Key, v => (object?)v.Value, StringComparer.Ordinal);
        }

        if (BaseAddress is not null)
        {
            plan["http"] = new Dictionary<string, object?> { ["baseAddress"] = BaseAddress };
        }

        plan["scenarios"] = new List<object?>
        {
            new Dictionary<string, object?>
            {
                ["name"] = ScenarioName,
                ["steps"] = Requests.Select(Step).ToList(),
                ["load"] = new List<object?> { new Dictionary<string, object?> { ["iterationsPerUser"] = new Dictionary<string, object?> { ["users"] = 1, ["iterations"] = 1 } } },
            },
        };
        return plan;
    }

    private static Dictionary<string, object?> Step(ImportedRequest imported)
    {
        var request = new Dictionary<string, object?>();
        if (imported.Method != "GET")
        {
            request["method"] = imported.Method;
        }

        request["url"] = imported.Url;
        if (imported.Headers.Count > 0)
        {
            request["headers"] = imported.MergedHeaders().ToDictionary(h => h.Key, h => (object?)h.Value, StringComparer.Ordinal);
        }

        switch (imported.BodyKind)
        {
            case BodyKind.Json:
                request["json"] = imported.Body;
                break;
            case BodyKind.Form:
                request["form"] = imported.Form.ToDictionary(f => f.Key, f => (object?)f.Value, StringComparer.Ordinal);
                break;
            case BodyKind.Text:
                request["body"] = imported.Body;
                request["contentType"] = imported.ContentType ?? "text/plain; charset=utf-8";
                break;
        }

        var step = new Dictionary<string, object?> { ["name"] = imported.Name, ["request"] = request };
        if (imported.Status is { } status)
        {
            step["checks"] = new List<object?> { new Dictionary<string, object?> { ["status"] = status } };
        }

        if (imported.Extract.Count > 0)
        {
            step["extract"] = imported.Extract.DistinctBy(e => e.Key).ToDictionary(e => e.Key, e => (object?)new Dictionary<string, object?> { ["jsonPath"] = e.Value }, StringComparer.Ordinal);
        }

        return step;
    }

    /// <summary>A count and a noun: "1 request", "3 requests".</summary>
    public static string Count(int count, string noun) => count.ToString(CultureInfo.InvariantCulture) + " " + noun + (count == 1 ? "" : "s");

    /// <summary>
    /// Writes a text of several lines so that it reads back byte for byte: a literal block when that is exact (a JSON
    /// body stays readable), double quotes with escapes otherwise (YAML turns a block's CRLF into LF, and multipart
    /// bodies need CRLF).
    /// </summary>
    private sealed class ExactTextEmitter(IEventEmitter next) : ChainedEventEmitter(next)
    {
        public override void Emit(ScalarEventInfo eventInfo, IEmitter emitter)
        {
            if (eventInfo.Source.Value is string text && text.Contains('\n', StringComparison.Ordinal))
            {
                var literal = !text.Contains('\r', StringComparison.Ordinal) && !text.Contains('\t', StringComparison.Ordinal) && !text.StartsWith(' ')
                    && text.Split('\n').All(line => line.Length == 0 || !char.IsWhiteSpace(line[^1]));
                eventInfo.Style = literal ? ScalarStyle.Literal : ScalarStyle.DoubleQuoted;
            }

            base.Emit(eventInfo, emitter);
        }
    }
}
