using System.Security.Cryptography.X509Certificates;
using Grpc.Core;
using LoadKit.Grpc.Tests.Protos;
using LoadKit.TestTargets;

namespace LoadKit.Grpc.Tests;

/// <summary>gRPC steps against a real Kestrel gRPC server on 127.0.0.1, counted against the server's own counts.</summary>
public class GrpcStepsTests
{
    private static readonly TimeSpan RunBound = TimeSpan.FromSeconds(60);

    private static ValueTask SetUser(Session session, CancellationToken cancellationToken)
    {
        session.Set("vu", session.UserIndex);
        return ValueTask.CompletedTask;
    }

    private static GrpcClient<Orders.OrdersClient> Client(OrdersServer server, GrpcChannels channels = GrpcChannels.PerUser, X509Certificate2? trusted = null) =>
        GrpcSteps.Client(new GrpcSettings { Address = server.Address, Channels = channels, TrustedCertificate = trusted }, invoker => new Orders.OrdersClient(invoker));

    [Test]
    public async Task Unary_ChannelPerUser_CountsCallsAndConnectionsAsTheServerDid()
    {
        await using var server = await OrdersServer.StartAsync();
        var orders = Client(server);
        var scenario = Scenario.Create("orders")
            .WithInit(SetUser)
            .Step("get", orders.Unary((client, ctx, options) => client.GetAsync(new OrderRequest { Id = (int)ctx.Iteration }, options))
                .WithMetadata("Authorization", "Bearer u{{vu}}")
                .Check("the id is the iteration's", order => order.Id >= 0)
                .Extract("owner", order => order.Owner)
                .Extract("customer", "$.customer.name"))
            .Step("use", ctx =>
            {
                if (ctx.Session.Get<string>("owner") != $"Bearer u{ctx.UserIndex}" || ctx.Session.Get<string>("customer") != $"customer {ctx.Iteration}")
                {
                    ctx.Fail("extracted values are not the response's");
                }

                return ValueTask.CompletedTask;
            })
            .WithLoad(Load.IterationsPerUser(4, 50))
            .Build();

        var result = await LoadRunner.RunAsync(scenario).WaitAsync(RunBound);

        TestContext.Out.WriteLine(SummaryTable.Render(result));
        var (get, use) = (result.GetStep("get"), result.GetStep("use"));
        Assert.That((get.Ok, get.Failed, get.TimedOut), Is.EqualTo((200L, 0L, 0L)));
        Assert.That((use.Ok, use.Failed), Is.EqualTo((200L, 0L)), string.Join("; ", use.Errors.Select(e => e.Message)));
        Assert.That(server.Counts.Gets, Is.EqualTo(200));
        Assert.That(server.Counts.Owners.OrderBy(o => o.Key).Select(o => $"{o.Key}={o.Value}"),
            Is.EqualTo(new[] { "Bearer u0=50", "Bearer u1=50", "Bearer u2=50", "Bearer u3=50" }));
        var grpc = get.Grpc!;
        Assert.That((grpc.Calls, grpc.Count(0), grpc.MessagesSent, grpc.MessagesReceived), Is.EqualTo((200L, 200L, 200L, 200L)));
        Assert.That(grpc.ConnectionsOpened, Is.EqualTo(4).And.EqualTo(server.Counts.Connections), "a channel per VU: a connection each");
        Assert.That(use.Grpc, Is.Null, "a step that made no gRPC call has no gRPC statistics");
        Assert.That(SummaryTable.Render(result), Does.Contain("  grpc:" + Environment.NewLine + "    get: OK × 200; messages sent 200, received 200; connections opened 4"));
        var read = LoadResult.FromJson(result.ToJson()).GetStep("get").Grpc!;
        Assert.That((read.Count(0), read.MessagesSent, read.ConnectionsOpened), Is.EqualTo((200L, 200L, 4L)), "kept in the JSON result");
    }

