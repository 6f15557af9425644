using LoadKit.Grpc.Tests.Protos;
using LoadKit.TestTargets;

namespace LoadKit.Grpc.Tests;

/// <summary>A gRPC scenario on real worker processes registered in a real etcd, all on 127.0.0.1.</summary>
[NonParallelizable]
public class DistributedGrpcTests
{
    /// <summary>The gRPC server's address, forwarded to the workers.</summary>
    public const string AddressVariable = "LOADKIT_TEST_GRPC_ADDRESS";

    private const string Token = "grpc-test-token-0123456789";

    /// <summary>2 VUs (one per worker), 25 unary calls each, on a channel per VU, each VU's calls marked with its index.</summary>
    public static Scenario TwoUsersCallingGet()
    {
        var orders = GrpcSteps.Client(new GrpcSettings { Address = new Uri(Environment.GetEnvironmentVariable(AddressVariable)!) }, invoker => new Orders.OrdersClient(invoker));
        return Scenario.Create("distributed grpc")
            .WithInit((session, _) =>
            {
                session.Set("vu", session.UserIndex);
                return ValueTask.CompletedTask;
            })
            .Step("get", orders.Unary((client, ctx, options) => client.GetAsync(new OrderRequest { Id = (int)ctx.Iteration }, options))
                .WithMetadata("authorization", "u{{vu}}")
                .Extract("id", "$.id"))
            .WithLoad(Load.IterationsPerUser(2, 25))
            .Build();
    }

    [Test]
    public async Task RunAsync_TwoWorkers_MergeStatusesMessagesAndConnectionsExactly()
    {
        await using var server = await OrdersServer.StartAsync();
        await server.WarmUpAsync();
        await using var etcd = await EtcdServer.StartAsync();
        var prefix = "grpc-" + Guid.NewGuid().ToString("N")[..8];
        await using var workers = LocalWorkers.Start(2, etcd.Url, prefix, Token, "tests/LoadKit.Grpc.Tests");
        Environment.SetEnvironmentVariable(AddressVariable, server.Address.ToString());

        var result = await LoadRunner.RunAsync([TwoUsersCallingGet], new RunOptions
        {
            Target = new ClusterTarget(new ClusterOptions([new Uri(etcd.Url)], 2, Token)
            {
                Prefix = prefix,
                WorkerWait = TimeSpan.FromSeconds(30),
                Forward = [AddressVariable],
            }),
        }).WaitAsync(TimeSpan.FromSeconds(120));

        TestContext.Out.WriteLine(SummaryTable.Render(result));
        Assert.That(result.Workers, Has.Count.EqualTo(2));
        var get = result.GetStep("get");
        Assert.That((get.Ok, get.Failed), Is.EqualTo((50L, 0L)), string.Join("; ", get.Errors.Select(e => e.Message)));
        Assert.That(server.Counts.Gets, Is.EqualTo(50));
        Assert.That((get.Grpc!.Count(0), get.Grpc.MessagesSent, get.Grpc.MessagesReceived), Is.EqualTo((50L, 50L, 50L)));
        Assert.That(get.Grpc.ConnectionsOpened, Is.EqualTo(2).And.EqualTo(server.Counts.Connections));
        Assert.That(result.Workers.Select(w => w.Result.Scenarios[0].GetStep("get").Grpc!.Count(0)), Is.EqualTo(new[] { 25L, 25L }), "each worker's own counts");

        // Fresh workers: before the start instant each opened its VU's connection and compiled the gRPC code of the run
        // (loaded with the test assembly, anew in each run). Without that, the first calls reached the server 105-203 ms
        // after the instant; with it 8-19 ms, measured by the server's own thread (docs/distributed-ci.md, "A warm start").
        var firstCalls = server.Counts.FirstArrivals.Where(a => a.Key.StartsWith('u')).Select(a => a.Value - result.StartedAt).Order().ToArray();
        TestContext.Out.WriteLine($"first calls reached the server {string.Join(" and ", firstCalls.Select(a => $"{a.TotalMilliseconds:0.000} ms"))} after the start instant");
        Assert.That(firstCalls, Has.Length.EqualTo(2));
        Assert.That(firstCalls[^1], Is.LessThan(TimeSpan.FromMilliseconds(75)), "no worker's first call waited for the JIT");
        Assert.That(server.Counts.Connections, Is.EqualTo(2), "each VU's calls went over the connection opened for it before the start");
    }
}
