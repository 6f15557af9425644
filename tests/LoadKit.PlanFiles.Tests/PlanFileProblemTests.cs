namespace LoadKit.PlanFiles.Tests;

/// <summary>Plans with mistakes: every problem at once, each with its file, line and column, path, value and what is allowed.</summary>
public class PlanFileProblemTests
{
    private static string[] Problems(string text, string sourceName)
    {
        var exception = Assert.Throws<PlanFileException>(() => PlanFile.Parse(text, sourceName, Path.GetTempPath()))!;
        Assert.That(exception.Message, Does.StartWith($"Plan file '{sourceName}' is invalid ({exception.Problems.Count} problem"));
        Assert.That(exception.Problems.Select(p => "  - " + p), Is.SubsetOf(exception.Message.Split(Environment.NewLine)), "the message lists every problem");
        return [.. exception.Problems.Select(p => p.ToString())];
    }

    [Test]
    public void Parse_YamlWithManyMistakes_ReportsEveryOneWithLineAndPath()
    {
        var problems = Problems("""
            http:
              baseAdress: http://127.0.0.1:5000
            feeds:
              users: { csv: no-such-file.csv }
            scenarios:
              - name: shop
                stepTimeout: 10 seconds
                tasks:
                  - name: browse
                    weight: heavy
                    steps:
                      - feed: users
                      - name: list
                        reqeust: { url: /products }
                  - name: buy
                    steps:
                      - feed: customers
                      - name: pay
                        request: { method: GTE, url: /pay }
                        extract:
                          token: { jsonPath: "$.[" }
                      - name: confirm
                        request: { url: /confirm, timeout: -1s }
                        checks: [ { status: 999 }, { bodyLength: { lessThan: many } } ]
                load:
                  - constantUsers: { users: 0, during: 30s }
                  - arrivalRate: { rate: 10, during: 1m, preAllocatedUsers: 5, maxUsers: 2 }
                  - rampUsers: { to: 5 }
                thresholds:
                  - step: pay
                    metric: p42x
                    below: 1s
            """, "shop.yaml");

        var missing = Path.Combine(Path.GetTempPath(), "no-such-file.csv");
        const string Duration = "a duration: a number and a unit (ms, s, m, h), e.g. 500ms, 30s, 1.5m, 1h30m";
        Assert.That(problems, Is.EqualTo(new[]
        {
            "shop.yaml:2:3: http.baseAdress = an unknown key: did you mean 'baseAddress'? allowed keys: baseAddress, version, connections, maxConnectionsPerServer, proxy, engine, decompression, trust, responsesOnSocketThread",
            "shop.yaml:2:3: http.baseAddress = not set: a base address for the relative path of GET /confirm: WithHttp(new HttpSettings { BaseAddress = ... }) or the LOADKIT_HTTP_BASE_ADDRESS environment variable",
            $"shop.yaml:4:17: feeds.users.csv = '{missing}' does not exist (full path {missing}): the path of a CSV file with a header row",
            $"shop.yaml:7:18: scenarios[0].stepTimeout = '10 seconds': {Duration}",
            "shop.yaml:10:17: scenarios[0].tasks[0].weight = 'heavy': a number, 0 or more",
            "shop.yaml:13:13: scenarios[0].tasks[0].steps[1] = no request, grpc, think or feed: one of: a request step (request, with name, checks, extract, timeout), a gRPC step (grpc, with name, checks, extract, timeout), think (a pause) or feed (a feed's name)",
            "shop.yaml:14:13: scenarios[0].tasks[0].steps[1].reqeust = an unknown key: did you mean 'request'? allowed keys: name, request, grpc, checks, extract, timeout, think, feed",
            "shop.yaml:17:19: scenarios[0].tasks[1].steps[0].feed = 'customers': one of the feeds: users",
            "shop.yaml:19:32: scenarios[0].tasks[1].steps[1].request.method = 'GTE': one of GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS",
            "shop.yaml:22:13: scenarios[0].tasks[1].steps[2] = GET /confirm: check 'status is 999': status code 999 is not between 100 and 599",
            $"shop.yaml:23:48: scenarios[0].tasks[1].steps[2].request.timeout = '-1s': {Duration}",
            "shop.yaml:24:66: scenarios[0].tasks[1].steps[2].checks[1].bodyLength.lessThan = 'many': a number of bytes",
            "shop.yaml:26:9: scenarios[0].load[0].constantUsers.users = 0: must be 1 or more",
            "shop.yaml:27:9: scenarios[0].load[1].arrivalRate.maxUsers = 2 (< PreAllocatedUsers 5): must be at least PreAllocatedUsers",
            $"shop.yaml:28:20: scenarios[0].load[2].rampUsers.during = missing: {Duration}",
            "shop.yaml:31:17: scenarios[0].thresholds[0].metric = 'p42x': one of p<N> (p95, p99.9), mean, max, failureRate, failureCount, throughput, droppedIterations",
        }), string.Join(Environment.NewLine, problems));
    }

