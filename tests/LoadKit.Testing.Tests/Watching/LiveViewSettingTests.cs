using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using FluentAssertions;

namespace LoadKit.Testing.Tests.Watching;

/// <summary>LOADKIT_LIVE_VIEW: the control page's live view of a test run's load tests, served by LoadKit.ControlPage.</summary>
[NonParallelizable] // sets an environment variable of the process while it binds
public class LiveViewSettingTests
{
    [Test]
    public async Task Bind_LiveViewVariableSet_ServesEachRunWithItsFiguresAtTheAddressItPrintsOnce()
    {
        using var announced = new StringWriter();
        RunOptions options;
        Environment.SetEnvironmentVariable(LoadTest.LiveViewVariable, "127.0.0.1:0");
        try
        {
            options = LoadTest.Bind(announced);
        }
        finally
        {
            Environment.SetEnvironmentVariable(LoadTest.LiveViewVariable, null);
        }

        await using var view = options.Observers.OfType<LiveViewSetting>().Should().ContainSingle().Subject;
        using var client = new HttpClient { BaseAddress = view.Address };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", view.AccessToken);
        options = options with { Progress = ProgressMode.Off };

        // Two load tests of the same test run: the view shows each, and lists both with their figures.
        var first = await LoadRunner.RunAsync(Ticks("first", iterations: 30), options);
        var second = await LoadRunner.RunAsync(Ticks("second", iterations: 40), options);
        using var runs = JsonDocument.Parse(await client.GetStringAsync(new Uri("/api/runs", UriKind.Relative)));
        using var current = JsonDocument.Parse(await client.GetStringAsync(new Uri("/api/runs/current", UriKind.Relative)));
        using var anonymous = new HttpClient();
        var refused = await anonymous.GetAsync(new Uri(view.Address, "/api/runs"));
        var page = await client.GetAsync(new Uri("/", UriKind.Relative));

        var text = announced.ToString();
        text.Should().Contain($"LoadKit live view of this test run: {view.Address} (access token {view.AccessToken}; from environment variable LOADKIT_LIVE_VIEW)");
        text.Split("LoadKit live view").Should().HaveCount(2, "said once");
        view.Address.Port.Should().BeGreaterThan(0, "port 0 took a free one and the address names it");
        var finished = runs.RootElement.GetProperty("finished").EnumerateArray().ToArray();
        finished.Select(r => r.GetProperty("plan").GetString()).Should().Equal("second", "first");
        finished.Select(r => r.GetProperty("requests").GetInt64()).Should().Equal(40, 30);
        finished.Select(r => r.GetProperty("errors").GetInt64()).Should().Equal(0, 0);
        finished.Select(r => r.GetProperty("verdict").GetString()).Should().Equal("passed: 1 thresholds", "passed: 1 thresholds");
        current.RootElement.GetProperty("plan").GetString().Should().Be("second");
        current.RootElement.GetProperty("state").GetString().Should().Be("finished");
        current.RootElement.GetProperty("points").EnumerateArray().Select(p => p.GetProperty("requests").GetInt64())
            .Should().Equal(second.GetStep("tick").Timeline.Select(p => p.Ok + p.Failed + p.TimedOut));
        first.GetStep("tick").Ok.Should().Be(30);
        refused.StatusCode.Should().Be(HttpStatusCode.Unauthorized, "the view needs its token");
        page.StatusCode.Should().Be(HttpStatusCode.OK);
        (await page.Content.ReadAsStringAsync()).Should().Contain("LoadKit control page");
    }

    [Test]
    public void Open_NotAnAddress_NamesTheVariableTheValueAndWhatIsAllowed()
    {
        var open = () => LiveViewSetting.Open(Settings("127.0.0.1"), name => $"environment variable {name}", TextWriter.Null);

        open.Should().Throw<ArgumentException>()
            .WithMessage("environment variable LOADKIT_LIVE_VIEW = '127.0.0.1': not an address to listen on; allowed: IP:PORT*");
    }

    [Test]
    public void Open_AddressInUse_NamesTheVariable()
    {
        using var taken = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        var address = $"127.0.0.1:{((IPEndPoint)taken.LocalEndpoint).Port}";

        var open = () => LiveViewSetting.Open(Settings(address), name => $"NUnit run parameter {LoadTest.ParameterFor(name)}", TextWriter.Null);

        open.Should().Throw<IOException>().WithMessage($"NUnit run parameter LoadKit.LiveView = '{address}': listen = '{address}': cannot listen there*");
    }

    [Test]
    public void Open_ControlPageNotReferenced_SaysWhichPackageToAdd()
    {
        var open = () => LiveViewSetting.Open(Settings("127.0.0.1:5665"), name => $"environment variable {name}", TextWriter.Null, "LoadKit.LiveView, LoadKit.NotReferenced");

        open.Should().Throw<ArgumentException>()
            .WithMessage("environment variable LOADKIT_LIVE_VIEW = '127.0.0.1:5665': the live view is in the package LoadKit.ControlPage, which this test project does not reference*dotnet add package LoadKit.ControlPage*");
    }

    [Test]
    public void Open_NotSet_OpensNothing() =>
        LiveViewSetting.Open(_ => null, name => name, TextWriter.Null).Should().BeNull();

    private static Func<string, string?> Settings(string liveView) => name => name == LoadTest.LiveViewVariable ? liveView : null;

    private static Scenario Ticks(string name, int iterations) => Scenario.Create(name)
        .Step("tick", async ctx => await Task.Delay(1, ctx.CancellationToken))
        .WithLoad(Load.SharedIterations(users: 2, iterations: iterations, maxDuration: TimeSpan.FromSeconds(20)))
        .WithThresholds(Threshold.Step("tick").FailureRate.Below(0.01))
        .Build();
}
