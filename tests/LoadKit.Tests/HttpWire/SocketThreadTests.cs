using System.Collections.Concurrent;
using System.Text;
using LoadKit.HttpWire;
using LoadKit.TestTargets;

namespace LoadKit.Tests.HttpWire;

/// <summary>
/// <see cref="HttpSettings.ResponsesOnSocketThread"/>: LoadKit's engine reads its responses on .NET's socket thread,
/// and no code of the user's runs there.
/// </summary>
public class SocketThreadTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);

    [TestCase(true)]
    [TestCase(false)]
    public async Task Response_InlinePool_IsReadOnTheSocketThread(bool inline)
    {
        // The server answers 20 ms late, so the read waits for the socket: its completion comes from the event thread.
        await using var server = await DelayServer.StartAsync(("/slow", TimeSpan.FromMilliseconds(20)));
        using var pool = new WirePool(new WirePoolSettings(int.MaxValue, Inline: inline));
        using var exchange = new WireExchange();
        var onSocketThread = new List<bool>();
        for (var i = 0; i < 3; i++)
        {
            exchange.Request.Clear();
            exchange.Request.Write(Encoding.ASCII.GetBytes("GET /slow HTTP/1.1\r\nHost: test\r\n\r\n"));
            await exchange.SendAsync(pool, new WireOrigin(server.BaseAddress), isHead: false, CancellationToken.None).ConfigureAwait(false);
            onSocketThread.Add(SocketThread.IsCurrent); // where the continuation of the read ran
            Assert.That(exchange.Status, Is.EqualTo(200));
        }

        Assert.That(onSocketThread, Is.All.EqualTo(inline));
    }

    [Test]
    public async Task Run_ResponsesOnSocketThread_RunsNoUserCodeThere()
    {
        await using var server = await DelayServer.StartAsync(("/slow", TimeSpan.FromMilliseconds(5)));
        var call = Http.Get("/slow");
        var userCode = new ConcurrentQueue<(string Where, bool OnSocketThread)>();
        var scenario = Scenario.Create("inline")
            .WithHttp(new HttpSettings { BaseAddress = server.BaseAddress, Engine = HttpEngine.LoadKit, ResponsesOnSocketThread = true })
            .Step("get", call)
            .Step("code after a response", _ =>
            {
                userCode.Enqueue(("step", SocketThread.IsCurrent));
                return ValueTask.CompletedTask;
            })
            .Step("send from code", async ctx =>
            {
                var reply = await call.SendAsync(ctx);
                userCode.Enqueue(("after SendAsync", SocketThread.IsCurrent));
                if (reply.StatusCode != 200)
                {
                    ctx.Fail($"status {reply.StatusCode}");
                }
            })
            .Step("last get", call)
            .WithLoad(Load.IterationsPerUser(3, 20))
            .Build();

        var result = await LoadRunner.RunAsync(scenario).ConfigureAwait(false);
        userCode.Enqueue(("after the run", SocketThread.IsCurrent));

        Assert.That(result.GetStep("get").Ok + result.GetStep("last get").Ok + result.GetStep("send from code").Ok, Is.EqualTo(180));
        Assert.That(userCode.Count(c => c.Where == "step"), Is.EqualTo(60));
        Assert.That(userCode.Where(c => c.OnSocketThread).Select(c => c.Where).Distinct(), Is.Empty, "user code that ran on the socket thread");
    }

    [Test]
    public void Settings_ResponsesOnSocketThreadWithHttpClient_IsRefusedNamingTheSetting()
    {
        var builder = Scenario.Create("refused")
            .WithHttp(new HttpSettings { BaseAddress = new Uri("http://127.0.0.1:1/"), Engine = HttpEngine.HttpClient, ResponsesOnSocketThread = true })
            .Step("get", Http.Get("/"))
            .WithLoad(Load.IterationsPerUser(1, 1));

        var exception = Assert.Throws<ScenarioValidationException>(() => builder.Build());
        Assert.That(exception!.Message, Does.Contain("Http.ResponsesOnSocketThread").And.Contain("LoadKit's engine only"));
    }
}
