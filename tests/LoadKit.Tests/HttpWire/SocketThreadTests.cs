using System.Collections.Concurrent;
using System.Text;
using LoadKit.Engine;
using LoadKit.HttpWire;
using LoadKit.TestTargets;
using LoadKit.Workload;

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
    public async Task Run_ArrivalRateWithTheDefault_RunsNoUserCodeOnTheSocketThread()
    {
        // ResponsesOnSocketThread left open and a fixed rate: the engine reads on the socket thread, user code never runs there.
        await using var server = await DelayServer.StartAsync(("/slow", TimeSpan.FromMilliseconds(5)));
        var call = Http.Get("/slow");
        var userCode = new ConcurrentQueue<bool>();
        var scenario = Scenario.Create("inline by default")
            .WithHttp(new HttpSettings { BaseAddress = server.BaseAddress, Engine = HttpEngine.LoadKit })
            .Step("get", call)
            .Step("code after a response", _ =>
            {
                userCode.Enqueue(SocketThread.IsCurrent);
                return ValueTask.CompletedTask;
            })
            .Step("send from code", async ctx =>
            {
                await call.SendAsync(ctx);
                userCode.Enqueue(SocketThread.IsCurrent);
            })
            // As many VUs as iterations: a starved scheduler that starts a burst late drops none (CI dropped 3 of 60 with 20).
            .WithLoad(Load.ArrivalRate(200, TimeSpan.FromMilliseconds(300), preAllocatedUsers: 20, maxUsers: 60))
            .Build();
        Assert.That(ReadsOnSocketThread(scenario), Is.True);

        var result = await LoadRunner.RunAsync(scenario).WaitAsync(Bound).ConfigureAwait(false);

        Assert.That(result.Scenarios[0].Dropped, Is.Zero);
        Assert.That(result.GetStep("get").Ok, Is.EqualTo(60));
        Assert.That(result.GetStep("send from code").Ok, Is.EqualTo(60));
        Assert.That(userCode, Has.Count.EqualTo(120).And.All.False, "user code that ran on the socket thread");
    }

    [TestCase(100, 1, ExpectedResult = true)]
    [TestCase(20_000, 1, ExpectedResult = true)]
    [TestCase(25_000, 1, ExpectedResult = false)]
    [TestCase(25_000, 2, ExpectedResult = true)] // each of two workers starts 12,500 a second
    public bool SuitsLoad_ArrivalRate_UpToTheDefaultRateOnThisProcess(double rate, int workers) =>
        SocketThread.SuitsLoad(LoadPlan.Create([], [Load.ArrivalRate(rate, TimeSpan.FromMinutes(1), 1, 10)]), SegmentSequence.Equal(workers).Share(0));

    [Test]
    public void SuitsLoad_ClosedOrMixedOrRampingPastTheRate_ReadsOnTheThreadPool()
    {
        var minute = TimeSpan.FromMinutes(1);
        Assert.Multiple(() =>
        {
            Assert.That(SocketThread.SuitsLoad(LoadPlan.Create([], [Load.ConstantUsers(10, minute)]), SegmentShare.Whole), Is.False, "users");
            Assert.That(SocketThread.SuitsLoad(LoadPlan.Create([], [Load.IterationsPerUser(10, 5)]), SegmentShare.Whole), Is.False, "iterations");
            Assert.That(SocketThread.SuitsLoad(LoadPlan.Create([], [Load.ArrivalRate(100, minute, 1, 10), Load.ConstantUsers(10, minute)]), SegmentShare.Whole), Is.False, "a rate, then users");
            Assert.That(SocketThread.SuitsLoad(LoadPlan.Create([], [Load.ArrivalRate(100, minute, 1, 10), Load.RampArrivalRate(30_000, minute, 1, 10)]), SegmentShare.Whole), Is.False, "a ramp past the rate");
            Assert.That(SocketThread.SuitsLoad(LoadPlan.Create([], [Load.ArrivalRate(100, minute, 1, 10), Load.RampArrivalRate(0, minute, 1, 10)]), SegmentShare.Whole), Is.True, "a ramp down");
        });
    }

    [TestCase(null, true, ExpectedResult = true)]
    [TestCase(null, false, ExpectedResult = false)]
    [TestCase(false, true, ExpectedResult = false)]
    [TestCase(true, false, ExpectedResult = true)]
    public bool ReadsOnSocketThread_TheSettingDecidesWhenGiven(bool? setting, bool arrivalRate)
    {
        var scenario = Scenario.Create("decided")
            .WithHttp(new HttpSettings { BaseAddress = new Uri("http://127.0.0.1:1/"), Engine = HttpEngine.LoadKit, ResponsesOnSocketThread = setting })
            .Step("get", Http.Get("/"))
            .WithLoad(arrivalRate ? Load.ArrivalRate(100, TimeSpan.FromMinutes(1), 1, 10) : Load.ConstantUsers(10, TimeSpan.FromMinutes(1)))
            .Build();
        return ReadsOnSocketThread(scenario);
    }

    /// <summary>Where a run of the whole <paramref name="scenario"/> on one process reads its responses.</summary>
    private static bool ReadsOnSocketThread(Scenario scenario) =>
        new ScenarioEngine(scenario, RunPlan.LoadOf(scenario, LoadProfile.Full, 1), SegmentShare.Whole).ReadsOnSocketThread;

    [Test]
    public void ReadsOnSocketThread_HttpClientEngine_NeverByDefault()
    {
        var scenario = Scenario.Create("httpclient")
            .WithHttp(new HttpSettings { BaseAddress = new Uri("http://127.0.0.1:1/"), Engine = HttpEngine.HttpClient })
            .Step("get", Http.Get("/"))
            .WithLoad(Load.ArrivalRate(100, TimeSpan.FromMinutes(1), 1, 10))
            .Build();
        Assert.That(ReadsOnSocketThread(scenario), Is.False);
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
