using Grpc.Core;
using LoadKit.Grpc.Tests.Protos;

namespace LoadKit.Grpc.Tests;

/// <summary>gRPC status codes in every report, from a real run whose calls end with OK, UNAVAILABLE and NOT_FOUND.</summary>
public class GrpcReportTests
{
    [Test]
    public async Task WriteAsync_CallsWithSeveralStatuses_EveryReportCountsEachStatusPerStep()
    {
        await using var server = await OrdersServer.StartAsync();
        var orders = GrpcSteps.Client(new GrpcSettings { Address = server.Address }, invoker => new Orders.OrdersClient(invoker));
        // Of each 4 iterations: 2 OK, 1 UNAVAILABLE (14), 1 NOT_FOUND (5, allowed).
        var scenario = Scenario.Create("statuses")
            .Step("get", orders.Unary((client, ctx, options) => client.GetAsync(
                    new OrderRequest { Id = 1, Status = (ctx.Iteration % 4) switch { 2 => 14, 3 => 5, _ => 0 } }, options))
                .ExpectStatus(StatusCode.OK, StatusCode.NotFound))
            .WithLoad(Load.IterationsPerUser(2, 20))
            .Build();
        var result = await LoadRunner.RunAsync(scenario).WaitAsync(TimeSpan.FromSeconds(60));
        var folder = Directory.CreateTempSubdirectory("loadkit-grpc-report-").FullName;

        var files = await Report.WriteAsync(result, folder);

        var grpc = result.GetStep("get").Grpc!;
        Assert.That((grpc.Count(0), grpc.Count(14), grpc.Count(5)), Is.EqualTo((20L, 10L, 10L)));
        Assert.That(SummaryTable.Render(result), Does.Contain("    get: OK × 20, NOT_FOUND × 10, UNAVAILABLE × 10; messages sent 40"));
        Assert.That(File.ReadAllText(files.Markdown), Does.Contain("| step | protocol | status codes |")
            .And.Contain(@"| get | grpc | OK × 20, NOT\_FOUND × 10, UNAVAILABLE × 10 |"));
        Assert.That(System.Net.WebUtility.HtmlDecode(File.ReadAllText(files.Html)), Does.Contain("<h3>Status codes</h3>")
            .And.Contain("<td class=\"text\">get</td><td class=\"text\">grpc</td><td class=\"text\">OK × 20, NOT_FOUND × 10, UNAVAILABLE × 10</td>"));
        var csv = File.ReadAllLines(files.StepsCsv);
        Assert.That(csv[0], Does.EndWith(",max_ms,grpc_OK,grpc_NOT_FOUND,grpc_UNAVAILABLE"));
        Assert.That(csv[1], Does.StartWith("statuses,get,30,10,0,0,").And.EndWith(",20,10,10"));
    }
}
