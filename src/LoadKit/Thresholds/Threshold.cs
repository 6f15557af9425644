using LoadKit.Display;
using LoadKit.Thresholds;
using LoadKit.Validation;

namespace LoadKit;

/// <summary>
/// A pass/fail limit on a figure of the run, declared on a scenario (<see cref="ScenarioBuilder.WithThresholds"/>) or
/// on the run (<see cref="RunOptions.Thresholds"/>), e.g.
/// <c>Threshold.Step("pay").Percentile(95).Below(TimeSpan.FromMilliseconds(200))</c>. Thresholds are evaluated every
/// second while the run lasts, on the merged statistics of every process, and once more at the end; the result lists
/// each outcome (<see cref="LoadResult.Thresholds"/>). One marked with <see cref="AbortOnFail"/> stops the run early
/// when it is crossed. The warm-up is left out unless <see cref="IncludingWarmUp"/> says otherwise. Immutable.
/// </summary>
public sealed class Threshold
{
    private Threshold(ThresholdSubject subject, ThresholdFigure figure, Comparison comparison, double limit)
    {
        Subject = subject;
        Figure = figure;
        Comparison = comparison;
        Limit = limit;
    }

    /// <summary>Whether crossing this threshold stops the run (after <see cref="AbortDelay"/> from its start).</summary>
    public bool AbortsRun { get; private init; }

    /// <summary>How long after the run's start a crossing may stop it, so that early, noisy figures do not.</summary>
    public TimeSpan AbortDelay { get; private init; }

    /// <summary>Whether the warm-up's statistics count too (by default they do not).</summary>
    public bool IncludesWarmUp { get; private init; }

    internal ThresholdSubject Subject { get; }

    internal ThresholdFigure Figure { get; }

    internal Comparison Comparison { get; }

    /// <summary>The limit in the figure's unit: milliseconds for latency, a share 0 to 1 for a rate, calls per second, a count.</summary>
    internal double Limit { get; }

    /// <summary>Limits on one step's calls (in a run-level threshold: the step of that name in whichever scenario has it).</summary>
    public static ThresholdTarget Step(string name) => new(new ThresholdSubject(SubjectKind.Step, name));

    /// <summary>
    /// Limits on a measurement that a step records (<see cref="StepContext.Record(string, TimeSpan)"/>), e.g.
    /// <c>Threshold.Measurement("home", "lcp").Percentile(75).Below(TimeSpan.FromSeconds(2.5))</c>: its latency figures
    /// are those of the samples. The same as <c>Threshold.Step("home › lcp")</c>.
    /// </summary>
    public static ThresholdTarget Measurement(string step, string measurement) => Step(step + Stats.MeasurementRecorders.Separator + measurement);

    /// <summary>Limits on the calls of every step together.</summary>
    public static ThresholdTarget AllSteps { get; } = new(new ThresholdSubject(SubjectKind.AllSteps, null));

    /// <summary>Limits on whole iterations (latency: an iteration's duration, think time included).</summary>
    public static ThresholdTarget Iterations { get; } = new(new ThresholdSubject(SubjectKind.Iterations, null));

    /// <summary>A limit on the iterations an open model could not start on time (dropped).</summary>
    public static ThresholdLimit<long> DroppedIterations { get; } =
        new(new ThresholdSubject(SubjectKind.Scenario, null), new ThresholdFigure(FigureKind.Dropped, 0), v => v);

    /// <summary>
    /// This threshold, stopping the run when it is crossed (k6's <c>abortOnFail</c>); crossings before
    /// <paramref name="delay"/> from the run's start do not stop it (k6's <c>delayAbortEval</c>). The result says which
    /// threshold stopped the run and when.
    /// </summary>
    public Threshold AbortOnFail(TimeSpan delay = default) => new(Subject, Figure, Comparison, Limit)
    {
        AbortsRun = true,
        AbortDelay = delay,
        IncludesWarmUp = IncludesWarmUp,
    };

    /// <summary>This threshold, counting the warm-up's statistics too.</summary>
    public Threshold IncludingWarmUp() => new(Subject, Figure, Comparison, Limit)
    {
        AbortsRun = AbortsRun,
        AbortDelay = AbortDelay,
        IncludesWarmUp = true,
    };

    /// <summary>What the threshold says, e.g. <c>p95 of step 'pay' &lt; 200.00 ms</c>.</summary>
    public override string ToString() =>
        $"{Figure}{(Subject.Kind == SubjectKind.Scenario ? "" : $" of {Subject}")} {Comparison switch { Comparison.Below => "<", Comparison.AtMost => "≤", Comparison.AtLeast => "≥", _ => ">" }} {Figure.Show(Limit)}";