    [Test]
    public async Task Unary_SharedChannel_MultiplexesAllUsersOnOneConnection()
    {
        await using var server = await OrdersServer.StartAsync();
        var orders = Client(server, GrpcChannels.Shared);
        var scenario = Scenario.Create("shared")
            .Step("get", orders.Unary((client, _, options) => client.GetAsync(new OrderRequest { Id = 1 }, options)))
            .WithLoad(Load.IterationsPerUser(8, 25))
            .Build();

        var result = await LoadRunner.RunAsync(scenario).WaitAsync(RunBound);

        var get = result.GetStep("get");
        Assert.That((get.Ok, get.Grpc!.Count(0)), Is.EqualTo((200L, 200L)));
        Assert.That(server.Counts.Gets, Is.EqualTo(200));
        Assert.That((get.Grpc.ConnectionsOpened, server.Counts.Connections), Is.EqualTo((1L, 1)));
    }

    [Test]
    public async Task Unary_DeadlineExceeded_CountsAsTimedOutNamingTheDeadline()
    {
        await using var server = await OrdersServer.StartAsync();
        var orders = Client(server);
        var scenario = Scenario.Create("slow")
            .Step("get", orders.Unary((client, _, options) => client.GetAsync(new OrderRequest { DelayMs = 5_000 }, options))
                .WithDeadline(TimeSpan.FromMilliseconds(100)))
            .WithLoad(Load.IterationsPerUser(1, 3))
            .Build();

        var result = await LoadRunner.RunAsync(scenario).WaitAsync(RunBound);

        var get = result.GetStep("get");
        Assert.That((get.Ok, get.Failed, get.TimedOut), Is.EqualTo((0L, 0L, 3L)));
        Assert.That(get.Errors.Single(), Is.EqualTo(new ErrorCount("deadline of 100 ms exceeded (DEADLINE_EXCEEDED)", 3)));
        Assert.That(get.Grpc!.Count((int)StatusCode.DeadlineExceeded), Is.EqualTo(3));
        Assert.That(SummaryTable.Render(result), Does.Contain("get: DEADLINE_EXCEEDED × 3"));
    }

    [Test]
    public async Task Unary_NonOkStatus_FailsNamingTheStatusUnlessExpected()
    {
        await using var server = await OrdersServer.StartAsync();
        var orders = Client(server);
        var notFound = orders.Unary((client, _, options) => client.GetAsync(new OrderRequest { Status = (int)StatusCode.NotFound }, options));
        Scenario Single(string name, GrpcStep step) => Scenario.Create(name).Step(name, step).WithLoad(Load.IterationsPerUser(2, 5)).Build();
        Scenario[] scenarios =
        [
            Single("strict", notFound),
            Single("allowed", notFound.ExpectStatus(StatusCode.OK, StatusCode.NotFound).Extract("owner", order => order.Owner)),
            Single("only-ok-refused", orders.Unary((client, _, options) => client.GetAsync(new OrderRequest(), options)).ExpectStatus(StatusCode.NotFound)),
        ];

        var result = await LoadRunner.RunAsync(scenarios).WaitAsync(RunBound);

        var (strict, allowed, okRefused) = (result.GetStep("strict"), result.GetStep("allowed"), result.GetStep("only-ok-refused"));
        Assert.That((strict.Ok, strict.Failed), Is.EqualTo((0L, 10L)));
        Assert.That(strict.Errors.Single(), Is.EqualTo(new ErrorCount("status is OK (got NOT_FOUND: order refused)", 10)));
        Assert.That((allowed.Ok, allowed.Failed), Is.EqualTo((10L, 0L)), "an allowed status passes; extractions look at OK responses only");
        Assert.That((okRefused.Ok, okRefused.Failed), Is.EqualTo((0L, 10L)));
        Assert.That(okRefused.Errors.Single().Message, Is.EqualTo("status is NOT_FOUND (got OK)"));
        Assert.That((strict.Grpc!.Count(5), allowed.Grpc!.Count(5), okRefused.Grpc!.Count(0)), Is.EqualTo((10L, 10L, 10L)));
        Assert.That(server.Counts.Gets, Is.EqualTo(30));
    }

