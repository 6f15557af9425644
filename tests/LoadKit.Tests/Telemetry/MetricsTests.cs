using System.Diagnostics.Metrics;
using System.Diagnostics;
using System.Net.Sockets;
using System.Net;
using LoadKit.Results;
using LoadKit.Stats;
using LoadKit.Telemetry;

namespace LoadKit.Tests.Telemetry;

public class MetricsTests
{
    [Test]
    public async Task RunAsync_WithOtlpEndpoint_ReceiverGetsEveryMetricWithScenarioAndStepAttributes()
    {
        await using var receiver = await OtlpReceiver.StartAsync();
        var scenario = Scenario.Create("otlp-demo")
            .Step("ping", async ctx => await Task.Delay(5, ctx.CancellationToken))
            .Step("flaky", ctx => ctx.Iteration % 4 == 0 ? throw new InvalidOperationException("every fourth") : ValueTask.CompletedTask)
            .WithLoad(Load.ConstantUsers(3, TimeSpan.FromSeconds(2.5)))
            .Build();

        var result = await LoadRunner.RunAsync(scenario, new RunOptions { Observers = [new OtlpExporter(receiver.BaseAddress)], Progress = ProgressMode.Off })
            .WaitAsync(TimeSpan.FromSeconds(30));

        var exports = receiver.Exports;
        TestContext.Out.WriteLine($"{exports.Count} exports, {exports.Sum(e => e.Body.Length)} bytes");
        Assert.That(exports, Has.Count.GreaterThanOrEqualTo(2), "one a second while the run lasts, and the last flush");
        Assert.That(exports[0].ContentType, Is.EqualTo("application/x-protobuf"));
        Assert.That(result.Notes, Has.None.Contains("OTLP"));
        var last = exports[^1].Points.Where(p => p.Attributes.GetValueOrDefault(LoadKitMetrics.ScenarioAttribute) == "otlp-demo").ToArray();
        foreach (var point in last)
        {
            TestContext.Out.WriteLine($"{point.Metric} [{point.Unit}] {string.Join(", ", point.Attributes.Select(a => $"{a.Key}={a.Value}"))}: {point.Value}");
        }

        // Cumulative counts: the last export holds the whole run, exactly as the result counts it.
        Assert.That(Count(last, LoadKitMetrics.Requests, "ping", "ok"), Is.EqualTo(result.GetStep("ping").Ok));
        Assert.That(Count(last, LoadKitMetrics.Requests, "flaky", "failed"), Is.EqualTo(result.GetStep("flaky").Failed).And.GreaterThan(0));
        Assert.That(Count(last, LoadKitMetrics.RequestDuration, "ping", "ok"), Is.EqualTo(result.GetStep("ping").Ok));
        var duration = last.Single(p => p.Metric == LoadKitMetrics.RequestDuration && p.Attributes[LoadKitMetrics.StepAttribute] == "ping" && p.Attributes[LoadKitMetrics.OutcomeAttribute] == "ok");
        Assert.That(duration.Unit, Is.EqualTo("ms"));
        Assert.That(duration.Sum / duration.Value, Is.InRange(5.0, 100.0), "mean latency of a 5 ms delay, in milliseconds");
        var users = exports.SelectMany(e => e.Points).Where(p => p.Metric == LoadKitMetrics.ActiveUsers && p.Attributes.GetValueOrDefault(LoadKitMetrics.ScenarioAttribute) == "otlp-demo");
        Assert.That(users.Max(p => p.Value), Is.EqualTo(3), "the VU gauge while the run lasted");
    }

    [Test]
    public async Task RunAsync_UnreachableOtlpEndpoint_RunCompletesWithOneNote()
    {
        var scenario = Scenario.Create("otlp-nowhere")
            .Step("ping", async ctx => await Task.Delay(5, ctx.CancellationToken))
            .WithLoad(Load.ConstantUsers(2, TimeSpan.FromSeconds(1.5)))
            .Build();
        var endpoint = new Uri($"http://127.0.0.1:{ClosedPort()}");
        var clock = Stopwatch.StartNew();

        var result = await LoadRunner.RunAsync(scenario, new RunOptions { Observers = [new OtlpExporter(endpoint)], Progress = ProgressMode.Off })
            .WaitAsync(TimeSpan.FromSeconds(30));

        TestContext.Out.WriteLine($"{clock.Elapsed.TotalSeconds:0.00} s; notes: {string.Join(" | ", result.Notes)}");
        Assert.That(result.GetStep("ping").Ok, Is.GreaterThan(100));
        Assert.That(result.Notes.Count(n => n.Contains("OTLP export", StringComparison.Ordinal)), Is.EqualTo(1));
        Assert.That(result.Notes.Single(n => n.Contains("OTLP", StringComparison.Ordinal)), Does.Contain($"{endpoint.Authority}/v1/metrics"));
        Assert.That(clock.Elapsed, Is.LessThan(TimeSpan.FromSeconds(8)), "a dead endpoint holds the run's end up by at most the export timeout");
    }

