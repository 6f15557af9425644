using Google.Protobuf;
using Google.Protobuf.Reflection;
using LoadKit.Grpc.Tests;
using LoadKit.Grpc.Tests.Protos;

namespace LoadKit.PlanFiles.Tests;

/// <summary>Plans with gRPC steps (grpc:), run against the real Kestrel orders server of the gRPC tests on 127.0.0.1.</summary>
public class PlanFileGrpcTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(90);

    private string _folder = "";

    [SetUp]
    public async Task WriteDescriptorSet()
    {
        _folder = Directory.CreateTempSubdirectory("loadkit-plan-grpc-").FullName;
        // What protoc --descriptor_set_out --include_imports writes for orders.proto (it imports nothing).
        await File.WriteAllBytesAsync(Path.Combine(_folder, "orders.pb"),
            new FileDescriptorSet { File = { FileDescriptorProto.Parser.ParseFrom(OrdersReflection.Descriptor.SerializedData) } }.ToByteArray());
    }

    [TearDown]
    public void DeleteFolder() => Directory.Delete(_folder, recursive: true);

    [Test]
    public async Task Run_GrpcStepsByServerReflection_SendTemplatesAndMetadataAndCarryExtractedValues()
    {
        await using var server = await OrdersServer.StartAsync();
        var plan = PlanFile.Parse($$$"""
            variables:
              token: "Bearer t1"
            grpc:
              address: {{{server.Address}}}
            scenarios:
              - name: orders
                variables: { order: 7 }
                steps:
                  - name: get
                    grpc:
                      method: loadkit.test.Orders/Get
                      message: { id: "{{order}}" }
                      metadata: { authorization: "{{token}}" }
                      deadline: 10s
                    checks:
                      - jsonPath: $.id
                        equals: 7
                    extract:
                      customer: { jsonPath: $.customer.name }
                  - name: as customer
                    grpc:
                      method: loadkit.test.Orders/Get
                      message: '{"id": 8}'
                      metadata: { authorization: "{{customer}}" }
                  - name: refused
                    grpc:
                      method: loadkit.test.Orders/Get
                      message: { id: 9, status: 5 }
                      status: [OK, NOT_FOUND]
                  - grpc:
                      method: loadkit.test.Orders/Get
                      message: { id: 9, status: 14 }
                load:
                  - iterationsPerUser: { users: 2, iterations: 3 }
            """, "orders.yaml", _folder);

        var result = await LoadRunner.RunAsync(plan.Scenarios).WaitAsync(Bound);

        TestContext.Out.WriteLine(SummaryTable.Render(result));
        var (get, asCustomer, refused, unavailable) = (result.GetStep("get"), result.GetStep("as customer"), result.GetStep("refused"), result.GetStep("loadkit.test.Orders/Get"));
        Assert.That((get.Ok, asCustomer.Ok, refused.Ok, unavailable.Ok, unavailable.Failed), Is.EqualTo((6L, 6L, 6L, 0L, 6L)),
            string.Join("; ", result.Scenarios[0].Steps.SelectMany(s => s.Errors).Select(e => e.Message)));
        Assert.That(server.Counts.Gets, Is.EqualTo(24), "2 users × 3 iterations × 4 calls, as the server counted them");
        Assert.That(server.Counts.Owners.OrderBy(o => o.Key).Select(o => $"{o.Key}={o.Value}"), Is.EqualTo(new[] { "Bearer t1=6", "customer 7=6" }),
            "metadata templates filled from the plan's variables and from the value the first step extracted");
        Assert.That((refused.Grpc!.Count(5), unavailable.Grpc!.Count(14)), Is.EqualTo((6L, 6L)));
        Assert.That(unavailable.Errors.Single().Message, Does.Contain("UNAVAILABLE"));
        Assert.That(get.Grpc!.ConnectionsOpened + asCustomer.Grpc!.ConnectionsOpened + refused.Grpc.ConnectionsOpened + unavailable.Grpc.ConnectionsOpened,
            Is.EqualTo(2).And.EqualTo(server.Counts.Connections), "the steps to one server share a client: a channel per VU");
    }

    [Test]
    public async Task Run_GrpcStepFromADescriptorSet_CallsAServerWithoutReflectionAndTimesOutPastTheDeadline()
    {
        await using var server = await OrdersServer.StartAsync(reflection: false);
        var plan = PlanFile.Parse($$$"""
            scenarios:
              - name: described
                grpc:
                  address: {{{server.Address}}}
                  descriptorSet: orders.pb
                  channels: shared
                steps:
                  - name: get
                    grpc: { method: loadkit.test.Orders/Get, message: { id: 3 } }
                    extract:
                      name: { jsonPath: $.customer.name }
                  - name: slow
                    grpc: { method: loadkit.test.Orders/Get, message: { id: 3, delayMs: 5000 }, deadline: 100ms }
                load:
                  - iterationsPerUser: { users: 2, iterations: 2 }
            """, "described.yaml", _folder);

        var result = await LoadRunner.RunAsync(plan.Scenarios).WaitAsync(Bound);

        var (get, slow) = (result.GetStep("get"), result.GetStep("slow"));
        Assert.That((get.Ok, get.Failed), Is.EqualTo((4L, 0L)), string.Join("; ", get.Errors.Select(e => e.Message)));
        Assert.That((slow.Ok, slow.TimedOut, slow.Grpc!.Count(4)), Is.EqualTo((0L, 4L, 4L)), "DEADLINE_EXCEEDED counts as timed out");
        Assert.That(plan.FeedFiles, Is.EqualTo(new[] { "orders.pb" }), "a distributed run sends the descriptor set with the plan");
        Assert.That(server.Counts.Connections, Is.EqualTo(1), "channels: shared");
    }

    [Test]
    public async Task Load_GrpcSamplePlan_RunsItsSmokeLoadAgainstTheOrdersServerAndPassesItsGates()
    {
        await using var server = await OrdersServer.StartAsync();
        var sample = Path.Combine(LoadKit.TestTargets.Repository.Root, "samples", "Plans");
        var text = (await File.ReadAllTextAsync(Path.Combine(sample, "orders-grpc.yaml"))).Replace("http://127.0.0.1:5001", server.Address.ToString().TrimEnd('/'), StringComparison.Ordinal);
        var plan = PlanFile.Parse(text, "orders-grpc.yaml", sample);

        var result = await LoadRunner.RunAsync(plan.Scenarios, new RunOptions { Profile = LoadProfile.Smoke }).WaitAsync(Bound);

        var (get, asCustomer) = (result.GetStep("get order"), result.GetStep("as its customer"));
        Assert.That((get.Ok, asCustomer.Ok), Is.EqualTo((10L, 10L)),
            $"timed out {get.TimedOut}, {asCustomer.TimedOut}; " + string.Join("; ", result.Scenarios[0].Steps.SelectMany(s => s.Errors).Select(e => e.Message)));
        Assert.That(server.Counts.Owners.OrderBy(o => o.Key).Select(o => $"{o.Key}={o.Value}"), Is.EqualTo(new[] { "Bearer demo=11", "customer 7=11" }),
            "the smoke load's 10 iterations and the warm-up's 1");
        Assert.That(result.Thresholds.Select(t => t.Passed), Is.EqualTo(new[] { true, true }));
    }

    [Test]
    public void Parse_BadGrpcSettings_NamesEachSettingItsValueAndWhatIsAllowed()
    {
        var exception = Assert.Throws<PlanFileException>(() => PlanFile.Parse("""
            grpc:
              address: ftp://127.0.0.1:5001
              channels: pooled
            scenarios:
              - name: bad
                steps:
                  - grpc: { method: Orders.Get }
                  - grpc: { address: http://127.0.0.1:1, descriptorSet: orders.pb, method: loadkit.test.Nope/Get }
                  - grpc: { address: http://127.0.0.1:1, descriptorSet: orders.pb, method: loadkit.test.Orders/Get, message: { id: many } }
                  - grpc: { address: http://127.0.0.1:1, method: a.B/C, status: [OK, NOPE], deadline: soon }
                  - grpc: { address: http://127.0.0.1:1, descriptorSet: missing.pb, method: a.B/C }
                    extract:
                      x: { regex: "a(.)" }
                load:
                  - iterationsPerUser: { users: 1, iterations: 1 }
            """, "bad.yaml", _folder))!;

        var problems = exception.Problems.Select(p => p.ToString()).ToArray();
        TestContext.Out.WriteLine(exception.Message);
        var statuses = "a gRPC status by name (OK, CANCELLED, UNKNOWN, INVALID_ARGUMENT, DEADLINE_EXCEEDED, NOT_FOUND, ALREADY_EXISTS, PERMISSION_DENIED, " +
            "RESOURCE_EXHAUSTED, FAILED_PRECONDITION, ABORTED, OUT_OF_RANGE, UNIMPLEMENTED, INTERNAL, UNAVAILABLE, DATA_LOSS, UNAUTHENTICATED) or number (0 to 16), or a list of them";
        Assert.That(problems, Is.SupersetOf(new[]
        {
            "bad.yaml:2:12: grpc.address = 'ftp://127.0.0.1:5001': an absolute http:// (HTTP/2 without TLS) or https:// (TLS) address with a host, e.g. http://127.0.0.1:5001",
            "bad.yaml:3:13: grpc.channels = 'pooled': one of perUser, shared",
            "bad.yaml:7:25: scenarios[0].steps[0].grpc.method = 'Orders.Get': a full method name, package.Service/Method, e.g. shop.Orders/Get",
            "bad.yaml:8:80: scenarios[0].steps[1].grpc.method = 'loadkit.test.Nope/Get': a unary method of the descriptor set: gRPC service 'loadkit.test.Nope' is not in the descriptor set (services: loadkit.test.Orders).",
            "bad.yaml:9:114: scenarios[0].steps[2].grpc.message = a mapping: a JSON object that fits the request message (gRPC request of loadkit.test.Orders/Get: $.id: \"many\" is not a int32 (loadkit.test.OrderRequest.id).)",
            $"bad.yaml:10:74: scenarios[0].steps[3].grpc.status[1] = 'NOPE': {statuses}",
            "bad.yaml:10:91: scenarios[0].steps[3].grpc.deadline = 'soon': a duration: a number and a unit (ms, s, m, h), e.g. 500ms, 30s, 1.5m, 1h30m",
        }));
        Assert.That(problems, Has.One.Match(@"^bad\.yaml:11:61: scenarios\[0\]\.steps\[4\]\.grpc\.descriptorSet = 'missing\.pb': a readable descriptor set file, written with protoc --descriptor_set_out=FILE --include_imports \(.*missing\.pb.*\)$"));
        Assert.That(problems, Has.One.Match(@"^bad\.yaml:13:\d+: scenarios\[0\]\.steps\[4\]\.extract\.x\.regex = an unknown key: allowed keys: jsonPath$"));
        Assert.That(problems, Has.One.Match(@"^bad\.yaml:13:\d+: scenarios\[0\]\.steps\[4\]\.extract\.x\.jsonPath = missing: a JSON path over the response message"));
        Assert.That(problems, Has.Length.EqualTo(10), "nothing else: no step is said to lack an address where the plan's was wrong");
    }
}
