using Google.Protobuf;
using Grpc.Core;
using LoadKit.Grpc.Tests.Protos;

namespace LoadKit.Grpc.Tests;

/// <summary>Calls by method name with JSON requests, resolved through the server's reflection or a descriptor set.</summary>
public class GrpcDynamicClientTests
{
    private static readonly TimeSpan RunBound = TimeSpan.FromSeconds(60);

    [Test]
    public async Task Unary_ByServerReflection_SendsTheJsonAndExtractsFromTheReply()
    {
        await using var server = await OrdersServer.StartAsync();
        var orders = GrpcSteps.DynamicClient(new GrpcSettings { Address = server.Address });
        var scenario = Scenario.Create("by-name")
            .WithInit((session, _) =>
            {
                session.Set("vu", session.UserIndex);
                return ValueTask.CompletedTask;
            })
            .Step("get", orders.Unary("loadkit.test.Orders/Get", """{"id": {{vu}}}""")
                .WithMetadata("authorization", "u{{vu}}")
                .Check("the owner is the VU", reply => reply.Select("$.owner")!.StartsWith('u'))
                .Extract("customer", "$.customer.name"))
            .Step("use", ctx =>
            {
                if (ctx.Session.Get<string>("customer") != $"customer {ctx.UserIndex}")
                {
                    ctx.Fail($"customer = {ctx.Session.Get<string>("customer")}");
                }

                return ValueTask.CompletedTask;
            })
            .WithLoad(Load.IterationsPerUser(2, 10))
            .Build();

        var result = await LoadRunner.RunAsync(scenario).WaitAsync(RunBound);

        var get = result.GetStep("get");
        Assert.That((get.Ok, get.Failed, result.GetStep("use").Ok), Is.EqualTo((20L, 0L, 20L)), string.Join("; ", get.Errors.Concat(result.GetStep("use").Errors).Select(e => e.Message)));
        Assert.That(server.Counts.Gets, Is.EqualTo(20));
        Assert.That((get.Grpc!.Count(0), get.Grpc.MessagesSent, get.Grpc.MessagesReceived), Is.EqualTo((20L, 20L, 20L)));
        Assert.That(server.Counts.Owners.Keys.Order(), Is.EqualTo(new[] { "u0", "u1" }));
        Assert.That(get.Grpc.ConnectionsOpened, Is.EqualTo(server.Counts.Connections), "the reflection call's connection is counted too");
    }

    [Test]
    public async Task Unary_MethodTheServerDoesNotHave_FailsNamingTheServices()
    {
        await using var server = await OrdersServer.StartAsync();
        var orders = GrpcSteps.DynamicClient(new GrpcSettings { Address = server.Address });
        var scenario = Scenario.Create("missing")
            .Step("nope", orders.Unary("loadkit.test.Nope/Get", "{}"))
            .WithLoad(Load.IterationsPerUser(1, 2))
            .Build();

        var result = await LoadRunner.RunAsync(scenario).WaitAsync(RunBound);

        var nope = result.GetStep("nope");
        Assert.That(nope.Failed, Is.EqualTo(2));
        Assert.That(nope.Errors.Single().Message, Is.EqualTo(
            $"gRPC service 'loadkit.test.Nope' is not in the server reflection of {server.Address} (services: grpc.reflection.v1.ServerReflection, grpc.reflection.v1alpha.ServerReflection, loadkit.test.Orders)."));
    }

    [Test]
    public async Task Unary_ServerWithoutReflection_FailsSayingSoAfterAskingBothVersions()
    {
        await using var server = await OrdersServer.StartAsync(reflection: false);
        var orders = GrpcSteps.DynamicClient(new GrpcSettings { Address = server.Address });
        var scenario = Scenario.Create("no-reflection")
            .Step("get", orders.Unary("loadkit.test.Orders/Get", "{}"))
            .WithLoad(Load.IterationsPerUser(1, 2))
            .Build();

        var result = await LoadRunner.RunAsync(scenario).WaitAsync(RunBound);

        var get = result.GetStep("get");
        Assert.That(get.Failed, Is.EqualTo(2));
        Assert.That(get.Errors.Single().Message, Does.StartWith($"the server reflection of {server.Address} did not answer: status UNIMPLEMENTED"));
        Assert.That(server.Counts.Gets, Is.EqualTo(0));
    }