    [Test]
    public async Task ServerStreaming_ReadsToTheEnd_CountsMessagesAndTimeToFirstMessage()
    {
        await using var server = await OrdersServer.StartAsync();
        var orders = Client(server);
        var scenario = Scenario.Create("list")
            .Step("list", orders.ServerStreaming((client, _, options) => client.List(new ListRequest { Count = 5 }, options))
                .Check("the last order is the fifth", order => order.Id == 5)
                .Extract("last", "$.id"))
            .Step("use", ctx =>
            {
                if (ctx.Session.Get<string>("last") != "5")
                {
                    ctx.Fail($"last = {ctx.Session.Get<string>("last")}");
                }

                return ValueTask.CompletedTask;
            })
            .WithLoad(Load.IterationsPerUser(2, 10))
            .Build();

        var result = await LoadRunner.RunAsync(scenario).WaitAsync(RunBound);

        var list = result.GetStep("list");
        Assert.That((list.Ok, list.Failed, result.GetStep("use").Ok), Is.EqualTo((20L, 0L, 20L)), string.Join("; ", list.Errors.Select(e => e.Message)));
        Assert.That(server.Counts.Lists, Is.EqualTo(20));
        Assert.That((list.Grpc!.Count(0), list.Grpc.MessagesSent, list.Grpc.MessagesReceived), Is.EqualTo((20L, 20L, 100L)));
        var first = result.GetScenario("list").GetMeasurement("list", GrpcServerStreamingCall<Orders.OrdersClient, Order>.FirstMessageMeasurement);
        Assert.That(first.Ok, Is.EqualTo(20));
        Assert.That(first.Latency.Max, Is.LessThanOrEqualTo(list.Latency.Max));
    }

    [Test]
    public async Task ClientStreaming_SendsTheMessages_GetsOneResponse()
    {
        await using var server = await OrdersServer.StartAsync();
        var orders = Client(server);
        var scenario = Scenario.Create("upload")
            .Step("upload", orders.ClientStreaming(
                    (client, _, options) => client.Upload(options),
                    ctx => Enumerable.Range(0, 3).Select(i => new Order { Id = i, Owner = $"u{ctx.UserIndex}" }))
                .Check("all three arrived", reply => reply.Count == 3))
            .WithLoad(Load.IterationsPerUser(2, 10))
            .Build();

        var result = await LoadRunner.RunAsync(scenario).WaitAsync(RunBound);

        var upload = result.GetStep("upload");
        Assert.That((upload.Ok, upload.Failed), Is.EqualTo((20L, 0L)), string.Join("; ", upload.Errors.Select(e => e.Message)));
        Assert.That((server.Counts.Uploads, server.Counts.UploadedMessages), Is.EqualTo((20, 60)));
        Assert.That((upload.Grpc!.Count(0), upload.Grpc.MessagesSent, upload.Grpc.MessagesReceived), Is.EqualTo((20L, 60L, 20L)));
    }

    [Test]
    public async Task Duplex_ExchangeAcrossIterations_KeepsOneStreamPerUser()
    {
        await using var server = await OrdersServer.StartAsync();
        var orders = Client(server);
        var chat = orders.Duplex("chat", (client, _, options) => client.Chat(options));
        var scenario = Scenario.Create("chat")
            .WithInit(SetUser)
            .Step("say", chat.Exchange(ctx => new ChatMessage { Text = $"{ctx.Session.Get<int>("vu")}:{ctx.Iteration}" }, reply: m => m.Text.StartsWith("ack", StringComparison.Ordinal)))
            .WithLoad(Load.IterationsPerUser(3, 10))
            .Build();

        var result = await LoadRunner.RunAsync(scenario).WaitAsync(RunBound);

        var say = result.GetStep("say");
        Assert.That((say.Ok, say.Failed, say.TimedOut), Is.EqualTo((30L, 0L, 0L)), string.Join("; ", say.Errors.Select(e => e.Message)));
        Assert.That((server.Counts.Chats, server.Counts.ChatMessages), Is.EqualTo((3, 30)), "one stream per VU, kept across iterations");
        Assert.That((say.Grpc!.MessagesSent, say.Grpc.MessagesReceived, say.Grpc.ConnectionsOpened), Is.EqualTo((30L, 60L, 3L)), "the noise before each ack is received and skipped");
        await Eventually.UntilAsync(() => Volatile.Read(ref server.Counts.ChatsEnded) == 3, TimeSpan.FromSeconds(5),
            () => $"the server saw {server.Counts.ChatsEnded} of 3 streams end: the VUs' streams end with their VUs");
    }

