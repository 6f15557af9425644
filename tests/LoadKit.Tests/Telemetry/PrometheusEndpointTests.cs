using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using LoadKit.OpenTelemetry;
using LoadKit.TestTargets;

namespace LoadKit.Tests.Telemetry;

/// <summary>A real Prometheus scrapes the endpoint (one Prometheus and one endpoint for the class).</summary>
[NonParallelizable]
public class PrometheusEndpointTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(10);

    private static readonly string[] Labels = [LoadKitMetrics.ScenarioAttribute, LoadKitMetrics.StepAttribute, LoadKitMetrics.OutcomeAttribute, LoadKitMetrics.ProcessAttribute];

    private PrometheusEndpoint _endpoint = null!;
    private PrometheusServer _prometheus = null!;

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        _endpoint = new PrometheusEndpoint(new IPEndPoint(IPAddress.Loopback, EtcdServer.FreePort()));
        _endpoint.Open();
        _prometheus = await PrometheusServer.StartAsync(_endpoint.Address.ToString());
        await _prometheus.WaitAsync(async () => await _prometheus.QueryAsync("up{job=\"loadkit\"}") == 1, Bound, "Prometheus scraped the endpoint once");
    }

    [OneTimeTearDown]
    public async Task StopAsync()
    {
        PrometheusScrape.Close(_endpoint.Address);
        await _prometheus.DisposeAsync();
    }

    [Test]
    public async Task Scrape_LocalRun_PrometheusHoldsTheRunsCallsVusAndGeneratorCpu()
    {
        var name = "scraped-" + Guid.NewGuid().ToString("N")[..8];
        var result = await RunAsync(name, TimeSpan.FromSeconds(3));
        var total = result.Scenarios[0].Steps.Sum(s => s.Ok + s.Failed + s.TimedOut + s.Cancelled);
        var failed = result.GetStep("check").Failed;
        Assert.That(total, Is.GreaterThan(100));
        Assert.That(failed, Is.Positive);

        // The endpoint outlives the run, so a scrape after it holds the last calls too.
        double? scraped = null;
        await _prometheus.WaitAsync(async () => (scraped = await _prometheus.QueryAsync($"sum(loadkit_requests_total{{loadkit_scenario=\"{name}\"}})")) == total,
            Bound, $"Prometheus holds {total} calls of {name} (it has {scraped})");
        Assert.That(await _prometheus.QueryAsync($"sum(loadkit_requests_total{{loadkit_scenario=\"{name}\", loadkit_step=\"check\", loadkit_outcome=\"failed\"}})"), Is.EqualTo(failed));
        Assert.That(await _prometheus.QueryAsync($"count_over_time(loadkit_vus_active{{loadkit_scenario=\"{name}\"}}[1m])"), Is.Positive,
            "scraped during the run: the VU gauge has a value only while the run lasts");
        Assert.That(await _prometheus.QueryAsync("count(max_over_time(loadkit_generator_cpu_percent[1m]))"), Is.Positive, "the generator's CPU during the run");
        Assert.That(await _prometheus.QueryAsync($"sum(loadkit_request_duration_milliseconds_count{{loadkit_scenario=\"{name}\"}})"), Is.EqualTo(total),
            "every call is in the latency histogram");
    }

    [Test]
    public async Task Dashboard_EveryQuery_UsesMetricsAndLabelsTheEndpointServesAndPrometheusAccepts()
    {
        // One VU for 80 iterations a second of 20 ms or more: it drops some, so every instrument has a series.
        var result = await RunAsync("dashboard-" + Guid.NewGuid().ToString("N")[..8], TimeSpan.FromSeconds(2), wait: TimeSpan.FromMilliseconds(20), maxUsers: 1);
        Assert.That(result.Scenarios[0].Dropped, Is.Positive);
        var dashboard = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(Repository.Root, "deploy", "grafana", "loadkit-dashboard.json"))).RootElement;
        var queries = dashboard.GetProperty("panels").EnumerateArray().SelectMany(p => p.GetProperty("targets").EnumerateArray()).Select(t => t.GetProperty("expr").GetString()!)
            .Append(dashboard.GetProperty("templating").GetProperty("list")[1].GetProperty("definition").GetString()!)
            .ToArray();
        var names = queries.SelectMany(q => Regex.Matches(q, @"\bloadkit_[a-z_]+").Select(m => m.Value)).Distinct().ToArray();
        var labels = names.Intersect(Labels.Select(l => l.Replace('.', '_'))).ToArray();
        var metrics = names.Except(labels).ToArray();
        Assert.That(metrics, Is.SupersetOf(new[] { "loadkit_requests_total", "loadkit_request_duration_milliseconds_bucket", "loadkit_vus_active", "loadkit_iterations_dropped_total", "loadkit_generator_cpu_percent" }),
            "requests/s, errors, latency, VUs, dropped and generator CPU");

        // What Prometheus scraped from the endpoint, during the run and after it.
        string[] scraped = [];
        await _prometheus.WaitAsync(async () => !metrics.Except(scraped = await _prometheus.ValuesAsync("label/__name__/values")).Any(), Bound,
            $"Prometheus scraped {string.Join(", ", metrics)} from the endpoint (it has {string.Join(", ", scraped)})");
        Assert.That(await _prometheus.ValuesAsync("labels"), Is.SupersetOf(labels));

        foreach (var query in queries.Where(q => !q.StartsWith("label_values", StringComparison.Ordinal)))
        {
            var answer = await _prometheus.QueryResultAsync(query.Replace("$__rate_interval", "1m", StringComparison.Ordinal).Replace("$scenario", ".*", StringComparison.Ordinal));
            Assert.That(answer.GetProperty("status").GetString(), Is.EqualTo("success"), $"{query}: {answer}");
        }
    }

    [TestCase("9464", "127.0.0.1:9464")]
    [TestCase(" 127.0.0.1:9100 ", "127.0.0.1:9100")]
    [TestCase("localhost:9100", "127.0.0.1:9100")]
    [TestCase("0.0.0.0:9464", "0.0.0.0:9464")]
    [TestCase("[::1]:9464", "[::1]:9464")]
    public void Parse_PortOrAddressAndPort_ListensThere(string value, string expected)
    {
        var endpoint = PrometheusEndpoint.Parse(value, "test");

        Assert.That(endpoint!.Address.ToString(), Is.EqualTo(expected));
        Assert.That(endpoint.MetricsUrl.ToString(), Does.EndWith("/metrics").And.Not.Contain("0.0.0.0"));
    }

    [TestCase("127.0.0.1")]
    [TestCase("127.0.0.1:0")]
    [TestCase("70000")]
    [TestCase("http://127.0.0.1:9464")]
    [TestCase("host.example:9464")]
    public void Parse_NotAPortOrAddressAndPort_NamesTheSettingTheValueAndWhatIsAllowed(string value)
    {
        var error = Assert.Throws<ArgumentException>(() => PrometheusEndpoint.Parse(value, $"environment variable {PrometheusEndpoint.AddressVariable}"));

        Assert.That(error!.Message, Does.StartWith($"environment variable LOADKIT_PROMETHEUS = '{value}': must be a port or an IP address and port")
            .And.Contain("127.0.0.1:9464"));
    }

    [Test]
    public void Parse_Empty_IsNoEndpoint()
    {
        Assert.That(PrometheusEndpoint.Parse(" ", "test"), Is.Null);
    }

    [Test]
    public async Task Observe_PortInUse_RunGoesOnAndItsResultSaysWhy()
    {
        using var taken = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        var address = (IPEndPoint)taken.LocalEndpoint;

        var result = await RunAsync("in-use", TimeSpan.FromSeconds(0.5), new PrometheusEndpoint(address));

        Assert.That(result.GetStep("check").Ok, Is.Positive, "the run went on");
        Assert.That(result.Notes, Has.One.Contains($"The Prometheus endpoint cannot listen on http://{address}/").And.Contain("LOADKIT_PROMETHEUS"));
    }

    private Task<LoadResult> RunAsync(string name, TimeSpan duration, PrometheusEndpoint? endpoint = null, TimeSpan? wait = null, int maxUsers = 20) =>
        LoadRunner.RunAsync(
            Scenario.Create(name)
                .Step("check", ctx =>
                {
                    if (ctx.Iteration % 7 == 0)
                    {
                        ctx.Fail("every 7th");
                    }

                    return ValueTask.CompletedTask;
                })
                .Step("wait", _ => new ValueTask(Task.Delay(wait ?? TimeSpan.FromMilliseconds(2))))
                .WithLoad(Load.ArrivalRate(80, duration, preAllocatedUsers: Math.Min(4, maxUsers), maxUsers: maxUsers))
                .Build(),
            new RunOptions { Observers = [endpoint ?? _endpoint], Progress = ProgressMode.Off });
}
