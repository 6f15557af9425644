using FluentAssertions.Execution;
using FluentAssertions;
using LoadKit.Display;

namespace LoadKit.Testing;

/// <summary>A latency figure of a step (a percentile, the mean or the max) waiting for its limit.</summary>
public sealed partial class LatencyAssertions
{
    private readonly StepAssertions _step;
    private readonly string _figure;
    private readonly TimeSpan _value;
    private readonly Func<LatencyDistribution, TimeSpan>? _figureOf;

    internal LatencyAssertions(StepAssertions step, string figure, TimeSpan value, Func<LatencyDistribution, TimeSpan>? figureOf = null)
    {
        _step = step;
        _figure = figure;
        _value = value;
        _figureOf = figureOf;
    }

    /// <summary>Asserts that the figure is strictly below <paramref name="limit"/>. Fails when there was no successful call.</summary>
    public AndConstraint<StepAssertions> Below(TimeSpan limit, string because = "", params object[] becauseArgs) =>
        Check(_value < limit, "below", limit, because, becauseArgs);

    /// <summary>Asserts that the figure is at most <paramref name="limit"/>. Fails when there was no successful call.</summary>
    public AndConstraint<StepAssertions> AtMost(TimeSpan limit, string because = "", params object[] becauseArgs) =>
        Check(_value <= limit, "at most", limit, because, becauseArgs);

    private AndConstraint<StepAssertions> Check(bool holds, string relation, TimeSpan limit, string because, object[] becauseArgs)
    {
        var calls = _step.Subject.Latency.Count;
        var measured = calls == 0
            ? "there was no successful call to measure"
            : $"it was {Format.Milliseconds(_value)} (over {Format.Count(calls)} successful calls)";
        Execute.Assertion
            .BecauseOf(because, becauseArgs)
            .ForCondition(calls > 0 && holds)
            .FailWith(AssertionFailureMessage.Build(
                $"Expected {_figure} latency of {_step.Label} to be {relation} {Format.Milliseconds(limit)}",
                $", but {measured}.",
                _step.Table));
        return new AndConstraint<StepAssertions>(_step);
    }
}