    [Test]
    public async Task Duplex_CloseAndServerError_CountStatusesAndReopen()
    {
        await using var server = await OrdersServer.StartAsync();
        var orders = Client(server);
        var chat = orders.Duplex("chat", (client, _, options) => client.Chat(options));
        var scenario = Scenario.Create("chat")
            .Step("say", chat.Exchange(ctx => new ChatMessage { Text = ctx.Iteration == 1 ? "fail" : "hello" }, reply: m => m.Text.StartsWith("ack", StringComparison.Ordinal)))
            .Step("close", chat.Close())
            .WithLoad(Load.IterationsPerUser(1, 4))
            .Build();

        var result = await LoadRunner.RunAsync(scenario).WaitAsync(RunBound);

        var (say, close) = (result.GetStep("say"), result.GetStep("close"));
        Assert.That((say.Ok, say.Failed), Is.EqualTo((3L, 1L)));
        Assert.That(say.Errors.Single().Message, Is.EqualTo("GrpcStatusException: gRPC stream 'chat' ended with status RESOURCE_EXHAUSTED: chat is full"));
        Assert.That(say.Grpc!.Count((int)StatusCode.ResourceExhausted), Is.EqualTo(1));
        Assert.That((close.Ok, close.Grpc!.Count(0)), Is.EqualTo((3L, 3L)), "the failed exchange ended its iteration");
        Assert.That(server.Counts.Chats, Is.EqualTo(4), "each iteration opened a stream");
    }

    [Test]
    public async Task Duplex_NoMatchingReplyInTime_TimesOutAndAbortsTheStream()
    {
        await using var server = await OrdersServer.StartAsync();
        var orders = Client(server);
        var chat = orders.Duplex("chat", (client, _, options) => client.Chat(options));
        var scenario = Scenario.Create("chat")
            .Step("say", chat.Exchange(_ => new ChatMessage { Text = "hi" }, reply: m => m.Text == "never", timeout: TimeSpan.FromMilliseconds(200)))
            .WithLoad(Load.IterationsPerUser(1, 2))
            .Build();

        var result = await LoadRunner.RunAsync(scenario).WaitAsync(RunBound);

        var say = result.GetStep("say");
        Assert.That((say.Ok, say.TimedOut), Is.EqualTo((0L, 2L)));
        Assert.That(say.Errors.Single().Message, Is.EqualTo("no matching message on gRPC stream 'chat' within 200 ms"));
        Assert.That(server.Counts.Chats, Is.EqualTo(2), "a timed-out stream is aborted and the next send opens another");
    }

    [Test]
    public async Task Unary_OverTls_TrustsTheGivenAuthority()
    {
        using var certificates = TestCertificates.Create();
        using var serverCertificate = TestCertificates.ForServer(certificates.Issue("server", "localhost"));
        using var authority = X509Certificate2.CreateFromPem(await File.ReadAllTextAsync(certificates.AuthorityFile));
        await using var server = await OrdersServer.StartAsync(serverCertificate);
        var tls = new Uri($"https://127.0.0.1:{server.Address.Port}");
        Assert.That(server.Address.Scheme, Is.EqualTo("https"));
        var trusting = GrpcSteps.Client(new GrpcSettings { Address = tls, TrustedCertificate = authority }, invoker => new Orders.OrdersClient(invoker));
        var untrusting = GrpcSteps.Client(new GrpcSettings { Address = tls }, invoker => new Orders.OrdersClient(invoker));
        var scenario = Scenario.Create("tls")
            .Step("trusted", trusting.Unary((client, _, options) => client.GetAsync(new OrderRequest { Id = 1 }, options)))
            .Step("untrusted", untrusting.Unary((client, _, options) => client.GetAsync(new OrderRequest { Id = 1 }, options)))
            .WithLoad(Load.IterationsPerUser(1, 3))
            .Build();

        var result = await LoadRunner.RunAsync(scenario).WaitAsync(RunBound);

        var (trusted, untrusted) = (result.GetStep("trusted"), result.GetStep("untrusted"));
        Assert.That((trusted.Ok, trusted.Grpc!.ConnectionsOpened), Is.EqualTo((3L, 1L)));
        Assert.That((untrusted.Ok, untrusted.Failed), Is.EqualTo((0L, 3L)));
        Assert.That(untrusted.Errors.Single().Message, Does.StartWith("status is OK (got INTERNAL: ").And.Contain("certificate chain"));
        Assert.That(server.Counts.Gets, Is.EqualTo(3));
    }

