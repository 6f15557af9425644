using System.Collections.Concurrent;
using LoadKit.TestTargets;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using HttpResults = Microsoft.AspNetCore.Http.Results;

namespace LoadKit.PlanFiles.Tests.Import;

/// <summary>
/// A realistic Postman collection v2.1 (shop.postman_collection.json: variables, folders, inherited bearer, API-key,
/// basic and OAuth 2 auth, raw JSON, URL-encoded and form-data bodies, scripts) imported, then run against a real
/// Kestrel shop on 127.0.0.1 that checks what each request carried.
/// </summary>
public class PostmanImportTests
{
    private const string RecordedAddress = "http://127.0.0.1:5000";

    private WebApplication _app = null!;
    private Uri _address = null!;
    private readonly ConcurrentDictionary<string, int> _hits = new();

    [SetUp]
    public async Task StartShop()
    {
        _hits.Clear();
        _app = LoopbackApp.Create();
        IResult Hit(string what, bool ok, int status = 200)
        {
            _hits.AddOrUpdate(ok ? what : what + " rejected", 1, (_, n) => n + 1);
            return ok ? HttpResults.Text("ok", statusCode: status) : HttpResults.StatusCode(401);
        }

        static bool Bearer(HttpRequest request) => request.Headers.Authorization == "Bearer tok-anna";
        _app.MapPost("/auth/login", async (HttpRequest request) =>
        {
            var login = await request.ReadFromJsonAsync<Login>();
            _hits.AddOrUpdate("login", 1, (_, n) => n + 1);
            return login is { User: "anna", Password: "secret" } ? HttpResults.Json(new { token = "tok-anna" }) : HttpResults.StatusCode(403);
        });
        _app.MapGet("/api/orders", (HttpRequest request) =>
            Hit("list", Bearer(request) && request.Query["page"] == "1" && request.Query["size"] == "20" && !request.Query.ContainsKey("debug")));
        _app.MapPost("/api/orders", async (HttpRequest request) =>
        {
            var form = await request.ReadFormAsync();
            return Hit("create", Bearer(request) && form["sku"] == "A-1" && form["qty"] == "2" && !form.ContainsKey("note"), 201);
        });
        _app.MapGet("/api/orders/{id}", (HttpRequest request, string id) => Hit("get", Bearer(request) && id == "4711"));
        _app.MapPost("/api/receipts", async (HttpRequest request) =>
        {
            var form = await request.ReadFormAsync();
            return Hit("receipt", Bearer(request) && form["order"] == "4711" && form.Files.Count == 0);
        });
        _app.MapGet("/reports/daily", (HttpRequest request) => Hit("report", request.Headers["X-Api-Key"] == "k-123"));
        _app.MapGet("/legacy/ping", (HttpRequest request) => Hit("ping", request.Headers.Authorization == "Basic YW5uYTpzZWNyZXQ="));
        _app.MapGet("/admin/stats", () => Hit("stats", ok: true));
        _address = (await LoopbackApp.StartAsync(_app))[0];
    }

    [TearDown]
    public async Task StopShop() => await _app.DisposeAsync();

    /// <summary>The collection as the team exported it, its <c>baseUrl</c> pointed at the test's shop.</summary>
    private string Collection() =>
        File.ReadAllText(Path.Combine(TestContext.CurrentContext.TestDirectory, "Import", "shop.postman_collection.json"))
            .Replace(RecordedAddress, _address.GetLeftPart(UriPartial.Authority), StringComparison.Ordinal);

    [Test]
    public async Task Parse_PostmanCollection_RunsEveryImportableRequestWithItsAuthBodyAndTokenChain()
    {
        var imported = PlanImport.Parse(Collection(), "shop.postman_collection.json");
        var plan = PlanFile.Parse(imported.ToYaml(), "shop.yaml");

        var result = await LoadRunner.RunAsync(plan.Scenarios).WaitAsync(TimeSpan.FromSeconds(60));

        TestContext.Out.WriteLine(imported.ToYaml());
        TestContext.Out.WriteLine(SummaryTable.Render(result));
        Assert.That(imported.Format, Is.EqualTo("Postman collection v2.1"));
        Assert.That(imported.Steps, Is.EqualTo(new[] { "Log in", "List orders", "Create order", "Get order", "Upload receipt", "Daily report", "Legacy ping", "Stats" }));
        // One iteration of one user: every request the plan can send arrived once, carrying what the shop checks.
        Assert.That(_hits, Is.EquivalentTo(new Dictionary<string, int>
        {
            ["login"] = 1, ["list"] = 1, ["create"] = 1, ["get"] = 1, ["receipt"] = 1, ["report"] = 1, ["ping"] = 1,
        }));
        Assert.That(result.Scenarios.Single().Name, Is.EqualTo("Shop API"));
        Assert.That(imported.Steps.Take(7).Select(s => result.GetStep(s).Ok), Has.All.EqualTo(1));
        // {{$guid}} has no value in a plan: the request fails before it is sent, as the notes said it would.
        Assert.That(result.GetStep("Stats").Failed, Is.EqualTo(1));
    }