    internal static Threshold Create<T>(ThresholdLimit<T> limit, Comparison comparison, T value) =>
        new(limit.Subject, limit.Figure, comparison, limit.ToNumber(value));

    internal void Validate(string setting, IReadOnlyCollection<string>? stepNames, List<ValidationProblem> problems)
    {
        if (Figure.Kind == FigureKind.Percentile && !(Figure.Percentile > 0 && Figure.Percentile <= 100))
        {
            problems.Add(new(setting, ToString(), "a percentile greater than 0 and at most 100, e.g. 95 or 99.9"));
        }

        if (!double.IsFinite(Limit) || Limit < 0 || (Figure.Kind == FigureKind.FailureRate && Limit > 1))
        {
            problems.Add(new(setting, ToString(), Figure.Kind == FigureKind.FailureRate ? "a failure rate limit from 0 to 1 (0.01 is 1 %)" : "a limit of 0 or more"));
        }

        if (Subject.Kind == SubjectKind.Step && (string.IsNullOrEmpty(Subject.StepName) || (stepNames is not null && !NamesStepOrMeasurement(Subject.StepName, stepNames))))
        {
            problems.Add(new(setting, ToString(), stepNames is null
                ? "a step name"
                : Subject.StepName!.Contains(Stats.MeasurementRecorders.Separator, StringComparison.Ordinal)
                    ? $"a measurement of a step of the scenario ('step{Stats.MeasurementRecorders.Separator}name'), whose steps are: {string.Join(", ", stepNames.Select(n => $"'{n}'"))}"
                    : $"a step of the scenario: {string.Join(", ", stepNames.Select(n => $"'{n}'"))}"));
        }

        if (AbortDelay < TimeSpan.Zero || AbortDelay > Check.LongestDuration)
        {
            problems.Add(new(setting + ".AbortDelay", Format.Duration(AbortDelay), $"from 0 to {Format.Duration(Check.LongestDuration)}"));
        }
    }

    /// <summary>A step's name, or a measurement's ("step › name", whose step exists: measurements are named on first use).</summary>
    private static bool NamesStepOrMeasurement(string name, IReadOnlyCollection<string> stepNames)
    {
        if (stepNames.Contains(name))
        {
            return true;
        }

        var separator = name.LastIndexOf(Stats.MeasurementRecorders.Separator, StringComparison.Ordinal);
        return separator > 0 && separator + Stats.MeasurementRecorders.Separator.Length < name.Length && stepNames.Contains(name[..separator]);
    }

    /// <summary>
    /// Its state on <paramref name="scenarios"/> (a live view's snapshot, or a result): whether the figure keeps to the
    /// limit so far, or null while there is nothing to measure, and the figure as shown.
    /// </summary>
    public ThresholdState StateOn(IReadOnlyList<ScenarioResult> scenarios)
    {
        ArgumentNullException.ThrowIfNull(scenarios);
        var (passed, observed) = Evaluate(scenarios);
        return new ThresholdState(passed, observed);
    }

    /// <summary>
    /// Measures the figure on <paramref name="scenarios"/> (a step in several of them is merged): whether it keeps to
    /// the limit, or null when there is nothing to measure yet (no successful call for a latency, no call at all for a
    /// rate), and the figure as shown.
    /// </summary>
    internal (bool? Passed, string Observed) Evaluate(IReadOnlyList<ScenarioResult> scenarios)
    {
        var parts = IncludesWarmUp ? scenarios.SelectMany(s => s.WarmUp is { } warmUp ? [s, warmUp] : new[] { s }).ToArray() : [.. scenarios];
        if (Figure.Kind == FigureKind.Dropped)
        {
            var dropped = parts.Sum(s => s.Dropped);
            return (Holds(dropped), Format.Count(dropped));
        }

        var stats = (Subject.Kind switch
        {
            SubjectKind.Step => parts.SelectMany(s => s.Steps.Concat(s.Measurements)).Where(step => step.Name == Subject.StepName),
            SubjectKind.AllSteps => parts.SelectMany(s => s.Steps),
            _ => parts.Select(s => s.Iterations),
        }).Select(s => s with { Timeline = [] }).ToArray(); // totals only: a merge of timelines would grow with the run
        var merged = stats.Length == 1 ? stats[0]
            : StepStats.Merge(Subject.ToString(), stats, scenarios.Select(s => s.Duration + (IncludesWarmUp ? s.WarmUp?.Duration ?? TimeSpan.Zero : TimeSpan.Zero)).DefaultIfEmpty().Max());
        double? value = Figure.Kind switch
        {
            _ when Figure.IsLatency && merged.Latency.Count == 0 => null,
            FigureKind.Percentile => merged.Latency.Percentile(Figure.Percentile).TotalMilliseconds,
            FigureKind.Mean => merged.Latency.Mean.TotalMilliseconds,
            FigureKind.Max => merged.Latency.Max.TotalMilliseconds,
            FigureKind.FailureRate => merged.Completed == 0 ? null : merged.FailureRate,
            FigureKind.FailureCount => merged.Failed + merged.TimedOut,
            _ => merged.RequestsPerSecond,
        };
        return value is { } measured
            ? (Holds(measured), Figure.Show(measured))
            : (null, Figure.IsLatency ? "no successful call" : "no call completed");
    }

