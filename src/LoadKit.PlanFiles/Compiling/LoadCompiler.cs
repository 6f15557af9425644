using System.Globalization;
using LoadKit.PlanFiles.Documents;

namespace LoadKit.PlanFiles.Compiling;

/// <summary>A plan's load phases, thresholds and think times → the DSL's <see cref="Load"/>, <see cref="Threshold"/> and <see cref="ThinkTime"/>.</summary>
internal static class LoadCompiler
{
    public static readonly string[] Phases = ["constantUsers", "rampUsers", "iterationsPerUser", "sharedIterations", "arrivalRate", "rampArrivalRate"];

    private static readonly string[] Comparisons = ["below", "atMost", "atLeast", "above"];

    private static readonly string[] Metrics = ["p<N> (p95, p99.9)", "mean", "max", "failureRate", "failureCount", "throughput", "droppedIterations"];

    /// <summary>The phase of one list item (a mapping with one of <see cref="Phases"/>), or null after a problem.</summary>
    public static LoadPhase? Phase(PlanReader reader, PlanNode node, string path)
    {
        var item = reader.Map(node, path, Phases);
        if (item is null)
        {
            return null;
        }

        var kinds = item.Present(Phases);
        if (kinds.Length != 1)
        {
            reader.Problem(node, path, kinds.Length == 0 ? "no phase" : string.Join(" and ", kinds), "one phase per item: " + string.Join(", ", Phases));
            return null;
        }

        var kind = kinds[0];
        var fields = reader.Map(item[kind], item.PathOf(kind), kind switch
        {
            "constantUsers" => ["users", "during"],
            "rampUsers" => ["from", "to", "during"],
            "iterationsPerUser" or "sharedIterations" => ["users", "iterations", "maxDuration"],
            "arrivalRate" => ["rate", "per", "during", "preAllocatedUsers", "maxUsers"],
            _ => ["from", "to", "per", "during", "preAllocatedUsers", "maxUsers"],
        });
        if (fields is null)
        {
            return null;
        }

        int? Count(string key, bool required = true) =>
            reader.Int(required ? fields.Required(key, "a whole number") : fields[key], fields.PathOf(key));
        double? Rate(string key, bool required = true) =>
            reader.Double(required ? fields.Required(key, "a number of iterations per 'per' (default 1s)") : fields[key], fields.PathOf(key));
        TimeSpan? Time(string key, bool required = true) =>
            reader.Duration(required ? fields.Required(key, Durations.Allowed) : fields[key], fields.PathOf(key));

        switch (kind)
        {
            case "constantUsers":
                return (Count("users"), Time("during")) is ({ } users, { } during) ? Load.ConstantUsers(users, during) : null;
            case "rampUsers":
                var (from, to, rampDuring) = (Count("from", required: false), Count("to"), Time("during"));
                return (to, rampDuring) is ({ } rampTo, { } rampTime) && (from is not null || !fields.Has("from"))
                    ? from is { } rampFrom ? Load.RampUsers(rampFrom, rampTo, rampTime) : Load.RampUsers(rampTo, rampTime)
                    : null;
            case "iterationsPerUser" or "sharedIterations":
                var (count, iterations, maxDuration) = (Count("users"), Count("iterations"), Time("maxDuration", required: false));
                if (count is not { } perUsers || iterations is not { } perIterations || (maxDuration is null && fields.Has("maxDuration")))
                {
                    return null;
                }

                return kind == "sharedIterations" ? Load.SharedIterations(perUsers, perIterations, maxDuration) : Load.IterationsPerUser(perUsers, perIterations, maxDuration);
            default:
                var (rateFrom, rate, per, rateDuring, preAllocated, max) = (
                    kind == "arrivalRate" ? null : Rate("from", required: false),
                    Rate(kind == "arrivalRate" ? "rate" : "to"),
                    Time("per", required: false),
                    Time("during"),
                    Count("preAllocatedUsers"),
                    Count("maxUsers"));
                if (rate is not { } target || rateDuring is not { } time || preAllocated is not { } pool || max is not { } maxUsers
                    || (per is null && fields.Has("per")) || (rateFrom is null && fields.Has("from")))
                {
                    return null;
                }

                return kind == "arrivalRate" ? Load.ArrivalRate(target, time, pool, maxUsers, per)
                    : rateFrom is { } start ? Load.RampArrivalRate(start, target, time, pool, maxUsers, per)
                    : Load.RampArrivalRate(target, time, pool, maxUsers, per);
        }
    }

