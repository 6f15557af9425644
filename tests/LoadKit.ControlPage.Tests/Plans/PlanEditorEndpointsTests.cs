using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using FluentAssertions;
using LoadKit.TestTargets;

namespace LoadKit.ControlPage.Tests.Plans;

public class PlanEditorEndpointsTests
{
    private const string ValidPlan = """
        http:
          baseAddress: http://127.0.0.1:5000
        scenarios:
          - name: shop
            steps:
              - name: item
                request: { url: /items/1 }
            load:
              - constantUsers: { users: 2, during: 5s }
        """;

    private PlanEditorServer _server = null!;
    private HttpClient _client = null!;

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        _server = await PlanEditorServer.StartAsync();
        _client = _server.Client();
    }

    [OneTimeTearDown]
    public async Task StopAsync()
    {
        _client.Dispose();
        await _server.DisposeAsync();
    }

    [SetUp]
    public void EmptyFolder()
    {
        foreach (var file in Directory.EnumerateFiles(_server.Folder))
        {
            File.Delete(file);
        }
    }

    [Test]
    public async Task List_FolderWithPlansAndOtherFiles_ListsThePlansByName()
    {
        File.WriteAllText(Path.Combine(_server.Folder, "b.json"), "{}");
        File.WriteAllText(Path.Combine(_server.Folder, "a.yaml"), ValidPlan);
        File.WriteAllText(Path.Combine(_server.Folder, "notes.txt"), "not a plan");

        var list = await _client.GetFromJsonAsync<JsonObject>("/api/plans");

        list!["plans"]!.AsArray().Select(p => (string?)p!["name"]).Should().Equal("a.yaml", "b.json");
        ((string?)list["folder"]).Should().Be(Path.GetFullPath(_server.Folder));
    }

    [Test]
    public async Task Load_SampleWithComments_ReturnsTextModelAndScenarioAndSaysItHasComments()
    {
        CopySample();

        var view = await _client.GetFromJsonAsync<JsonObject>("/api/plans/checkout.yaml");

        ((string?)view!["text"]).Should().Be(File.ReadAllText(Path.Combine(Repository.Root, "samples", "Plans", "checkout.yaml")));
        ((bool?)view["valid"]).Should().BeTrue();
        ((bool?)view["hasComments"]).Should().BeTrue();
        ((string?)view["model"]!["scenarios"]![0]!["tasks"]![0]!["steps"]![1]!["request"]!["method"]).Should().Be("POST");
        view["scenarios"]![0]!["steps"]!.AsArray().Select(s => (string?)s).Should().Equal("login", "orders", "submit", "hello");
    }

    [Test]
    public async Task Validate_SampleModel_WritesYamlThatCompilesToTheSameScenario()
    {
        CopySample();
        var loaded = await _client.GetFromJsonAsync<JsonObject>("/api/plans/checkout.yaml");

        var response = await _client.PostAsJsonAsync("/api/plans/validate", new { name = "checkout.yaml", model = loaded!["model"] });

        response.StatusCode.Should().Be(HttpStatusCode.OK);
        var view = (await response.Content.ReadFromJsonAsync<JsonObject>())!;
        ((bool?)view["valid"]).Should().BeTrue(because: view.ToJsonString());
        var expected = PlanFile.Load(Path.Combine(_server.Folder, "checkout.yaml")).Scenarios.Single();
        var written = PlanFile.Parse((string)view["text"]!, "written.yaml", _server.Folder).Scenarios.Single();
        written.StepNames.Should().Equal(expected.StepNames);
        written.Load.Select(p => p.ToString()).Should().Equal(expected.Load.Select(p => p.ToString()));
        written.SmokeLoad.Select(p => p.ToString()).Should().Equal(expected.SmokeLoad.Select(p => p.ToString()));
        written.Thresholds.Select(t => t.ToString()).Should().Equal(expected.Thresholds.Select(t => t.ToString()));
        // Plain scalars stay plain: a number is written as the number it was.
        ((string)view["text"]!).Should().Contain("equals: 4711").And.Contain("users: 5");
    }

    [Test]
    public async Task Save_ValidModel_WritesYamlThatPlanFileLoads()
    {
        var model = JsonNode.Parse("""
            { "http": { "baseAddress": "http://127.0.0.1:5000" },
              "scenarios": [ { "name": "shop",
                "steps": [ { "name": "item", "request": { "url": "/items/1", "headers": { "X-Id": "007" } },
                             "extract": { "price": { "jsonPath": "$.item.price" } } } ],
                "load": [ { "arrivalRate": { "rate": 5, "during": "10s", "preAllocatedUsers": 2, "maxUsers": 5 } } ],
                "thresholds": [ { "step": "item", "metric": "p95", "below": "300ms" } ] } ] }
            """);

        var response = await _client.PutAsJsonAsync("/api/plans/shop.yaml", new { model });

        response.StatusCode.Should().Be(HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
        var text = File.ReadAllText(Path.Combine(_server.Folder, "shop.yaml"));
        text.Should().Contain("X-Id: \"007\"", "a header value that reads as a number stays text");
        var scenario = PlanFile.Load(Path.Combine(_server.Folder, "shop.yaml")).GetScenario("shop");
        scenario.StepNames.Should().Equal("item");
        scenario.Load.Single().ToString().Should().Be(Load.ArrivalRate(5, TimeSpan.FromSeconds(10), 2, 5).ToString());
        scenario.Thresholds.Single().ToString().Should().Be(Threshold.Step("item").Percentile(95).Below(TimeSpan.FromMilliseconds(300)).ToString());
    }

    [Test]
    public async Task Save_PlanWithProblems_RefusedWithEachProblemOnItsFieldAndNothingWritten()
    {
        const string plan = """
            http:
              baseAddress: http://127.0.0.1:5000
            scenarios:
              - name: shop
                steps:
                  - request: { url: "ftp://127.0.0.1/items" }
                  - request: { method: GTE, url: /orders, headers: { X-Token: "{{token" } }
                load:
                  - constantUsers: { users: 0, during: 5s }
            """;

        var response = await _client.PutAsJsonAsync("/api/plans/bad.yaml", new { text = plan });

        response.StatusCode.Should().Be((HttpStatusCode)422);
        var body = (await response.Content.ReadFromJsonAsync<JsonObject>())!;
        var problems = body["problems"]!.AsArray().Select(p => ((string)p!["field"]!, (string)p["message"]!)).ToList();
        problems.Should().Contain(p => p.Item1 == "scenarios[0].steps[0].request.url" && p.Item2.Contains("ftp", StringComparison.Ordinal), because: body.ToJsonString());
        problems.Should().Contain(p => p.Item1 == "scenarios[0].steps[1].request.method" && p.Item2.Contains("GTE", StringComparison.Ordinal));
        problems.Should().Contain(p => p.Item1 == "scenarios[0].load[0].constantUsers.users");
        File.Exists(Path.Combine(_server.Folder, "bad.yaml")).Should().BeFalse();
    }

    [TestCase("..%2F..%2Fescape.yaml")]
    [TestCase("..%5Cescape.yaml")]
    [TestCase("escape.txt")]
    [TestCase("a%20b.yaml")]
    [TestCase(".hidden.yaml")]
    [TestCase("plan.yaml%0A")]
    public async Task Names_OutsideTheRule_RefusedWith400NamingTheRule(string name)
    {
        var get = await _client.GetAsync($"/api/plans/{name}");
        var put = await _client.PutAsJsonAsync($"/api/plans/{name}", new { text = ValidPlan });

        foreach (var response in new[] { get, put })
        {
            response.StatusCode.Should().Be(HttpStatusCode.BadRequest);
            (await response.Content.ReadAsStringAsync()).Should().Contain("ending in .yaml, .yml or .json");
        }

        Directory.EnumerateFiles(Path.GetDirectoryName(_server.Folder)!, "escape.*").Should().BeEmpty();
        Directory.EnumerateFiles(_server.Folder).Should().BeEmpty();
    }

    [Test]
    public async Task Create_NameWithPath_RefusedAndNothingWritten()
    {
        var response = await _client.PostAsJsonAsync("/api/plans", new { name = "../escape.yaml", text = ValidPlan });

        response.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        File.Exists(Path.Combine(Path.GetDirectoryName(_server.Folder)!, "escape.yaml")).Should().BeFalse();
    }

    [Test]
    public async Task Save_FormPost_RefusedAs415()
    {
        var response = await _client.PutAsync("/api/plans/form.yaml", new FormUrlEncodedContent([new("text", ValidPlan)]));

        response.StatusCode.Should().Be(HttpStatusCode.UnsupportedMediaType);
        File.Exists(Path.Combine(_server.Folder, "form.yaml")).Should().BeFalse();
    }

    [Test]
    public async Task CreateRenameDelete_OnePlan_ChangesTheFolder()
    {
        var created = await _client.PostAsJsonAsync("/api/plans", new { name = "one.yaml" });
        var again = await _client.PostAsJsonAsync("/api/plans", new { name = "one.yaml", text = ValidPlan });
        created.StatusCode.Should().Be(HttpStatusCode.Created);
        again.StatusCode.Should().Be(HttpStatusCode.Conflict);
        PlanFile.Load(Path.Combine(_server.Folder, "one.yaml")).Scenarios.Should().ContainSingle();

        var renamed = await _client.PostAsJsonAsync("/api/plans/one.yaml/rename", new { to = "two.yml" });
        renamed.StatusCode.Should().Be(HttpStatusCode.OK);
        Directory.EnumerateFiles(_server.Folder).Select(Path.GetFileName).Should().Equal("two.yml");

        var deleted = await _client.DeleteAsync("/api/plans/two.yml");
        deleted.StatusCode.Should().Be(HttpStatusCode.NoContent);
        Directory.EnumerateFiles(_server.Folder).Should().BeEmpty();
        (await _client.DeleteAsync("/api/plans/two.yml")).StatusCode.Should().Be(HttpStatusCode.NotFound);
    }

    [Test]
    public async Task Import_SmallHar_ReturnsThePlanAndWhatWasLeftOut()
    {
        const string har = """
            { "log": { "version": "1.2", "creator": { "name": "test", "version": "1" }, "entries": [
              { "request": { "method": "GET", "url": "http://shop.example/items/1", "headers": [ { "name": "Accept", "value": "application/json" } ], "queryString": [] },
                "response": { "status": 200, "headers": [ { "name": "Content-Type", "value": "application/json" } ], "content": { "mimeType": "application/json", "text": "{}" } } },
              { "request": { "method": "GET", "url": "http://shop.example/site.css", "headers": [], "queryString": [] },
                "response": { "status": 200, "headers": [], "content": { "mimeType": "text/css", "text": "" } } } ] } }
            """;

        var response = await _client.PostAsJsonAsync("/api/plans/import", new { fileName = "shop.har", content = har });

        response.StatusCode.Should().Be(HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
        var body = (await response.Content.ReadFromJsonAsync<JsonObject>())!;
        ((string?)body["name"]).Should().Be("shop.yaml");
        body["steps"]!.AsArray().Select(s => (string?)s).Should().Equal("GET /items/1");
        body["leftOut"]!.AsArray().Select(s => (string?)s).Should().Contain(s => s!.Contains("/site.css", StringComparison.Ordinal));
        var view = body["view"]!;
        ((bool?)view["valid"]).Should().BeTrue();
        ((string?)view["model"]!["http"]!["baseAddress"]).Should().Be("http://shop.example");
        Directory.EnumerateFiles(_server.Folder).Should().BeEmpty("an import is saved only when the user saves it");
    }

    [Test]
    public async Task Import_PostmanCollection_ReturnsItsRequestsWithItsVariablesAndWhatWasLeftOut()
    {
        const string collection = """
            { "info": { "name": "Shop", "schema": "https://schema.getpostman.com/json/collection/v2.1.0/collection.json" },
              "variable": [ { "key": "baseUrl", "value": "http://127.0.0.1:5000" }, { "key": "sku", "value": "A-1" } ],
              "item": [
                { "name": "Items", "item": [
                  { "name": "Get item", "request": { "method": "GET", "url": "{{baseUrl}}/items/{{sku}}" },
                    "event": [ { "listen": "test", "script": { "exec": [ "pm.test('ok', () => pm.response.to.have.status(200));" ] } } ] } ] },
                { "name": "Order", "request": { "method": "POST", "url": "{{baseUrl}}/orders",
                  "body": { "mode": "raw", "raw": "{\"sku\": \"{{sku}}\"}", "options": { "raw": { "language": "json" } } } } } ] }
            """;

        var response = await _client.PostAsJsonAsync("/api/plans/import", new { fileName = "Shop.postman_collection.json", content = collection });

        response.StatusCode.Should().Be(HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
        var body = (await response.Content.ReadFromJsonAsync<JsonObject>())!;
        body["steps"]!.AsArray().Select(s => (string?)s).Should().HaveCount(2);
        body["leftOut"]!.AsArray().Select(s => (string?)s).Should().Contain(s => s!.Contains("'baseUrl'", StringComparison.Ordinal) && s.Contains("http.baseAddress", StringComparison.Ordinal),
            "what the import changed is said");
        var view = body["view"]!;
        ((string?)view["model"]!["http"]!["baseAddress"]).Should().Be("http://127.0.0.1:5000");
        ((bool?)view["valid"]).Should().BeTrue(view.ToJsonString());
        view["scenarios"]![0]!["steps"]!.AsArray().Select(s => (string?)s).Should().Equal("Get item", "Order");
        Directory.EnumerateFiles(_server.Folder).Should().BeEmpty("an import is saved only when the user saves it");
    }

    [Test]
    public async Task Import_NeitherHarNorPostman_RefusedWithTheReason()
    {
        var response = await _client.PostAsync("/api/plans/import", new StringContent("""{ "fileName": "x.json", "content": "{ \"a\": 1 }" }""", Encoding.UTF8, "application/json"));

        response.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        (await response.Content.ReadAsStringAsync()).Should().Contain("neither a HAR file");
    }

    private void CopySample()
    {
        foreach (var file in new[] { "checkout.yaml", "users.csv" })
        {
            File.Copy(Path.Combine(Repository.Root, "samples", "Plans", file), Path.Combine(_server.Folder, file));
        }
    }
}