    [Test]
    public async Task ProtocolsDocExample_RunsAsWritten()
    {
        await using var server = await OrdersServer.StartAsync();

        // As docs/protocols.md, "gRPC steps", writes it (the address is the test server's).
        var orders = GrpcSteps.Client(new GrpcSettings { Address = server.Address },
            invoker => new Orders.OrdersClient(invoker));
        var chat = orders.Duplex("chat", (client, ctx, options) => client.Chat(options));

        var scenario = Scenario.Create("orders")
            .WithInit((session, _) => { session.Set("vu", session.UserIndex); return ValueTask.CompletedTask; })
            .Step("get", orders.Unary((client, ctx, options) => client.GetAsync(new OrderRequest { Id = (int)ctx.Iteration }, options))
                .WithDeadline(TimeSpan.FromSeconds(2))
                .WithMetadata("authorization", "Bearer u{{vu}}")
                .Check("an owner", order => order.Owner.Length > 0)
                .Extract("owner", order => order.Owner)              // a property, stored as it is
                .Extract("customer", "$.customer.name"))             // a JSON path over the message's JSON form, stored as text
            .Step("list", orders.ServerStreaming((client, ctx, options) => client.List(new ListRequest { Count = 5 }, options)))
            .Step("upload", orders.ClientStreaming((client, ctx, options) => client.Upload(options),
                ctx => Enumerable.Range(0, 3).Select(i => new Order { Id = i })))
            .Step("say", chat.Exchange(ctx => new ChatMessage { Text = "hello" }, reply: m => m.Text.StartsWith("ack", StringComparison.Ordinal)))
            .WithLoad(Load.IterationsPerUser(4, 50))
            .Build();

        var result = await LoadRunner.RunAsync(scenario).WaitAsync(RunBound);

        TestContext.Out.WriteLine(SummaryTable.Render(result));
        Assert.That(result.GetScenario("orders").Iterations.Ok, Is.EqualTo(200), SummaryTable.Render(result));
        Assert.That((server.Counts.Gets, server.Counts.Lists, server.Counts.Uploads, server.Counts.ChatMessages), Is.EqualTo((200, 200, 200, 200)));
    }

    [TestCase("ftp://127.0.0.1:5001", "GrpcSettings.Address = 'ftp://127.0.0.1:5001': allowed an absolute http:// (HTTP/2 without TLS) or https:// (TLS) address")]
    [TestCase(null, "GrpcSettings.Address is not set, nor LOADKIT_GRPC_ADDRESS")]
    public void Client_BadAddress_ThrowsNamingTheSetting(string? address, string expected)
    {
        var settings = new GrpcSettings { Address = address is null ? null : new Uri(address) };
        Assert.That(() => GrpcSteps.Client(settings, invoker => new Orders.OrdersClient(invoker)),
            Throws.ArgumentException.With.Message.StartsWith(expected));
    }

    [Test]
    public void Extract_MalformedJsonPath_ThrowsNamingThePath()
    {
        var orders = GrpcSteps.Client(new GrpcSettings { Address = new Uri("http://127.0.0.1:1") }, invoker => new Orders.OrdersClient(invoker));
        var call = orders.Unary((client, _, options) => client.GetAsync(new OrderRequest(), options));
        Assert.That(() => call.Extract("id", "$.[unclosed"), Throws.ArgumentException.With.Message.StartsWith("gRPC extraction 'id' has JSON path '$.[unclosed': "));
        Assert.That(() => call.WithDeadline(TimeSpan.Zero), Throws.InstanceOf<ArgumentOutOfRangeException>().With.Message.Contains("gRPC deadline = 00:00:00: allowed a positive time"));
    }
}