    [Test]
    public async Task Unary_FromADescriptorSet_FailsNamingANonOkStatus()
    {
        await using var server = await OrdersServer.StartAsync();
        var file = Path.Combine(Path.GetTempPath(), $"orders-{Guid.NewGuid():N}.pb");
        await File.WriteAllBytesAsync(file, new Google.Protobuf.Reflection.FileDescriptorSet
        {
            File = { Google.Protobuf.Reflection.FileDescriptorProto.Parser.ParseFrom(OrdersReflection.Descriptor.SerializedData) },
        }.ToByteArray());
        try
        {
            var descriptors = GrpcDescriptorSet.Load(file);
            Assert.That(descriptors.Services, Is.EqualTo(new[] { "loadkit.test.Orders" }));
            var orders = GrpcSteps.DynamicClient(new GrpcSettings { Address = server.Address }, descriptors);
            var scenario = Scenario.Create("set")
                .Step("refused", orders.Unary("/loadkit.test.Orders/Get", """{"id": 7, "status": "5"}"""))
                .WithLoad(Load.IterationsPerUser(1, 3))
                .Build();

            var result = await LoadRunner.RunAsync(scenario).WaitAsync(RunBound);

            var refused = result.GetStep("refused");
            Assert.That(refused.Errors.Single(), Is.EqualTo(new ErrorCount("status is OK (got NOT_FOUND: order refused)", 3)));
            Assert.That(refused.Grpc!.Count((int)StatusCode.NotFound), Is.EqualTo(3));
            Assert.That(server.Counts.Gets, Is.EqualTo(3));

            Assert.That(() => orders.Unary("loadkit.test.Orders/Get", """{"idd": 1}"""),
                Throws.ArgumentException.With.Message.StartsWith("gRPC request of loadkit.test.Orders/Get: $.idd: loadkit.test.OrderRequest has no field 'idd' (fields: id, delayMs, status)."));
            Assert.That(() => orders.Unary("loadkit.test.Orders/List", "{}"),
                Throws.ArgumentException.With.Message.StartsWith("gRPC method 'loadkit.test.Orders/List' streams: calls by name are unary only"));
            Assert.That(() => orders.Unary("loadkit.test.Orders/Fetch", "{}"),
                Throws.ArgumentException.With.Message.EqualTo("gRPC service 'loadkit.test.Orders' in the descriptor set has no method 'Fetch' (methods: Get, List, Upload, Chat)."));
            Assert.That(() => orders.Unary("Orders.Get", "{}"),
                Throws.ArgumentException.With.Message.StartsWith("gRPC method 'Orders.Get': allowed a full method name, package.Service/Method"));
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Test]
    public void ProtoJson_EveryKindOfField_RoundTripsAsProtobufsJsonMapping()
    {
        var message = new Kinds
        {
            Big = -9_000_000_000, UnsignedBig = 18_000_000_000_000_000_000, SignedSmall = -7, Fixed = 42, SignedFixed = -42,
            Ratio = 0.25, Share = 1.5f, Flag = true, Blob = ByteString.CopyFromUtf8("hi"), Color = Kinds.Types.Color.Green,
            Numbers = { 1, -2, 300 }, Words = { "a", "b" }, Counts = { ["x"] = 1, ["y"] = 0 },
            Customers = { [5] = new Customer { Name = "five" } }, Customer = new Customer { Name = "c" },
            CustomerList = { new Customer { Name = "l1" }, new Customer() }, Number = 9,
        };
        var expected = Newtonsoft.Json.Linq.JObject.Parse(new JsonFormatter(JsonFormatter.Settings.Default.WithFormatDefaultValues(true)).Format(message));

        var decoded = ProtoJson.Decode(Kinds.Descriptor, message.ToByteArray());
        var encoded = Kinds.Parser.ParseFrom(ProtoJson.Encode(Kinds.Descriptor, expected));

        Assert.That(Newtonsoft.Json.Linq.JToken.DeepEquals(decoded, expected), Is.True, $"decoded {decoded.ToString(Newtonsoft.Json.Formatting.None)}{Environment.NewLine}expected {expected.ToString(Newtonsoft.Json.Formatting.None)}");
        Assert.That(encoded, Is.EqualTo(message));
        Assert.That(ProtoJson.Decode(OrderRequest.Descriptor, []).ToString(Newtonsoft.Json.Formatting.None), Is.EqualTo("""{"id":0,"delayMs":0,"status":0}"""),
            "default values are written, so a JSON path finds an id of 0");
    }
}