    [Test]
    public void Parse_PostmanCollection_ListsEverythingNotImported()
    {
        var imported = PlanImport.Parse(Collection(), "shop.postman_collection.json");

        Assert.That(imported.NotImported, Has.Count.EqualTo(6), string.Join(Environment.NewLine, imported.NotImported));
        Assert.That(imported.NotImported, Has.One.StartsWith("the collection: its test script (1 line, first: pm.test(\"responds fast\""));
        Assert.That(imported.NotImported, Has.One.StartsWith("request 'Auth/Log in': its test script (5 lines").And.Contains("made from it: extract token ← $.token"));
        Assert.That(imported.NotImported, Has.One.StartsWith("folder 'Orders': its pre-request script (1 line"));
        Assert.That(imported.NotImported, Has.One.StartsWith("request 'Orders/Upload receipt': form-data field 'receipt' uploads a file (/home/anna/receipts/4711.pdf)"));
        Assert.That(imported.NotImported, Has.One.StartsWith("request 'Admin/Stats': 'oauth2' auth"));
        Assert.That(imported.NotImported, Has.One.StartsWith("the Postman dynamic variable {{$guid}} (request 'Admin/Stats': header 'X-Request-Id')"));
        Assert.That(imported.LeftOut, Is.EquivalentTo(new[]
        {
            "variable 'legacy': disabled in the collection",
            "request 'Orders/List orders': header 'X-Trace': disabled in the collection",
            "request 'Orders/List orders': query parameter 'debug': disabled in the collection",
            "request 'Orders/Create order': form field 'note': disabled in the collection",
            "1 saved example response: examples are documentation, not requests",
            $"the variable 'baseUrl' = {_address.GetLeftPart(UriPartial.Authority)}: became http.baseAddress, the one place to point the plan at another server",
        }));
        // The plan says it too, on top, for whoever opens it.
        var yaml = imported.ToYaml();
        Assert.That(yaml, Does.StartWith("# Imported by 'loadkit import' from shop.postman_collection.json (Postman collection v2.1): 8 requests"));
        Assert.That(imported.NotImported.Concat(imported.LeftOut).Select(n => yaml.Contains("#   - " + n, StringComparison.Ordinal)), Has.All.True);
    }

    [Test]
    public void Parse_PostmanCollectionAsJson_CompilesToTheSamePlan()
    {
        var imported = PlanImport.Parse(Collection(), "shop.postman_collection.json");

        var fromJson = PlanFile.Parse(imported.ToJson(), "shop.json");
        var fromYaml = PlanFile.Parse(imported.ToYaml(), "shop.yaml");

        Assert.That(fromJson.Scenarios.Single().StepNames, Is.EqualTo(fromYaml.Scenarios.Single().StepNames));
        Assert.That(imported.ToJson(), Does.StartWith("// Imported by 'loadkit import'"));
    }

