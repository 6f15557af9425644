using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using HttpResults = Microsoft.AspNetCore.Http.Results;

namespace LoadKit.ControlPage.Plans;

/// <summary>
/// The plan editor's HTTP side: the plans of one folder listed, loaded (text and model), checked, saved only when
/// LoadKit.PlanFiles accepts them, created, renamed, deleted, and HAR or Postman files imported; and the editor's
/// script and style (<c>/plans.js</c>, <c>/plans.css</c>). Every request that changes something takes a JSON body,
/// so the host's cross-site checks cover it; the host adds authentication around the group.
/// </summary>
internal static class PlanEditorEndpoints
{
    /// <summary>The largest plan text or model accepted (bytes of the request).</summary>
    public const int MaxPlanBytes = 1 << 20;

    /// <summary>The largest HAR or Postman file accepted for import (bytes of the request).</summary>
    public const int MaxImportBytes = 16 << 20;

    private const string StarterPlan = """
        http:
          baseAddress: http://127.0.0.1:5000
        scenarios:
          - name: scenario
            steps:
              - name: home
                request: { method: GET, url: / }
                checks:
                  - status: 200
            load:
              - constantUsers: { users: 1, during: 10s }

        """;

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>
    /// Maps <c>/api/plans...</c> over the plans in <paramref name="plansFolder"/> (created when missing), and
    /// <c>/plans.js</c> and <c>/plans.css</c>, which the page includes before calling <c>LoadKitPlans.mount(element)</c>.
    /// <paramref name="changed"/> is called after a plan was saved, created, renamed or deleted (the page's Runs tab
    /// lists the plans it can start).
    /// </summary>
    public static RouteGroupBuilder MapPlanEditor(this IEndpointRouteBuilder endpoints, string plansFolder, Action? changed = null)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        var folder = new PlanFolder(plansFolder);
        var group = endpoints.MapGroup("");
        group.MapGet("/plans.js", () => Asset("plans.js", "text/javascript; charset=utf-8"));
        group.MapGet("/plans.css", () => Asset("plans.css", "text/css; charset=utf-8"));