    /// <summary>
    /// A threshold: <c>{ step: pay, metric: p95, below: 200ms }</c>; the subject is a step, <c>scope: iterations</c>, or
    /// all steps when neither is given; <c>abortOnFail</c> is true or a delay.
    /// </summary>
    public static Threshold? Threshold(PlanReader reader, PlanNode node, string path)
    {
        var fields = reader.Map(node, path, ["step", "scope", "metric", .. Comparisons, "abortOnFail", "includingWarmUp"]);
        if (fields is null)
        {
            return null;
        }

        var metric = reader.Text(fields.Required("metric", "one of " + string.Join(", ", Metrics)), fields.PathOf("metric"));
        var comparisons = fields.Present(Comparisons);
        if (comparisons.Length != 1)
        {
            reader.Problem(node, path, comparisons.Length == 0 ? "no limit" : string.Join(" and ", comparisons), "one limit: below, atMost, atLeast or above");
        }

        if (fields.Has("step") && fields.Has("scope"))
        {
            reader.Problem(fields["scope"], fields.PathOf("scope"), PlanReader.Show(fields["scope"]!), "either step or scope");
        }

        var step = reader.Text(fields["step"], fields.PathOf("step"), "a step name");
        var scope = reader.OneOf(fields["scope"], fields.PathOf("scope"), "allSteps", "iterations");
        if (metric is null || comparisons.Length != 1)
        {
            return null;
        }

        var target = step is not null ? LoadKit.Threshold.Step(step) : scope == "iterations" ? LoadKit.Threshold.Iterations : LoadKit.Threshold.AllSteps;
        var comparison = comparisons[0];
        var limitNode = fields[comparison]!;
        var limitPath = fields.PathOf(comparison);
        Threshold? threshold = metric switch
        {
            "mean" => Limit(target.Mean, comparison, reader.Duration(limitNode, limitPath)),
            "max" => Limit(target.Max, comparison, reader.Duration(limitNode, limitPath)),
            "failureRate" => Limit(target.FailureRate, comparison, reader.Double(limitNode, limitPath, "a failure rate from 0 to 1 (0.01 is 1 %)")),
            "failureCount" => Limit(target.FailureCount, comparison, reader.Integer(limitNode, limitPath, "a number of failed calls")),
            "throughput" => Limit(target.Throughput, comparison, reader.Double(limitNode, limitPath, "calls per second")),
            "droppedIterations" => Limit(LoadKit.Threshold.DroppedIterations, comparison, reader.Integer(limitNode, limitPath, "a number of iterations")),
            _ when metric.StartsWith('p') && double.TryParse(metric[1..], NumberStyles.Float, CultureInfo.InvariantCulture, out var percentile) =>
                Limit(target.Percentile(percentile), comparison, reader.Duration(limitNode, limitPath)),
            _ => null,
        };
        if (threshold is null && !reader.HasProblemAt(limitPath))
        {
            reader.Problem(fields["metric"], fields.PathOf("metric"), $"'{metric}'", "one of " + string.Join(", ", Metrics));
            return null;
        }

        if (metric == "droppedIterations" && (step is not null || scope is not null))
        {
            reader.Problem(node, path, metric, "droppedIterations counts the scenario's iterations: leave out step and scope");
        }

        if (fields["abortOnFail"] is ScalarNode { ScalarKind: ScalarKind.Boolean or ScalarKind.Plain } abort && NodeJson.Boolean(abort.Text) is { } flag)
        {
            threshold = flag ? threshold?.AbortOnFail() : threshold;
        }
        else if (fields.Has("abortOnFail"))
        {
            threshold = reader.Duration(fields["abortOnFail"], fields.PathOf("abortOnFail")) is { } delay ? threshold?.AbortOnFail(delay) : null;
        }

        return reader.Boolean(fields["includingWarmUp"], fields.PathOf("includingWarmUp")) == true ? threshold?.IncludingWarmUp() : threshold;
    }

    /// <summary>A think time: a duration (fixed), <c>{ min, max }</c> (uniform), <c>{ normal: {...} }</c> or <c>{ exponential: {...} }</c>.</summary>
    public static ThinkTime? ThinkTime(PlanReader reader, PlanNode node, string path)
    {
        if (node is ScalarNode)
        {
            return reader.Duration(node, path) is { } fixedTime ? LoadKit.ThinkTime.Fixed(fixedTime) : null;
        }

        var fields = reader.Map(node, path, "min", "max", "normal", "exponential");
        if (fields is null)
        {
            return null;
        }

        var forms = fields.Present("normal", "exponential");
        if (forms.Length > 1 || (forms.Length == 1 && fields.Present("min", "max").Length > 0))
        {
            reader.Problem(node, path, string.Join(" and ", fields.Present("min", "max", "normal", "exponential")), "one form: a duration, { min, max }, { normal: { mean, deviation, min, max } } or { exponential: { mean, max } }");
            return null;
        }

        if (forms.Length == 0)
        {
            var (min, max) = (reader.Duration(fields.Required("min", Durations.Allowed), fields.PathOf("min")), reader.Duration(fields.Required("max", Durations.Allowed), fields.PathOf("max")));
            return (min, max) is ({ } low, { } high) ? LoadKit.ThinkTime.Uniform(low, high) : null;
        }

        var form = forms[0];
        var spec = reader.Map(fields[form], fields.PathOf(form), form == "normal" ? ["mean", "deviation", "min", "max"] : ["mean", "max"]);
        if (spec is null)
        {
            return null;
        }

        var mean = reader.Duration(spec.Required("mean", Durations.Allowed), spec.PathOf("mean"));
        var cap = reader.Duration(spec["max"], spec.PathOf("max"));
        if (form == "exponential")
        {
            return mean is { } average && (cap is not null || !spec.Has("max")) ? LoadKit.ThinkTime.Exponential(average, cap) : null;
        }

        var deviation = reader.Duration(spec.Required("deviation", Durations.Allowed), spec.PathOf("deviation"));
        var floor = reader.Duration(spec["min"], spec.PathOf("min"));
        return mean is { } center && deviation is { } spread && (floor is not null || !spec.Has("min")) && (cap is not null || !spec.Has("max"))
            ? LoadKit.ThinkTime.Normal(center, spread, floor, cap)
            : null;
    }

    private static Threshold? Limit<T>(ThresholdLimit<T> limit, string comparison, T? value)
        where T : struct => value is not { } bound ? null : comparison switch
        {
            "below" => limit.Below(bound),
            "atMost" => limit.AtMost(bound),
            "atLeast" => limit.AtLeast(bound),
            _ => limit.Above(bound),
        };
}