    [Test]
    public void Record_WithAListener_AllocatesNothingAndPublishesEachCall()
    {
        long calls = 0;
        double milliseconds = 0;
        using var listener = Listen(
            (_, value) => Interlocked.Add(ref calls, value),
            (_, value) => milliseconds += value);
        var recorder = new StepRecorder("step", telemetry: new StepTelemetry("alloc", "step"));

        long made = 0;

        Assert.That(Engine.AllocationTests.AllocatedInSteadyState(i =>
        {
            made++;
            recorder.Record((Outcome)(i % 4), 1000);
        }), Is.Zero);
        Assert.That(made, Is.GreaterThanOrEqualTo(200_000));
        Assert.That(Interlocked.Read(ref calls), Is.EqualTo(made), "each call published");
        Assert.That(milliseconds, Is.EqualTo(made * 1.0));
    }

    [Test]
    public async Task RunAsync_ArrivalsWithoutAFreeUser_PublishesEveryDroppedIteration()
    {
        long dropped = 0;
        using var listener = Listen(
            (instrument, value) =>
            {
                if (instrument.Name == LoadKitMetrics.DroppedIterations)
                {
                    Interlocked.Add(ref dropped, value);
                }
            },
            (_, _) => { });
        // 100 arrivals a second on one VU busy for 50 ms each: about half cannot start.
        var scenario = Scenario.Create("dropping")
            .Step("slow", async ctx => await Task.Delay(50, ctx.CancellationToken))
            .WithLoad(Load.ArrivalRate(100, TimeSpan.FromSeconds(1), preAllocatedUsers: 1, maxUsers: 1))
            .Build();

        var result = await LoadRunner.RunAsync(scenario, new RunOptions { Progress = ProgressMode.Off }).WaitAsync(TimeSpan.FromSeconds(30));

        TestContext.Out.WriteLine($"{result.GetScenario("dropping").Dropped} dropped in the result, {Interlocked.Read(ref dropped)} published");
        Assert.That(result.GetScenario("dropping").Dropped, Is.GreaterThan(10));
        Assert.That(Interlocked.Read(ref dropped), Is.EqualTo(result.GetScenario("dropping").Dropped));
    }

    [Test]
    public void Record_WithoutAListener_PublishesNothing()
    {
        Assert.That(LoadKitMetrics.RequestCounter.Enabled, Is.False, "no listener in this test process unless a test attached one");
        var recorder = new StepRecorder("step", telemetry: new StepTelemetry("quiet", "step"));

        Assert.That(Engine.AllocationTests.AllocatedInSteadyState(_ => recorder.Record(Outcome.Ok, 1000)), Is.Zero);
    }

    [TestCase("http://127.0.0.1:4318", "http://127.0.0.1:4318/v1/metrics")]
    [TestCase("http://collector:4318/", "http://collector:4318/v1/metrics")]
    [TestCase("https://otel.example/base", "https://otel.example/base/v1/metrics")]
    [TestCase("http://127.0.0.1:4318/v1/metrics", "http://127.0.0.1:4318/v1/metrics")]
    public void MetricsUrl_Endpoint_AppendsTheMetricsPathOnce(string endpoint, string expected) =>
        Assert.That(LoadKit.OpenTelemetry.OtlpExport.MetricsUrl(new Uri(endpoint)), Is.EqualTo(new Uri(expected)));

    [Test]
    public void Parse_BadEndpoint_NamesTheSourceAndWhatIsAllowed()
    {
        var error = Assert.Throws<ArgumentException>(() => OtlpExporter.Parse("127.0.0.1:4318", "LOADKIT_OTLP_ENDPOINT"));

        Assert.That(error!.Message, Does.Contain("LOADKIT_OTLP_ENDPOINT = '127.0.0.1:4318'").And.Contain("absolute http or https address"));
    }

    /// <summary>A listener on LoadKit's step instruments, as any OpenTelemetry SDK or dotnet-counters would attach.</summary>
    internal static MeterListener Listen(Action<Instrument, long> onLong, Action<Instrument, double> onDouble)
    {
        var listener = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Name == LoadKitMetrics.MeterName)
                {
                    l.EnableMeasurementEvents(instrument);
                }
            },
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, _, _) => onLong(instrument, value));
        listener.SetMeasurementEventCallback<double>((instrument, value, _, _) => onDouble(instrument, value));
        listener.Start();
        return listener;
    }

    private static double Count(IEnumerable<OtlpPoint> points, string metric, string step, string outcome) =>
        points.Where(p => p.Metric == metric && p.Attributes.GetValueOrDefault(LoadKitMetrics.StepAttribute) == step
            && p.Attributes.GetValueOrDefault(LoadKitMetrics.OutcomeAttribute) == outcome).Sum(p => p.Value);

    private static int ClosedPort()
    {
        using var socket = new TcpListener(IPAddress.Loopback, 0);
        socket.Start();
        var port = ((IPEndPoint)socket.LocalEndpoint).Port;
        socket.Stop();
        return port;
    }
}
