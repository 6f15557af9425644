using System.Text;
using LoadKit.Display;
using LoadKit.Reporting;

namespace LoadKit;

/// <summary>
/// The end-of-run summary as plain text: per scenario, a table with one row per step (latencies in milliseconds,
/// of successful calls) and the most frequent errors. No colours or control codes, so it reads the same in a
/// terminal and in a CI log.
/// </summary>
public static class SummaryTable
{
    private static readonly string[] Headers =
        ["step", "ok", "failed", "timeout", "cancelled", "rps", "min", "mean", "p50", "p75", "p90", "p95", "p99", "p99.9", "max"];

    /// <summary>How many error messages per step the summary shows.</summary>
    public const int ErrorsPerStep = 5;

    /// <summary>Renders the summary of every scenario of <paramref name="result"/>.</summary>
    public static string Render(LoadResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        var text = new StringBuilder();
        if (result.Cancelled)
        {
            text.AppendLine("Run cancelled: the statistics cover what ran until then.");
        }

        foreach (var scenario in result.Scenarios)
        {
            Render(scenario, text);
        }

        RenderWorkers(result, text);
        RenderGenerators(result, text);
        if (result.Thresholds.Count > 0)
        {
            text.Append("Thresholds: ").Append(result.Thresholds.Count(t => t.Passed)).Append(" of ").Append(result.Thresholds.Count).AppendLine(" passed");
            foreach (var threshold in result.Thresholds)
            {
                text.Append("  ").AppendLine(threshold.ToString());
            }
        }

        foreach (var note in result.Notes)
        {
            text.Append("note: ").AppendLine(note);
        }

        return text.ToString();
    }

    /// <summary>Renders the summary of one scenario.</summary>
    public static string Render(ScenarioResult scenario)
    {
        ArgumentNullException.ThrowIfNull(scenario);
        var text = new StringBuilder();
        Render(scenario, text);
        return text.ToString();
    }

    private static void Render(ScenarioResult scenario, StringBuilder text)
    {
        text.Append("Scenario '").Append(scenario.Name).Append("': ").AppendLine(Headline(scenario));
        if (scenario.Init is { } init && init.Completed > init.Ok)
        {
            text.Append("  init failed for ").Append(Format.Count(init.Completed - init.Ok)).Append(" of ")
                .Append(Format.Count(init.Completed)).AppendLine(" users (they ran no iterations)");
        }

        if (scenario.Dropped > 0 || scenario.SchedulingLag.Count > 0)
        {
            text.Append("  scheduled iterations: ").Append(Format.Count(scenario.Dropped)).Append(" dropped (no free VU), ")
                .Append(Format.Count(scenario.Late)).Append(" late; start lag p50 ")
                .Append(Format.Milliseconds(scenario.SchedulingLag.P50)).Append(", p99 ")
                .Append(Format.Milliseconds(scenario.SchedulingLag.P99)).Append(", max ")
                .AppendLine(Format.Milliseconds(scenario.SchedulingLag.Max));
        }

        if (scenario.WarmUp is { } warmUp)
        {
            text.Append("  warm-up (not in the table): ").Append(Format.Count(warmUp.Iterations.Completed + warmUp.Iterations.Cancelled))
                .Append(" iterations, ").Append(Format.Count(warmUp.AllSteps.Completed)).AppendLine(" calls");
        }

        if (scenario.AbandonedUsers > 0)
        {
            text.Append("  ").Append(scenario.AbandonedUsers)
                .AppendLine(" users were abandoned: a step ignored its cancellation token and was still running");
        }

        AppendTable(text, StepRows(scenario));
        text.AppendLine("  latencies in ms, of successful calls; rps counts ok + failed + timeout");
        if (scenario.Measurements.Count > 0)
        {
            AppendTable(text, MeasurementRows(scenario));
            text.AppendLine("  measurements recorded by steps: ok counts samples, in ms (scores such as cls read as their value)");
        }

        AppendHttp(text, scenario);
        AppendWebSockets(text, scenario);
        AppendGrpc(text, scenario);
        AppendErrors(text, scenario);
    }

    /// <summary>A scenario in one line: duration, users, iterations and how they ended.</summary>
    internal static string Headline(ScenarioResult scenario)
    {
        var iterations = scenario.Iterations;
        return $"{Format.Duration(scenario.Duration)}, {scenario.Users} {(scenario.Users == 1 ? "user" : "users")} (peak {scenario.PeakUsers} active), " +
            $"{Format.Count(iterations.Ok + iterations.Failed + iterations.TimedOut + iterations.Cancelled)} iterations " +
            $"({Format.Count(iterations.Ok)} ok, {Format.Count(iterations.Failed + iterations.TimedOut)} failed, {Format.Count(iterations.Cancelled)} cancelled)";
    }

    /// <summary>The header and a row per step (and one for all steps when there are several): the table every report shows.</summary>
    internal static List<string[]> StepRows(ScenarioResult scenario)
    {
        var rows = new List<string[]> { Headers };
        rows.AddRange(scenario.Steps.Select(Row));
        if (scenario.Steps.Count > 1)
        {
            rows.Add(Row(scenario.AllSteps));
        }

        return rows;
    }