    /// <summary>Whether <paramref name="value"/> (in the limit's unit) keeps to the limit.</summary>
    internal bool Holds(double value) => Comparison switch
    {
        Comparison.Below => value < Limit,
        Comparison.AtMost => value <= Limit,
        Comparison.AtLeast => value >= Limit,
        _ => value > Limit,
    };
}

/// <summary>What a threshold limits: a step, all steps or whole iterations. Pick a figure to get its limit.</summary>
public sealed class ThresholdTarget
{
    internal ThresholdTarget(ThresholdSubject subject) => Subject = subject;

    /// <summary>A percentile of the successful calls' latency, any from above 0 to 100 (p99.9, p99.99: exact from the histogram).</summary>
    public ThresholdLimit<TimeSpan> Percentile(double percentile) => Latency(new ThresholdFigure(FigureKind.Percentile, percentile));

    /// <summary>The mean latency of the successful calls.</summary>
    public ThresholdLimit<TimeSpan> Mean => Latency(new ThresholdFigure(FigureKind.Mean, 0));

    /// <summary>The highest latency of the successful calls.</summary>
    public ThresholdLimit<TimeSpan> Max => Latency(new ThresholdFigure(FigureKind.Max, 0));

    /// <summary>The share of completed calls that failed or timed out, from 0 to 1.</summary>
    public ThresholdLimit<double> FailureRate => new(Subject, new ThresholdFigure(FigureKind.FailureRate, 0), v => v);

    /// <summary>How many calls failed or timed out.</summary>
    public ThresholdLimit<long> FailureCount => new(Subject, new ThresholdFigure(FigureKind.FailureCount, 0), v => v);

    /// <summary>Completed calls per second.</summary>
    public ThresholdLimit<double> Throughput => new(Subject, new ThresholdFigure(FigureKind.Throughput, 0), v => v);

    internal ThresholdSubject Subject { get; }

    private ThresholdLimit<TimeSpan> Latency(ThresholdFigure figure) => new(Subject, figure, v => v.TotalMilliseconds);
}

/// <summary>A figure waiting for its limit; each method returns the <see cref="Threshold"/>.</summary>
/// <typeparam name="T">The figure's type: <see cref="TimeSpan"/> for latency, <see cref="double"/> for rates, <see cref="long"/> for counts.</typeparam>
public sealed class ThresholdLimit<T>
{
    internal ThresholdLimit(ThresholdSubject subject, ThresholdFigure figure, Func<T, double> toNumber)
    {
        Subject = subject;
        Figure = figure;
        ToNumber = toNumber;
    }

    internal ThresholdSubject Subject { get; }

    internal ThresholdFigure Figure { get; }

    /// <summary>The limit in the figure's unit (milliseconds for latency); the figure shows it as it shows its values.</summary>
    internal Func<T, double> ToNumber { get; }

    /// <summary>Passes while the figure is strictly below <paramref name="limit"/>.</summary>
    public Threshold Below(T limit) => Threshold.Create(this, Comparison.Below, limit);

    /// <summary>Passes while the figure is at most <paramref name="limit"/>.</summary>
    public Threshold AtMost(T limit) => Threshold.Create(this, Comparison.AtMost, limit);

    /// <summary>Passes while the figure is at least <paramref name="limit"/>.</summary>
    public Threshold AtLeast(T limit) => Threshold.Create(this, Comparison.AtLeast, limit);

    /// <summary>Passes while the figure is strictly above <paramref name="limit"/>.</summary>
    public Threshold Above(T limit) => Threshold.Create(this, Comparison.Above, limit);
}

/// <summary>A threshold's state at some moment of a run (<see cref="Threshold.StateOn"/>).</summary>
/// <param name="Passed">Whether the figure keeps to the limit; null while there is nothing to measure yet.</param>
/// <param name="Observed">The figure as shown, e.g. <c>212 ms</c>, or why there is none.</param>
public sealed record ThresholdState(bool? Passed, string Observed);
