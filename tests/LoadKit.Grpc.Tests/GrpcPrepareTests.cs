using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using LoadKit.Engine;
using LoadKit.Grpc.Tests.Protos;
using LoadKit.TestTargets;
using LoadKit.Workload;

namespace LoadKit.Grpc.Tests;

/// <summary>
/// Before a distributed run's start instant, gRPC steps open each prepared VU's channel's first connection (and a call by
/// name asks reflection for its method), so that the first calls after the instant do not wait for either.
/// </summary>
public class GrpcPrepareTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(60);

    private static ScenarioEngine Engine(Scenario scenario) => new(scenario, RunPlan.LoadOf(scenario, LoadProfile.Full, 1), SegmentShare.Whole);

    [Test]
    public async Task PrepareAsync_ChannelPerUser_OpensEachVUsConnectionForItsUnaryAndDuplexCalls()
    {
        await using var server = await OrdersServer.StartAsync();
        var orders = GrpcSteps.Client(new GrpcSettings { Address = server.Address }, invoker => new Orders.OrdersClient(invoker));
        var chat = orders.Duplex("chat", (client, _, options) => client.Chat(options));
        var scenario = Scenario.Create("prepared")
            .Step("say", chat.Exchange(ctx => new ChatMessage { Text = "hi" }, reply: m => m.Text.StartsWith("ack", StringComparison.Ordinal)))
            .Step("get", orders.Unary((client, _, options) => client.GetAsync(new OrderRequest { Id = 1 }, options)))
            .WithLoad(Load.IterationsPerUser(3, 5))
            .Build();
        var scenarioEngine = Engine(scenario);

        await scenarioEngine.PrepareAsync(CancellationToken.None).WaitAsync(Bound);
        await Eventually.UntilAsync(() => Volatile.Read(ref server.Counts.Connections) == 3, Bound, () => $"the server accepted {server.Counts.Connections} connections, not 3.");
        Assert.That((server.Counts.Gets, server.Counts.Chats), Is.EqualTo((0, 0)), "no call before the start");

        var result = await scenarioEngine.RunAsync(CancellationToken.None).WaitAsync(Bound);

        var (say, get) = (result.GetStep("say"), result.GetStep("get"));
        Assert.That((say.Ok, get.Ok, server.Counts.Gets, server.Counts.ChatMessages), Is.EqualTo((15L, 15L, 15, 15)));
        Assert.That(server.Counts.Connections, Is.EqualTo(3), "each VU's calls went over the connection opened for it");
        Assert.That(say.Grpc!.ConnectionsOpened + (get.Grpc!.ConnectionsOpened), Is.EqualTo(3), "the prepared connections are counted once, by the steps");
    }

    [Test]
    public async Task PrepareAsync_SharedChannel_OpensOneConnectionForAllVUs()
    {
        await using var server = await OrdersServer.StartAsync();
        var orders = GrpcSteps.Client(new GrpcSettings { Address = server.Address, Channels = GrpcChannels.Shared }, invoker => new Orders.OrdersClient(invoker));
        var scenario = Scenario.Create("shared")
            .Step("get", orders.Unary((client, _, options) => client.GetAsync(new OrderRequest { Id = 1 }, options)))
            .WithLoad(Load.IterationsPerUser(4, 5))
            .Build();
        var scenarioEngine = Engine(scenario);

        await scenarioEngine.PrepareAsync(CancellationToken.None).WaitAsync(Bound);
        await Eventually.UntilAsync(() => Volatile.Read(ref server.Counts.Connections) == 1, Bound, () => $"the server accepted {server.Counts.Connections} connections, not 1.");
        var result = await scenarioEngine.RunAsync(CancellationToken.None).WaitAsync(Bound);

        Assert.That((result.GetStep("get").Ok, server.Counts.Gets), Is.EqualTo((20L, 20)));
        Assert.That((server.Counts.Connections, result.GetStep("get").Grpc!.ConnectionsOpened), Is.EqualTo((1, 1L)));
    }

    [Test]
    public async Task PrepareAsync_CallByNameThroughReflection_AsksForTheMethodBeforeTheStart()
    {
        await using var server = await OrdersServer.StartAsync();
        var orders = GrpcSteps.DynamicClient(new GrpcSettings { Address = server.Address });
        var scenario = Scenario.Create("by-name")
            .Step("get", orders.Unary("loadkit.test.Orders/Get", """{"id": 7}"""))
            .WithLoad(Load.IterationsPerUser(2, 3))
            .Build();
        var scenarioEngine = Engine(scenario);

        await scenarioEngine.PrepareAsync(CancellationToken.None).WaitAsync(Bound);
        Assert.That((server.Counts.ReflectionCalls, server.Counts.Gets), Is.EqualTo((1, 0)), "one question for the method, however many VUs, and no call");
        var result = await scenarioEngine.RunAsync(CancellationToken.None).WaitAsync(Bound);

        Assert.That((result.GetStep("get").Ok, server.Counts.Gets, server.Counts.ReflectionCalls), Is.EqualTo((6L, 6, 1)));
        Assert.That((server.Counts.Connections, result.GetStep("get").Grpc!.ConnectionsOpened), Is.EqualTo((2, 2L)));
    }

    [Test]
    public async Task WarmUpResponder_AnswersEachKindOfCallThroughTheSteps()
    {
        using var responder = GrpcWarmUp.Responder.Start(new Empty().ToByteArray());
        var client = GrpcSteps.Client(new GrpcSettings { Address = responder.Address }, invoker => invoker);
        var method = (MethodType type) => new Method<Empty, Empty>(type, "loadkit.WarmUp", type.ToString(), Marshallers.Create((Empty m) => m.ToByteArray(), Empty.Parser.ParseFrom), Marshallers.Create((Empty m) => m.ToByteArray(), Empty.Parser.ParseFrom));
        var duplex = client.Duplex("d", (invoker, _, options) => invoker.AsyncDuplexStreamingCall(method(MethodType.DuplexStreaming), null, options));
        var scenario = Scenario.Create("warm-up responder")
            .Step("unary", client.Unary((invoker, _, options) => invoker.AsyncUnaryCall(method(MethodType.Unary), null, options, new Empty())))
            .Step("server streaming", client.ServerStreaming((invoker, _, options) => invoker.AsyncServerStreamingCall(method(MethodType.ServerStreaming), null, options, new Empty())))
            .Step("client streaming", client.ClientStreaming((invoker, _, options) => invoker.AsyncClientStreamingCall(method(MethodType.ClientStreaming), null, options), _ => [new Empty(), new Empty()]))
            .Step("exchange", duplex.Exchange(_ => new Empty()))
            .Step("close", duplex.Close())
            .WithLoad(Load.IterationsPerUser(2, 3))
            .Build();

        var result = await LoadRunner.RunAsync(scenario).WaitAsync(Bound);

        Assert.That(result.Scenarios[0].Steps.Select(s => (s.Name, s.Ok, s.Failed + s.TimedOut)), Is.EqualTo(new[]
        {
            ("unary", 6L, 0L), ("server streaming", 6L, 0L), ("client streaming", 6L, 0L), ("exchange", 6L, 0L), ("close", 6L, 0L),
        }), string.Join("; ", result.Scenarios[0].Steps.SelectMany(s => s.Errors).Select(e => e.Message)));
        Assert.That(result.GetStep("server streaming").Grpc!.MessagesReceived, Is.EqualTo(6), "one message per call");
    }
}
