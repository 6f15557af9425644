using FluentAssertions.Execution;
using FluentAssertions;
using LoadKit.Display;

namespace LoadKit.Testing;

public sealed partial class LatencyAssertions
{
    /// <summary>
    /// Asserts that the figure is at most <paramref name="byMoreThan"/> (0.10 is 10 %) above the same figure of the
    /// same step in <paramref name="baseline"/>, e.g. <c>WithPercentile(95).NotRegressedFrom(LoadTest.GetBaseline(), byMoreThan: 0.10)</c>.
    /// Fails when the baseline lacks the step, or either run had no successful call of it. Passes, and says so in the
    /// test output, when the baseline is absent (its file does not exist yet).
    /// </summary>
    /// <param name="baseline">The run to compare with: <see cref="LoadTest.GetBaseline"/>, <see cref="Baseline.FromFile"/> or a <see cref="LoadResult"/>.</param>
    /// <param name="byMoreThan">How much worse the figure may be, as a share of the baseline's: 0 or more (0.10 is 10 %).</param>
    /// <param name="because">Why the gate holds, for the failure message.</param>
    /// <param name="becauseArgs">Values formatted into <paramref name="because"/>.</param>
    public AndConstraint<StepAssertions> NotRegressedFrom(Baseline baseline, double byMoreThan, string because = "", params object[] becauseArgs)
    {
        Regression.CheckAllowance(byMoreThan, nameof(byMoreThan), double.PositiveInfinity);
        var figure = $"{_figure} latency";
        if (Regression.Find(baseline, _step, figure, because, becauseArgs) is not { } before)
        {
            return new AndConstraint<StepAssertions>(_step);
        }

        var figureOf = _figureOf ?? throw new InvalidOperationException($"The {figure} of {_step.Label} cannot be compared with a baseline.");
        var calls = _step.Subject.Latency.Count;
        var baselineCalls = before.Latency.Count;
        var was = figureOf(before.Latency);
        var finding = calls == 0 ? ", but there was no successful call to measure."
            : baselineCalls == 0 ? $", but the baseline has no successful call of {_step.Label} to compare with."
            : $", but it was {Format.Milliseconds(_value)}, {Regression.Change(_value.Ticks, was.Ticks, "worse", "better")} the baseline's " +
              $"{Format.Milliseconds(was)} (allowed: {Format.Percent(byMoreThan)}; over {Format.Count(calls)} successful calls, the baseline over {Format.Count(baselineCalls)}).";
        Execute.Assertion
            .BecauseOf(because, becauseArgs)
            .ForCondition(calls > 0 && baselineCalls > 0 && _value.Ticks <= was.Ticks * (1 + byMoreThan))
            .FailWith(AssertionFailureMessage.Build(
                $"Expected {figure} of {_step.Label} to be at most {Format.Percent(byMoreThan)} worse than in the baseline ({baseline.Source})",
                finding,
                Regression.Tables(_step, baseline)));
        return new AndConstraint<StepAssertions>(_step);
    }
}
