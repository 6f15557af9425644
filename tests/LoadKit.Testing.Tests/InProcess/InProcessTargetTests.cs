using System.Net;
using System.Net.Sockets;
using FluentAssertions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.Logging;
using NUnit.Framework.Internal;

namespace LoadKit.Testing.Tests.InProcess;

/// <summary>A small ASP.NET Core shop hosted in the test with TestServer, loaded through HttpSettings.Handler.</summary>
public class InProcessTargetTests
{
    private WebApplication _shop = null!;
    private TestServer _server = null!;
    private long _checkouts;

    [OneTimeSetUp]
    public async Task StartShop()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseTestServer();
        _shop = builder.Build();
        _shop.MapGet("/products", async () => { await Task.Delay(5); return "[{\"id\":1}]"; });
        _shop.MapPost("/checkout", () => { Interlocked.Increment(ref _checkouts); return Microsoft.AspNetCore.Http.Results.Ok(); });
        _shop.MapGet("/protocol", (HttpContext context) => context.Request.Protocol);
        _shop.MapGet("/host", (HttpContext context) => context.Request.Host.Value);
        await _shop.StartAsync();
        _server = _shop.GetTestServer();
    }

    [OneTimeTearDown]
    public async Task StopShop()
    {
        _server.Dispose();
        await _shop.DisposeAsync();
    }

    [Test]
    public async Task RunAsync_TestServerHandler_PassesAGateWithNoListeningSocketOpened()
    {
        var listeningBefore = ListeningSockets.OfThisProcess();
        var checkoutsBefore = Interlocked.Read(ref _checkouts);
        var scenario = Scenario.Create("shop-in-process")
            .WithHttp(new HttpSettings { Handler = _server.CreateHandler })
            .Step("browse", Http.Get("/products").Check(HttpCheck.BodyContains("\"id\"")))
            .Step("pay", Http.Post("/checkout"))
            .WithLoad(Load.IterationsPerUser(users: 4, iterations: 25))
            .Build();

        var result = await LoadTest.RunAsync(scenario).WaitAsync(TimeSpan.FromSeconds(60));

        result.Should().HaveStep("pay").WithPercentile(95).Below(TimeSpan.FromSeconds(1))
            .And.HaveFailureCountAtMost(0);
        result.Should().HaveStep("browse").HaveFailureCountAtMost(0);
        Assert.That(Interlocked.Read(ref _checkouts) - checkoutsBefore, Is.EqualTo(100), "every call reached the app");
        Assert.That(result.GetStep("pay").Http!.StatusCodes, Is.EqualTo(new[] { new StatusCodeCount(200, 100) }));
        Assert.That(ListeningSockets.OfThisProcess().Except(listeningBefore), Is.Empty, "no listening socket was opened");
        Assert.That(result.Notes, Is.EqualTo(new[]
        {
            "Scenario 'shop-in-process': HTTP steps went to an in-process handler (HttpSettings.Handler); latency excludes the network.",
        }));
        Assert.That(TestExecutionContext.CurrentContext.CurrentResult.Output, Does.Contain(
            "note: Scenario 'shop-in-process': HTTP steps went to an in-process handler (HttpSettings.Handler); latency excludes the network."),
            "the summary in the test output says so too");
    }

    [Test]
    public async Task Handler_Http2_ReachesTheAppAsHttp2()
    {
        var scenario = Scenario.Create("h2")
            .WithHttp(new HttpSettings { Handler = _server.CreateHandler, Version = HttpVersion.Version20 })
            .Step("protocol", Http.Get("/protocol").Check(HttpCheck.BodyContains("HTTP/2")))
            .WithLoad(Load.IterationsPerUser(users: 1, iterations: 2))
            .Build();

        var result = await LoadRunner.RunAsync(scenario).WaitAsync(TimeSpan.FromSeconds(60));

        result.Should().HaveStep("protocol").HaveFailureCountAtMost(0);
        Assert.That(result.GetStep("protocol").Ok, Is.EqualTo(2));
    }

    [Test]
    [NonParallelizable]
    public async Task Handler_BaseAddressVariableSet_IsNotReadAndRequestsStayInProcess()
    {
        var before = Environment.GetEnvironmentVariable(HttpSettings.BaseAddressVariable);
        Environment.SetEnvironmentVariable(HttpSettings.BaseAddressVariable, "http://127.0.0.1:9/");
        try
        {
            var scenario = Scenario.Create("aimed-elsewhere")
                .WithHttp(new HttpSettings { Handler = _server.CreateHandler })
                .Step("host", Http.Get("/host").Check(HttpCheck.BodyContains("localhost")))
                .WithLoad(Load.IterationsPerUser(users: 1, iterations: 2))
                .Build();

            var result = await LoadRunner.RunAsync(scenario).WaitAsync(TimeSpan.FromSeconds(60));

            result.Should().HaveStep("host").HaveFailureCountAtMost(0, "the requests went to http://localhost/, not to the variable's address");
            Assert.That(result.GetStep("host").Ok, Is.EqualTo(2));
        }
        finally
        {
            Environment.SetEnvironmentVariable(HttpSettings.BaseAddressVariable, before);
        }
    }

    [Test]
    public void ListeningSockets_TcpListenerStarted_IsSeen()
    {
        var before = ListeningSockets.OfThisProcess();
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        try
        {
            Assert.That(ListeningSockets.OfThisProcess().Except(before).Count(), Is.EqualTo(1), "the check above would see a listener");
        }
        finally
        {
            listener.Stop();
        }
    }

    [TestCase(HttpConnections.PerUser, 3)]
    [TestCase(HttpConnections.Shared, 1)]
    public async Task Handler_Connections_CalledOncePerPool(HttpConnections connections, int expectedCalls)
    {
        var calls = 0;
        var scenario = Scenario.Create("pools")
            .WithHttp(new HttpSettings
            {
                Handler = () => { Interlocked.Increment(ref calls); return _server.CreateHandler(); },
                Connections = connections,
            })
            .Step("browse", Http.Get("/products"))
            .WithLoad(Load.IterationsPerUser(users: 3, iterations: 4))
            .Build();

        var result = await LoadRunner.RunAsync(scenario).WaitAsync(TimeSpan.FromSeconds(60));

        Assert.That(result.GetStep("browse").Ok, Is.EqualTo(12));
        Assert.That(calls, Is.EqualTo(expectedCalls));
    }

    [Test]
    public async Task Handler_SameHandlerForEveryUser_FailsTheStepsNamingTheProblem()
    {
        using var one = _server.CreateHandler();
        var scenario = Scenario.Create("reused")
            .WithHttp(new HttpSettings { Handler = () => one })
            .Step("browse", Http.Get("/products"))
            .WithLoad(Load.IterationsPerUser(users: 2, iterations: 3))
            .Build();

        var result = await LoadRunner.RunAsync(scenario).WaitAsync(TimeSpan.FromSeconds(60));

        var browse = result.GetStep("browse");
        Assert.That(browse.Ok, Is.EqualTo(3), "the first VU's calls");
        Assert.That(browse.Failed, Is.EqualTo(3), "the second VU's calls");
        Assert.That(browse.Errors.Single().Message, Does.Contain(
            "HttpSettings.Handler returned the same ClientHandler twice. Each VU's pool disposes its handler when the VU ends, " +
            "so the function must create a new one on each call (e.g. factory.Server.CreateHandler), or set Connections = HttpConnections.Shared."));
    }

    [Test]
    public void Build_HandlerWithMaxConnections_ListsTheSettingThatDoesNotApply()
    {
        var builder = Scenario.Create("limited")
            .WithHttp(new HttpSettings { Handler = _server.CreateHandler, MaxConnectionsPerServer = 10 })
            .Step("browse", Http.Get("/products"))
            .WithLoad(Load.IterationsPerUser(users: 1, iterations: 1));

        var exception = Assert.Throws<ScenarioValidationException>(() => builder.Build());

        Assert.That(exception.Message, Does.Contain(
            "Http.MaxConnectionsPerServer = 10: does not apply when Http.Handler is set (requests go to the handler, not over connections); leave it unset"));
    }

    [Test]
    public async Task RunAsync_RealConnections_HaveNoInProcessNote()
    {
        await using var shop = await TestTargets.DelayServer.StartAsync(("/products", TimeSpan.Zero));
        var scenario = Scenario.Create("over-tcp")
            .WithHttp(new HttpSettings { BaseAddress = shop.BaseAddress })
            .Step("browse", Http.Get("/products"))
            .WithLoad(Load.IterationsPerUser(users: 1, iterations: 2))
            .Build();

        var result = await LoadRunner.RunAsync(scenario).WaitAsync(TimeSpan.FromSeconds(60));

        Assert.That(result.GetStep("browse").Ok, Is.EqualTo(2));
        Assert.That(result.Notes, Is.Empty);
    }
}