    /// <summary>The header and a row per measurement that steps recorded (page metrics).</summary>
    internal static List<string[]> MeasurementRows(ScenarioResult scenario) => [["measurement", .. Headers[1..]], .. scenario.Measurements.Select(Row)];

    /// <summary>The start skew of a distributed run and the spread of the workers' first calls, as every report words them.</summary>
    internal static string StartSkew(LoadResult result) =>
        (result.StartSkew is { } skew ? Format.LatencyNumber(skew.TotalMilliseconds) + " ms (latest start minus earliest, controller clock)" : "unknown (no worker started)") +
        (result.FirstCallSpread is { } spread ? ", first calls " + Format.LatencyNumber(spread.TotalMilliseconds) + " ms apart" : "");

    /// <summary>A distributed run's workers: a row each and the start skew.</summary>
    private static void RenderWorkers(LoadResult result, StringBuilder text)
    {
        if (result.Workers.Count == 0)
        {
            return;
        }

        text.Append("Workers: ").Append(result.Workers.Count).Append(", start skew ").AppendLine(StartSkew(result));
        AppendTable(text, WorkerRows(result));
    }

    /// <summary>Each load process's health: a row each, then a warning for each that ran out of CPU.</summary>
    private static void RenderGenerators(LoadResult result, StringBuilder text)
    {
        if (result.Generators.Count == 0)
        {
            return;
        }

        text.AppendLine("Load generators:");
        AppendTable(text, GeneratorRows(result));
        foreach (var warning in GeneratorWarnings(result))
        {
            text.Append("WARNING: ").AppendLine(warning);
        }
    }