        var api = group.MapGroup("/api/plans");
        api.MapGet("", () => Reply(new
        {
            folder = folder.Path,
            plans = folder.List().Select(f => new { name = f.Name, bytes = f.Length, modified = f.LastWriteTimeUtc }),
        }));
        api.MapGet("/{name}", (string name) => WithPlan(folder, name, file => Reply(PlanCheck.OfText(name, File.ReadAllText(file), folder.Path))));
        api.MapPost("/validate", (HttpRequest http) => WithBody<PlanBody>(http, MaxPlanBytes, body =>
        {
            var (view, problem) = View(body.Name ?? "plan.yaml", body, folder);
            return problem ?? Reply(view!);
        }));
        api.MapPut("/{name}", (HttpRequest http, string name) => WithBody<PlanBody>(http, MaxPlanBytes, body => Told(Save(folder, name, body, create: false), changed)));
        api.MapPost("", (HttpRequest http) => WithBody<PlanBody>(http, MaxPlanBytes, body => Told(Save(folder, body.Name, body, create: true), changed)));
        api.MapPost("/{name}/rename", (HttpRequest http, string name) => WithBody<RenameBody>(http, 4096, body => Told(Rename(folder, name, body.To), changed)));
        api.MapDelete("/{name}", (string name) => Told(WithPlan(folder, name, file =>
        {
            File.Delete(file);
            return HttpResults.NoContent();
        }), changed));
        api.MapPost("/import", (HttpRequest http) => WithBody<ImportBody>(http, MaxImportBytes, body => Import(folder, body)));
        return group;
    }

    /// <summary>Calls <paramref name="changed"/> when <paramref name="result"/> says the folder changed (a 2xx answer).</summary>
    private static IResult Told(IResult result, Action? changed)
    {
        if (result is IStatusCodeHttpResult { StatusCode: >= 200 and < 300 } or IStatusCodeHttpResult { StatusCode: null })
        {
            changed?.Invoke();
        }

        return result;
    }

    private static IResult Save(PlanFolder folder, string? name, PlanBody body, bool create)
    {
        if (PlanFolder.NameProblem(name) is { } nameProblem)
        {
            return Refuse(400, nameProblem);
        }

        var file = folder.FileOf(name!);
        if (create && File.Exists(file))
        {
            return Refuse(409, $"a plan named '{name}' exists already: choose another name, or save over it with PUT /api/plans/{name}");
        }

        var (view, problem) = create && body.Text is null && body.Model is null ? (PlanCheck.OfText(name!, StarterPlan, folder.Path), null) : View(name!, body, folder);
        if (problem is not null)
        {
            return problem;
        }

        if (!view!.Valid)
        {
            // Nothing is written: a plan on disk is always one LoadKit runs.
            return HttpResults.Json(new { error = $"'{name}' was not saved: it has {view.Problems.Count} problem(s)", view.Problems, view }, Json, statusCode: 422);
        }

        folder.Write(name!, view.Text);
        return HttpResults.Json(view, Json, statusCode: create ? 201 : 200);
    }

    private static IResult Rename(PlanFolder folder, string name, string? to) => WithPlan(folder, name, file =>
    {
        if (PlanFolder.NameProblem(to) is { } problem)
        {
            return Refuse(400, "to: " + problem);
        }

        var target = folder.FileOf(to!);
        if (File.Exists(target))
        {
            return Refuse(409, $"a plan named '{to}' exists already: delete it first, or choose another name");
        }

        if (PlanText.IsJson(name) != PlanText.IsJson(to!))
        {
            return Refuse(400, $"'{name}' cannot become '{to}': a rename keeps the format (.json stays .json, .yaml and .yml stay YAML); save the plan under the new name from the editor instead");
        }

        File.Move(file, target);
        return Reply(new { name = to });
    });

    private static IResult Import(PlanFolder folder, ImportBody body)
    {
        if (string.IsNullOrEmpty(body.Content))
        {
            return Refuse(400, "content: the text of a HAR 1.2 file or a Postman collection v2.1 is required");
        }

        var source = string.IsNullOrWhiteSpace(body.FileName) ? "import.json" : Path.GetFileName(body.FileName);
        ImportedPlan imported;
        try
        {
            imported = PlanImport.Parse(body.Content, source, new PlanImportOptions
            {
                Hosts = body.Hosts ?? [],
                IncludeStaticResources = body.IncludeStatic,
                ScenarioName = string.IsNullOrWhiteSpace(body.Scenario) ? null : body.Scenario,
            });
        }
        catch (InvalidDataException e)
        {
            return Refuse(400, e.Message);
        }

        // The name the plan would be saved as: the file's, as 'loadkit import' does.
        var name = PlanFolder.NameProblem(Path.ChangeExtension(source, ".yaml")) is null ? Path.ChangeExtension(source, ".yaml") : "imported.yaml";
        var view = PlanCheck.OfText(name, imported.ToYaml(), folder.Path);
        return Reply(new { name, imported.Format, imported.Steps, imported.NotImported, imported.LeftOut, view });
    }

    /// <summary>The view of a body's plan: its model when it has one (the form's), its text otherwise (the raw view's).</summary>
    private static (PlanView? View, IResult? Problem) View(string name, PlanBody body, PlanFolder folder)
    {
        if (PlanFolder.NameProblem(name) is { } nameProblem)
        {
            return (null, Refuse(400, "name: " + nameProblem));
        }

        return (body.Model, body.Text) switch
        {
            ({ } model, null) when model is JsonObject => (PlanCheck.OfModel(name, model, folder.Path), null),
            (null, { } text) => (PlanCheck.OfText(name, text, folder.Path), null),
            _ => (null, Refuse(400, "the body holds the plan as model (a JSON object: the plan in its JSON form) or as text (YAML or JSON), one of the two")),
        };
    }

    private static IResult WithPlan(PlanFolder folder, string name, Func<string, IResult> action)
    {
        if (PlanFolder.NameProblem(name) is { } problem)
        {
            return Refuse(400, problem);
        }

        var file = folder.FileOf(name);
        return File.Exists(file) ? action(file) : Refuse(404, $"no plan named '{name}' in {folder.Path}");
    }

    /// <summary>Reads a JSON body (and nothing else: a form post is refused, so cross-site checks cover every change).</summary>
    private static async Task<IResult> WithBody<T>(HttpRequest request, int maxBytes, Func<T, IResult> action)
        where T : class
    {
        if (!request.HasJsonContentType())
        {
            return Refuse(415, $"the body must be JSON (Content-Type: application/json), not '{request.ContentType}'");
        }

        if (request.ContentLength > maxBytes)
        {
            return Refuse(413, $"the body has {request.ContentLength} bytes; at most {maxBytes} are accepted here");
        }

        T? body;
        try
        {
            using var limited = new MemoryStream();
            await request.Body.CopyToAsync(limited, request.HttpContext.RequestAborted).ConfigureAwait(false);
            if (limited.Length > maxBytes)
            {
                return Refuse(413, $"the body has more than {maxBytes} bytes, the most accepted here");
            }

            limited.Position = 0;
            body = await JsonSerializer.DeserializeAsync<T>(limited, Json, request.HttpContext.RequestAborted).ConfigureAwait(false);
        }
        catch (JsonException e)
        {
            return Refuse(400, $"the body is not the JSON expected: {e.Message}");
        }

        return body is null ? Refuse(400, "the body is empty: a JSON object is expected") : action(body);
    }

    private static IResult Asset(string file, string contentType)
    {
        var stream = typeof(PlanEditorEndpoints).Assembly.GetManifestResourceStream("LoadKit.ControlPage.Assets." + file)
            ?? throw new InvalidOperationException($"The resource LoadKit.ControlPage.Assets.{file} is missing from LoadKit.ControlPage.");
        return HttpResults.Stream(stream, contentType);
    }

    private static IResult Reply(object value) => HttpResults.Json(value, Json);

    private static IResult Refuse(int status, string error) => HttpResults.Json(new { error }, Json, statusCode: status);

    /// <summary>A plan to check or save: <see cref="Model"/> (from the form) or <see cref="Text"/> (from the raw view).</summary>
    internal sealed record PlanBody(string? Name, string? Text, JsonNode? Model);

    internal sealed record RenameBody(string? To);

    internal sealed record ImportBody(string? FileName, string? Content, IReadOnlyList<string>? Hosts, bool IncludeStatic, string? Scenario);
}