    [Test]
    public void Parse_WithPostmanEnvironment_ItsValuesDefineAndOverrideVariables()
    {
        // The team keeps the server's address in an environment, not in the collection.
        var collection = Collection().Replace($"{{ \"key\": \"baseUrl\", \"value\": \"{_address.GetLeftPart(UriPartial.Authority)}\", \"type\": \"string\" }},", "", StringComparison.Ordinal);
        var environment = Path.Combine(TestContext.CurrentContext.WorkDirectory, $"staging-{Guid.NewGuid():N}.postman_environment.json");
        File.WriteAllText(environment, $$"""
            { "name": "staging", "values": [
                { "key": "baseUrl", "value": "{{_address.GetLeftPart(UriPartial.Authority)}}", "enabled": true },
                { "key": "user", "value": "bert", "enabled": true },
                { "key": "password", "value": "old", "enabled": false } ] }
            """);
        try
        {
            var without = PlanImport.Parse(collection, "shop.postman_collection.json");
            var with = PlanImport.Parse(collection, "shop.postman_collection.json", new PlanImportOptions { PostmanEnvironment = environment });

            Assert.That(without.NotImported, Has.Some.StartsWith("the variable {{baseUrl}} (request 'Auth/Log in': URL;"));
            Assert.That(with.NotImported, Has.None.Contains("{{baseUrl}}"));
            var name = Path.GetFileName(environment);
            Assert.That(with.LeftOut, Is.SupersetOf(new[] { $"environment {name}: value 'password': disabled", $"environment {name}: 2 values added to the variables (over the collection's of the same name)" }));
            var yaml = with.ToYaml();
            Assert.That(yaml, Does.Contain($"baseAddress: {_address.GetLeftPart(UriPartial.Authority)}").And.Contain("user: bert").And.Contain("password: secret"));
            Assert.That(Assert.Throws<InvalidDataException>(() => PlanImport.Parse(collection, "c.json", new PlanImportOptions { PostmanEnvironment = environment + ".gone" }))!.Message,
                Does.StartWith($"{name}.gone: the Postman environment cannot be read:"));
        }
        finally
        {
            File.Delete(environment);
        }
    }

    [Test]
    public void Parse_VariablesNamingVariables_FilledInAtImportOrListed()
    {
        var collection = """
            { "info": { "name": "nested", "schema": "https://schema.getpostman.com/json/collection/v2.1.0/collection.json" },
              "variable": [ { "key": "scheme", "value": "http" }, { "key": "host", "value": "127.0.0.1:5000" },
                            { "key": "baseUrl", "value": "{{scheme}}://{{host}}" }, { "key": "tenant", "value": "t-{{region}}" } ],
              "item": [ { "name": "ping", "request": { "method": "GET", "url": "{{baseUrl}}/ping?tenant={{tenant}}" } } ] }
            """;

        var imported = PlanImport.Parse(collection, "nested.json");

        Assert.That(PlanFile.Parse(imported.ToYaml(), "nested.yaml").Scenarios.Single().StepNames, Is.EqualTo(new[] { "ping" }));
        Assert.That(imported.ToYaml(), Does.Contain("baseAddress: http://127.0.0.1:5000").And.Contain("url: /ping?tenant={{tenant}}"));
        Assert.That(imported.LeftOut, Has.One.EqualTo("variable 'baseUrl' = '{{scheme}}://{{host}}': filled in from the other variables (a plan's variables are values, not templates)"));
        Assert.That(imported.NotImported, Has.One.StartsWith("variable 'tenant' = 't-{{region}}': it names a variable that has no plain value here"));
    }

    [Test]
    public void Parse_PostmanCollectionV20_FailsNamingTheSchemaAndWhatIsAllowed()
    {
        var v20 = Collection().Replace("v2.1.0", "v2.0.0", StringComparison.Ordinal);

        var error = Assert.Throws<InvalidDataException>(() => PlanImport.Parse(v20, "old.json"))!;

        Assert.That(error.Message, Does.StartWith("old.json: info.schema = 'https://schema.getpostman.com/json/collection/v2.0.0/collection.json': this is not a Postman collection v2.1; allowed: https://schema.getpostman.com/json/collection/v2.1.0/collection.json"));
    }

    [TestCase("[1, 2]", "old.json: neither a HAR file (an object with log.entries) nor a Postman collection")]
    [TestCase("{ \"log\": ", "old.json: not JSON (line 1")]
    [TestCase("{ \"info\": { \"schema\": \"https://schema.getpostman.com/json/collection/v2.1.0/collection.json\" }, \"item\": [] }", "old.json: no request to import (Postman collection v2.1)")]
    public void Parse_NotAnImportableFile_FailsNamingTheFileAndWhatIsAllowed(string text, string message)
    {
        var error = Assert.Throws<InvalidDataException>(() => PlanImport.Parse(text, "old.json"))!;

        Assert.That(error.Message, Does.StartWith(message));
    }

    private sealed record Login(string User, string Password);
}
