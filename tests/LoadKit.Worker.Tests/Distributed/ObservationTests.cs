using System.Collections.Concurrent;
using System.Text;
using LoadKit.TestTargets;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace LoadKit.Worker.Tests.Distributed;

/// <summary>What a distributed run shows of itself: each worker's health, the controller's merged progress, the workers' live metrics.</summary>
public class ObservationTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(90);

    [Test]
    public async Task TwoWorkers_ShortLoad_HealthPerWorkerMergedProgressAndOtlpFromTheWorkers()
    {
        await using var cluster = await Cluster.StartAsync(2);
        var bodies = new ConcurrentQueue<byte[]>();
        await using var receiver = LoopbackApp.Create();
        receiver.MapPost("/v1/metrics", async (HttpRequest request) =>
        {
            using var body = new MemoryStream();
            await request.Body.CopyToAsync(body);
            bodies.Enqueue(body.ToArray());
            return Microsoft.AspNetCore.Http.Results.Bytes([], "application/x-protobuf");
        });
        var otlp = (await LoopbackApp.StartAsync(receiver))[0];
        var progress = new StringWriter();
        var options = cluster.Options(change: c => c with { Forward = [.. c.Forward, OtlpExporter.EndpointVariable] })
            with { Progress = ProgressMode.Lines, ProgressWriter = TextWriter.Synchronized(progress) };
        Environment.SetEnvironmentVariable(OtlpExporter.EndpointVariable, otlp.ToString());
        LoadResult result;
        try
        {
            result = await LoadRunner.RunAsync([DistributedScenarios.Short], options).WaitAsync(Bound);
        }
        finally
        {
            Environment.SetEnvironmentVariable(OtlpExporter.EndpointVariable, null);
        }

        TestContext.Out.WriteLine(SummaryTable.Render(result));
        TestContext.Out.WriteLine(progress.ToString());

        // Health: one entry per worker, named by its id, never averaged into one.
        Assert.That(result.Generators.Select(g => g.Process), Is.EquivalentTo(result.Workers.Select(w => w.Id)));
        foreach (var generator in result.Generators)
        {
            Assert.That(generator.Samples.Select(s => s.Second), Is.Ordered.Ascending.And.Unique, "samples sent once each across the snapshots");
            // A sample per second of a 2 s run, joined from the snapshots; a second in which a starved worker could not
            // sample (this machine is shared) has none, and a run that overran has more.
            Assert.That(generator.Samples, Has.Count.GreaterThanOrEqualTo(1));
            Assert.That(generator.Samples.Select(s => s.Second), Has.All.InRange(0, (int)Math.Ceiling(result.Duration.TotalSeconds)));
        }

        Assert.That(result.Workers.Select(w => w.Result.Generators.Single().Process), Is.EqualTo(result.Workers.Select(w => w.Id)));
        Assert.That(SummaryTable.Render(result), Does.Contain("Load generators:"));

        // Progress: the controller's lines show the merged figures; the last one has the whole run's calls.
        var lines = progress.ToString().Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries);
        Assert.That(lines, Has.Length.GreaterThanOrEqualTo(2));
        Assert.That(lines[^1], Does.Contain($"failures 0 of {result.GetStep("get").Completed:N0} "));
        Assert.That(result.GetStep("get").Completed, Is.EqualTo(200));

        // Metrics: both workers exported over OTLP to the forwarded endpoint.
        var text = string.Join("\n", bodies.Select(b => Encoding.UTF8.GetString(b)));
        Assert.That(bodies, Has.Count.GreaterThanOrEqualTo(2));
        Assert.That(text, Does.Contain(LoadKitMetrics.Requests).And.Contain(LoadKitMetrics.ActiveUsers).And.Contain("short").And.Contain("get"));
        Assert.That(result.Notes, Has.None.Contains("OTLP"));
    }

    [Test]
    public async Task TwoWorkers_SteadyRate_ProgressShowsTheRateOfBothInEachSecond_EventsAndGeneratorsLive()
    {
        await using var cluster = await Cluster.StartAsync(2);
        var progress = new StringWriter();
        var recorder = new RunRecorder();
        var options = cluster.Options() with { Progress = ProgressMode.Lines, ProgressWriter = TextWriter.Synchronized(progress), Observers = [recorder] };

        var result = await LoadRunner.RunAsync([DistributedScenarios.Steady600], options).WaitAsync(Bound);

        TestContext.Out.WriteLine(progress.ToString());
        TestContext.Out.WriteLine(recorder.Describe());
        var workers = result.Workers.Select(w => w.Id).ToArray();
        Assert.That(workers, Has.Length.EqualTo(2));

        // Events: each worker's start, named after it, and log lines of each worker's process.
        var events = recorder.Events;
        Assert.That(events.Where(e => e.Kind == RunEventKind.Started).Select(e => e.Source), Is.EquivalentTo(workers));
        Assert.That(events.Where(e => e.Kind == RunEventKind.Started).Select(e => e.Message), Has.All.Match(@"^Started its share segment [12] of 2 \(.*\] [\d.]+ ms (after|before) the start instant"));
        foreach (var (worker, process) in workers.Zip(result.Workers.Select(w => cluster.Workers.Single(p => w.Id.Contains($"-{p.ProcessId}-", StringComparison.Ordinal)))))
        {
            var lines = events.Where(e => e.Kind == RunEventKind.Log && e.Source == worker).ToArray();
            Assert.That(lines.Select(l => l.Message), Has.Some.Contains("ready with steady"), $"the worker's own line, from {worker}");
            Assert.That(process.Output, Does.Contain(lines.First(l => l.Message.Contains("ready with steady", StringComparison.Ordinal)).Message), "a line its process logged");
        }

        Assert.That(events.Where(e => e.Kind == RunEventKind.Log && e.Source == "controller").Select(e => e.Message), Has.One.StartsWith("The run ended after"));
        Assert.That(events.Where(e => e.Level != RunEventLevel.Information), Is.Empty, "nothing went wrong, and no worker logged a warning");
        Assert.That(progress.ToString(), Does.Contain(": Started its share segment 1 of 2 (0, 1/2]").And.Contain(": Started its share segment 2 of 2 (1/2, 1]"), "the starts on the console");

        // Generators: both workers in each snapshot, their calls adding up to the snapshot's all-steps rate of that second.
        var snapshots = recorder.Snapshots.Where(s => s.Generators.Count > 0 && s.Generators[0].Second >= 0).ToArray();
        Assert.That(snapshots, Has.Length.GreaterThanOrEqualTo(8));
        foreach (var snapshot in snapshots)
        {
            var second = snapshot.Generators[0].Second;
            var calls = snapshot.Scenarios.SelectMany(s => s.Steps).SelectMany(s => s.Timeline).Where(p => p.Second == second).Sum(p => p.Ok + p.Failed + p.TimedOut);
            Assert.That(snapshot.Generators.Select(g => g.Process), Is.EquivalentTo(workers));
            Assert.That(snapshot.Generators.Select(g => g.Second), Has.All.EqualTo(second), "one second for all");
            Assert.That(snapshot.Generators.Sum(g => g.CallsPerSecond), Is.EqualTo(calls), $"second {second}: the workers' calls add up to the snapshot's");
            Assert.That(snapshot.Generators.Select(g => g.Lost), Is.All.Null);
            Assert.That(snapshot.Generators.Select(g => g.Segment), Is.EquivalentTo(new[] { "segment 1 of 2 (0, 1/2]", "segment 2 of 2 (1/2, 1]" }));
        }

        // Published when the controller's second moves on or a worker ends (2 s after the last when neither happened),
        // not once per worker's snapshot (that gave 24 for this 13 s run); the last one holds every call.
        Assert.That(recorder.Snapshots, Has.Count.LessThanOrEqualTo((int)(1.5 * result.Duration.TotalSeconds) + 2), "about one per second of the run");
        Assert.That(recorder.Snapshots[^1].Scenarios.SelectMany(s => s.Steps).Sum(s => s.Completed), Is.EqualTo(result.Scenarios.SelectMany(s => s.Steps).Sum(s => s.Completed)));

        var steady = snapshots.Where(s => s.Generators[0].Second is >= 2 and <= 10).ToArray();
        Assert.That(steady, Has.Length.GreaterThanOrEqualTo(5));
        Assert.That(steady.SelectMany(s => s.Generators), Has.All.Matches<GeneratorSnapshot>(g => g.Health is { CpuPercent: > 0 } && g.Cores > 0 && g.CallsPerSecond > 0),
            "each worker's health and calls in each second of the steady load");

        // The lines of seconds 3 to 10 of the 12 s load: each shows the controller's current second, the latest one
        // both workers sent, so its rate is both workers' (one worker's alone would be about 300).
        var rates = progress.ToString().Split(Environment.NewLine)
            .Select(l => System.Text.RegularExpressions.Regex.Match(l, @"^00:(\d\d) / 00:12 .* rps ([\d,]+) "))
            .Where(m => m.Success && int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) is >= 3 and <= 10)
            .Select(m => long.Parse(m.Groups[2].Value.Replace(",", ""), System.Globalization.CultureInfo.InvariantCulture))
            .ToArray();
        Assert.That(result.Workers, Has.All.Matches<WorkerResult>(w => w.Lost is null));
        Assert.That(rates, Has.Length.GreaterThanOrEqualTo(4));
        Assert.That(rates.Count(r => r is >= 480 and <= 720), Is.GreaterThanOrEqualTo((int)Math.Ceiling(rates.Length * 0.75)),
            $"600/s within 20 % in most lines: {string.Join(", ", rates)}");
    }
}