    [Test]
    public void Parse_UnknownKeyAnywhere_IsAnErrorNotIgnored()
    {
        var problems = Problems("""
            scenarios:
              - name: shop
                steps:
                  - name: list
                    request: { url: http://127.0.0.1:1/products, heders: { X-A: b } }
                load:
                  - constantUsers: { users: 1, during: 1s, rampUp: 2s }
            """, "typo.yaml");

        Assert.That(problems, Is.EqualTo(new[]
        {
            "typo.yaml:5:54: scenarios[0].steps[0].request.heders = an unknown key: did you mean 'headers'? allowed keys: method, url, query, headers, form, json, body, contentType, timeout",
            "typo.yaml:7:48: scenarios[0].load[0].constantUsers.rampUp = an unknown key: allowed keys: users, during",
        }));
    }

    [Test]
    public void Parse_JsonWithMistakes_ReportsLinesAndPathsToo()
    {
        var problems = Problems("""
            {
              "scenarios": [
                {
                  "name": "api",
                  "steps": [
                    { "name": "get", "request": { "url": "http://127.0.0.1:1/x", "method": "FETCH" },
                      "extract": { "id": { "jsonPath": "$.[" } } },
                    { "think": { "min": "1s" } }
                  ],
                  "load": [ { "arrivalRate": { "rate": 0, "during": "1m", "preAllocatedUsers": 1, "maxUsers": 1 } } ],
                  "unknown": true
                }
              ]
            }
            """, "api.json");

        Assert.That(problems, Is.EqualTo(new[]
        {
            "api.json:6:80: scenarios[0].steps[0].request.method = 'FETCH': one of GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS",
            "api.json:8:20: scenarios[0].steps[1].think.max = missing: a duration: a number and a unit (ms, s, m, h), e.g. 500ms, 30s, 1.5m, 1h30m",
            "api.json:10:17: scenarios[0].load[0].arrivalRate.rate = 0: must be a finite number greater than 0",
            "api.json:11:7: scenarios[0].unknown = an unknown key: allowed keys: name, http, grpc, variables, stepTimeout, gracefulStop, pacing, preTasks, steps, tasks, load, warmUp, smokeLoad, thresholds",
        }), string.Join(Environment.NewLine, problems));
    }

    [Test]
    public void Parse_MalformedYaml_OneProblemWithItsLine()
    {
        var problems = Problems("scenarios:\n  - name: a\n    steps: [ { name: b }\n    load: []\n", "broken.yaml");

        Assert.That(problems, Has.Length.EqualTo(1));
        Assert.That(problems[0], Does.Match(@"^broken\.yaml(:\d+:\d+)?: \(document\) = not readable: well-formed YAML \(.+\)$"));
    }

    [Test]
    public void Parse_YamlWithADuplicateKey_OneProblemAtTheKey()
    {
        var problems = Problems("scenarios:\n  - name: a\n    name: b\n", "twice.yaml");

        Assert.That(problems, Has.Length.EqualTo(1));
        Assert.That(problems[0], Does.StartWith("twice.yaml:3:5: (document) = not readable: well-formed YAML ("));
    }

    [Test]
    public void Parse_MalformedJson_OneProblemWithItsLine()
    {
        var problems = Problems("{\n  \"scenarios\": [\n    { \"name\": \"a\" \"steps\": [] }\n  ]\n}", "broken.json");

        Assert.That(problems, Is.EqualTo(new[] { "broken.json:3:19: (document) = not readable: well-formed JSON ('\"' is invalid after a value. Expected either ',', '}', or ']')" }));
    }

    [Test]
    public void Parse_ProblemsOnlyTheDslFinds_AreReportedAtTheirPlaceInTheDocument()
    {
        var problems = Problems("""
            http: { baseAddress: "http://127.0.0.1:1" }
            scenarios:
              - name: dsl
                pacing: 1s
                steps:
                  - name: get
                    request: { url: "/x/{{id" }
                    extract:
                      id: { xpath: "//a[" }
                  - name: get
                    request: { url: http://127.0.0.1:1/y }
                load:
                  - arrivalRate: { rate: 5, during: 1m, preAllocatedUsers: 1, maxUsers: 5 }
                thresholds:
                  - step: nope
                    metric: p95
                    below: 1s
            """, "dsl.yaml");

        Assert.That(problems, Has.Length.EqualTo(5), string.Join(Environment.NewLine, problems));
        Assert.That(problems, Has.Some.StartsWith("dsl.yaml:4:13: scenarios[0].pacing = 1 s: pacing applies to closed-model phases only"));
        Assert.That(problems, Has.Some.Match(@"^dsl\.yaml:6:9: scenarios\[0\]\.steps\[0\] = GET .*: path: .*"));
        Assert.That(problems, Has.Some.Match(@"^dsl\.yaml:6:9: scenarios\[0\]\.steps\[0\] = GET .*: extraction 'id': .*"));
        Assert.That(problems, Has.Some.StartsWith("dsl.yaml:10:9: scenarios[0].steps[1].name = 'get': a name not used by another step of this scenario"));
        Assert.That(problems, Has.Some.StartsWith("dsl.yaml:15:9: scenarios[0].thresholds[0] = p95 of step 'nope'"));
    }

    [Test]
    public void Load_MissingFile_SaysWhereItLooked()
    {
        var exception = Assert.Throws<FileNotFoundException>(() => PlanFile.Load("no-such-plan.yaml"))!;

        Assert.That(exception.Message, Does.StartWith("Plan file 'no-such-plan.yaml' was not found (looked for ").And.Contain(Path.Combine(Directory.GetCurrentDirectory(), "no-such-plan.yaml")));
    }
}
