using FluentAssertions.Execution;
using FluentAssertions;
using LoadKit.Display;

namespace LoadKit.Testing;

/// <summary>Gates on one step, one scenario's steps together, or a whole run's steps together.</summary>
public sealed partial class StepAssertions
{
    private readonly Func<string> _table;

    internal StepAssertions(StepStats subject, string label, Func<string> table, StepScope? scope = null)
    {
        Subject = subject;
        Label = label;
        _table = table;
        Scope = scope;
    }

    /// <summary>The statistics the gates check.</summary>
    public StepStats Subject { get; }

    internal string Label { get; }

    internal string Table => _table();

    /// <summary>Gates on a percentile of the successful calls' latency; any percentile above 0 and up to 100, e.g. 99.99.</summary>
    public LatencyAssertions WithPercentile(double percentile)
    {
        if (!(percentile > 0 && percentile <= 100))
        {
            throw new ArgumentOutOfRangeException(nameof(percentile), percentile,
                $"Percentile {percentile} is out of range; allowed: greater than 0 and at most 100 (e.g. 95 or 99.9).");
        }

        return new LatencyAssertions(this, Format.PercentileLabel(percentile), Subject.Latency.Percentile(percentile), d => d.Percentile(percentile));
    }

    /// <summary>Gates on the mean latency of the successful calls.</summary>
    public LatencyAssertions WithMean() => new(this, "mean", Subject.Latency.Mean, d => d.Mean);

    /// <summary>Gates on the maximum latency of the successful calls.</summary>
    public LatencyAssertions WithMax() => new(this, "max", Subject.Latency.Max, d => d.Max);

    /// <summary>Asserts that fewer than <paramref name="rate"/> (0 to 1) of the completed calls failed or timed out.</summary>
    public AndConstraint<StepAssertions> HaveFailureRateBelow(double rate, string because = "", params object[] becauseArgs)
    {
        if (!(rate >= 0 && rate <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(rate), rate, $"Failure rate limit {rate} is out of range; allowed: 0 to 1 (0.01 is 1 %).");
        }

        var failures = Subject.Failed + Subject.TimedOut;
        var measured = Subject.Completed == 0
            ? "no call completed"
            : $"it was {Format.Percent(Subject.FailureRate)} ({Format.Count(failures)} of {Format.Count(Subject.Completed)} calls failed or timed out)";
        Execute.Assertion
            .BecauseOf(because, becauseArgs)
            .ForCondition(Subject.Completed > 0 && Subject.FailureRate < rate)
            .FailWith(AssertionFailureMessage.Build($"Expected the failure rate of {Label} to be below {Format.Percent(rate)}", $", but {measured}.", Table));
        return new AndConstraint<StepAssertions>(this);
    }

    /// <summary>Asserts that at most <paramref name="count"/> calls failed or timed out.</summary>
    public AndConstraint<StepAssertions> HaveFailureCountAtMost(long count, string because = "", params object[] becauseArgs)
    {
        var failures = Subject.Failed + Subject.TimedOut;
        Execute.Assertion
            .BecauseOf(because, becauseArgs)
            .ForCondition(failures <= count)
            .FailWith(AssertionFailureMessage.Build(
                $"Expected at most {Format.Count(count)} failed or timed-out calls of {Label}",
                $", but there were {Format.Count(failures)} ({Format.Count(Subject.Failed)} failed, {Format.Count(Subject.TimedOut)} timed out).",
                Table));
        return new AndConstraint<StepAssertions>(this);
    }

    /// <summary>Asserts that at least <paramref name="requestsPerSecond"/> calls per second completed.</summary>
    public AndConstraint<StepAssertions> HaveThroughputAtLeast(double requestsPerSecond, string because = "", params object[] becauseArgs)
    {
        Execute.Assertion
            .BecauseOf(because, becauseArgs)
            .ForCondition(Subject.RequestsPerSecond >= requestsPerSecond)
            .FailWith(AssertionFailureMessage.Build(
                $"Expected the throughput of {Label} to be at least {Format.Number(requestsPerSecond)} calls/s",
                $", but it was {Format.Number(Subject.RequestsPerSecond)} calls/s ({Format.Count(Subject.Completed)} calls in {Format.Duration(Subject.Duration)}).",
                Table));
        return new AndConstraint<StepAssertions>(this);
    }
}