    /// <summary>The header and a row per load process: CPU, working set, GC and thread-pool queue over the run.</summary>
    internal static List<string[]> GeneratorRows(LoadResult result)
    {
        var rows = new List<string[]> { new[] { "generator", "cores", "cpu peak %", "cpu mean %", "working set peak MB", "gc 0/1/2", "gc pause ms", "queue peak" } };
        rows.AddRange(result.Generators.Select(g =>
        {
            var (gen0, gen1, gen2) = g.Collections;
            return new[]
            {
                g.Process,
                g.Cores.ToString(System.Globalization.CultureInfo.InvariantCulture),
                g.Samples.Count == 0 ? "-" : Percent(g.PeakCpuPercent),
                g.Samples.Count == 0 ? "-" : Percent(g.MeanCpuPercent),
                g.Samples.Count == 0 ? "-" : Format.Number(g.PeakWorkingSetBytes / (1024.0 * 1024.0)),
                $"{Format.Count(gen0)}/{Format.Count(gen1)}/{Format.Count(gen2)}",
                Format.LatencyNumber(g.GcPause.TotalMilliseconds),
                Format.Count(g.PeakThreadPoolQueueLength),
            };
        }));
        return rows;

        static string Percent(double value) => value.ToString("0.0", System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>A sentence for each load process whose CPU peaked above <see cref="GeneratorHealth.CpuWarningPercent"/>.</summary>
    internal static IEnumerable<string> GeneratorWarnings(LoadResult result) => result.Generators.Where(g => g.CpuSaturated).Select(g =>
        $"generator {g.Process} used {g.PeakCpuPercent.ToString("0.#", System.Globalization.CultureInfo.InvariantCulture)} % of its CPU at its peak " +
        $"(above {GeneratorHealth.CpuWarningPercent:0} %): the generator, not the target, may have been the bottleneck; " +
        "give the load more cores or more workers, or make the steps cheaper.");

    /// <summary>The header and a row per worker: segment, clock offset, start and first call (after the earliest start), calls, rps, p95, gaps, state.</summary>
    internal static List<string[]> WorkerRows(LoadResult result)
    {
        var first = result.Workers.Select(w => w.StartedAt).OfType<DateTimeOffset>().DefaultIfEmpty().Min();
        var rows = new List<string[]> { new[] { "worker", "segment", "clock offset", "started +ms", "first call +ms", "calls", "rps", "p95", "missing s", "state" } };
        rows.AddRange(result.Workers.Select(w =>
        {
            var steps = StepStats.Merge("all", [.. w.Result.Scenarios.SelectMany(s => s.Steps)], w.Result.Scenarios.Select(s => s.Duration).DefaultIfEmpty().Max());
            return new[]
            {
                w.Id,
                w.Segment,
                Format.Milliseconds(w.ClockOffset),
                w.StartedAt is { } started ? Format.LatencyNumber((started - first).TotalMilliseconds) : "-",
                w.FirstCallAt is { } call && w.StartedAt is not null ? Format.LatencyNumber((call - first).TotalMilliseconds) : "-",
                Format.Count(steps.Completed),
                Format.Number(steps.RequestsPerSecond),
                steps.Latency.Count == 0 ? "-" : Format.LatencyNumber(steps.Latency.P95.TotalMilliseconds),
                w.MissingSeconds.Count == 0 ? "0" : w.MissingSeconds.Count.ToString(System.Globalization.CultureInfo.InvariantCulture),
                w.Lost is null ? "finished" : "LOST",
            };
        }));
        return rows;
    }

    private static string[] Row(StepStats step)
    {
        var latency = step.Latency;
        return
        [
            step.Name,
            Format.Count(step.Ok),
            Format.Count(step.Failed),
            Format.Count(step.TimedOut),
            Format.Count(step.Cancelled),
            Format.Number(step.RequestsPerSecond),
            Ms(latency.Min), Ms(latency.Mean), Ms(latency.P50), Ms(latency.P75), Ms(latency.P90),
            Ms(latency.P95), Ms(latency.P99), Ms(latency.P999), Ms(latency.Max),
        ];

        string Ms(TimeSpan value) => latency.Count == 0 ? "-" : Format.LatencyNumber(value.TotalMilliseconds);
    }

    private static void AppendTable(StringBuilder text, List<string[]> rows)
    {
        var widths = Enumerable.Range(0, rows[0].Length).Select(c => rows.Max(r => r[c].Length)).ToArray();
        foreach (var row in rows)
        {
            text.Append("  ").Append(row[0].PadRight(widths[0]));
            for (var c = 1; c < row.Length; c++)
            {
                text.Append("  ").Append(row[c].PadLeft(widths[c]));
            }

            text.AppendLine();
        }
    }

    /// <summary>Status codes, body bytes and time to headers of the steps that made HTTP requests.</summary>
    private static void AppendHttp(StringBuilder text, ScenarioResult scenario)
    {
        var steps = scenario.Steps.Where(s => s.Http is not null).ToArray();
        if (steps.Length == 0)
        {
            return;
        }

        text.AppendLine("  http:");
        foreach (var step in steps)
        {
            var http = step.Http!;
            text.Append("    ").Append(step.Name).Append(": ")
                .Append(StatusCodeReport.Text(step, StatusCodeReport.Http, "no responses"))
                .Append("; body bytes sent ").Append(Format.Count(http.BodyBytesSent))
                .Append(", received ").Append(Format.Count(http.BodyBytesReceived))
                .Append("; time to headers p50 ").Append(Format.LatencyNumber(http.TimeToHeaders.P50.TotalMilliseconds))
                .Append(" p95 ").Append(Format.LatencyNumber(http.TimeToHeaders.P95.TotalMilliseconds)).AppendLine(" ms");
        }
    }

    /// <summary>The connections of the steps that used WebSockets: opened, failed to open, closed by the server, dropped.</summary>
    private static void AppendWebSockets(StringBuilder text, ScenarioResult scenario)
    {
        var steps = scenario.Steps.Where(s => s.WebSocket is not null).ToArray();
        if (steps.Length == 0)
        {
            return;
        }

        text.AppendLine("  websocket connections:");
        foreach (var step in steps)
        {
            var connections = step.WebSocket!;
            text.Append("    ").Append(step.Name).Append(": ")
                .Append(Format.Count(connections.Opened)).Append(" opened, ")
                .Append(Format.Count(connections.Failed)).Append(" failed to open, ")
                .Append(Format.Count(connections.ClosedByServer)).Append(" closed by the server, ")
                .Append(Format.Count(connections.Dropped)).AppendLine(" dropped");
        }
    }

    /// <summary>Status codes, messages and connections of the steps that made gRPC calls.</summary>
    private static void AppendGrpc(StringBuilder text, ScenarioResult scenario)
    {
        var steps = scenario.Steps.Where(s => s.Grpc is not null).ToArray();
        if (steps.Length == 0)
        {
            return;
        }

        text.AppendLine("  grpc:");
        foreach (var step in steps)
        {
            var grpc = step.Grpc!;
            text.Append("    ").Append(step.Name).Append(": ")
                .Append(StatusCodeReport.Text(step, StatusCodeReport.Grpc, "no call ended"))
                .Append("; messages sent ").Append(Format.Count(grpc.MessagesSent))
                .Append(", received ").Append(Format.Count(grpc.MessagesReceived))
                .Append("; connections opened ").AppendLine(Format.Count(grpc.ConnectionsOpened));
        }
    }

    private static void AppendErrors(StringBuilder text, ScenarioResult scenario)
    {
        var steps = scenario.Steps.Concat(new[] { scenario.Init, scenario.Cleanup }.OfType<StepStats>())
            .Where(s => s.Errors.Count > 0)
            .ToArray();
        if (steps.Length == 0)
        {
            return;
        }

        text.AppendLine("  errors:");
        foreach (var step in steps)
        {
            foreach (var error in step.Errors.Take(ErrorsPerStep))
            {
                text.Append("    ").Append(step.Name).Append(": ").Append(Format.Count(error.Count)).Append(" × ")
                    .AppendLine(error.Message);
            }

            if (step.Errors.Count > ErrorsPerStep)
            {
                text.Append("    ").Append(step.Name).Append(": and ").Append(step.Errors.Count - ErrorsPerStep)
                    .AppendLine(" more distinct messages (see the JSON result)");
            }
        }
    }
}
