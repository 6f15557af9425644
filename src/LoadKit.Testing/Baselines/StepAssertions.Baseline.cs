using FluentAssertions.Execution;
using FluentAssertions;
using LoadKit.Display;

namespace LoadKit.Testing;

public sealed partial class StepAssertions
{
    /// <summary>Which statistics of another result (a baseline) are the same as <see cref="Subject"/>; null when unknown.</summary>
    internal StepScope? Scope { get; }

    /// <summary>
    /// Asserts that the throughput (completed calls per second) is at most <paramref name="byMoreThan"/> (0.10 is
    /// 10 %) below that of the same step in <paramref name="baseline"/>. Fails when the baseline lacks the step or
    /// completed no call of it; passes, and says so in the test output, when the baseline is absent.
    /// </summary>
    /// <param name="baseline">The run to compare with: <see cref="LoadTest.GetBaseline"/>, <see cref="Baseline.FromFile"/> or a <see cref="LoadResult"/>.</param>
    /// <param name="byMoreThan">How much lower the throughput may be, as a share of the baseline's: 0 to 1 (0.10 is 10 %).</param>
    /// <param name="because">Why the gate holds, for the failure message.</param>
    /// <param name="becauseArgs">Values formatted into <paramref name="because"/>.</param>
    public AndConstraint<StepAssertions> HaveThroughputNotRegressedFrom(Baseline baseline, double byMoreThan, string because = "", params object[] becauseArgs)
    {
        Regression.CheckAllowance(byMoreThan, nameof(byMoreThan), 1);
        if (Regression.Find(baseline, this, "throughput", because, becauseArgs) is not { } before)
        {
            return new AndConstraint<StepAssertions>(this);
        }

        var now = Subject.RequestsPerSecond;
        var was = before.RequestsPerSecond;
        var finding = before.Completed == 0
            ? $", but the baseline completed no call of {Label} to compare with."
            : $", but it was {Format.Number(now)} calls/s, {Regression.Change(now, was, "higher", "lower")} the baseline's {Format.Number(was)} calls/s " +
              $"(allowed: {Format.Percent(byMoreThan)}; {Format.Count(Subject.Completed)} calls in {Format.Duration(Subject.Duration)}, " +
              $"the baseline {Format.Count(before.Completed)} in {Format.Duration(before.Duration)}).";
        Execute.Assertion
            .BecauseOf(because, becauseArgs)
            .ForCondition(before.Completed > 0 && now >= was * (1 - byMoreThan))
            .FailWith(AssertionFailureMessage.Build(
                $"Expected the throughput of {Label} to be at most {Format.Percent(byMoreThan)} lower than in the baseline ({baseline.Source})",
                finding,
                Regression.Tables(this, baseline)));
        return new AndConstraint<StepAssertions>(this);
    }

    /// <summary>
    /// Asserts that the failure rate (failed and timed-out calls among completed ones) is at most the rate of the
    /// same step in <paramref name="baseline"/> plus <paramref name="plus"/>. The allowance is added, not multiplied,
    /// because a baseline without failures would otherwise allow none: <c>plus: 0.01</c> lets 0.2 % become 1.2 %.
    /// Fails when either run completed no call of the step or the baseline lacks it; passes, and says so in the test
    /// output, when the baseline is absent.
    /// </summary>
    /// <param name="baseline">The run to compare with: <see cref="LoadTest.GetBaseline"/>, <see cref="Baseline.FromFile"/> or a <see cref="LoadResult"/>.</param>
    /// <param name="plus">How much higher the rate may be, in rate units: 0 to 1 (0.01 is one percentage point).</param>
    /// <param name="because">Why the gate holds, for the failure message.</param>
    /// <param name="becauseArgs">Values formatted into <paramref name="because"/>.</param>
    public AndConstraint<StepAssertions> HaveFailureRateNoHigherThan(Baseline baseline, double plus = 0, string because = "", params object[] becauseArgs)
    {
        Regression.CheckAllowance(plus, nameof(plus), 1);
        if (Regression.Find(baseline, this, "failure rate", because, becauseArgs) is not { } before)
        {
            return new AndConstraint<StepAssertions>(this);
        }

        var now = Subject.FailureRate;
        var was = before.FailureRate;
        var difference = now - was;
        var finding = Subject.Completed == 0 ? ", but no call completed."
            : before.Completed == 0 ? $", but the baseline completed no call of {Label} to compare with."
            : $", but it was {Format.Percent(now)} ({Format.Count(Subject.Failed + Subject.TimedOut)} of {Format.Count(Subject.Completed)} calls failed or timed out), " +
              $"{Regression.Points(Math.Abs(difference))} {(difference >= 0 ? "above" : "below")} the baseline's {Format.Percent(was)} " +
              $"({Format.Count(before.Failed + before.TimedOut)} of {Format.Count(before.Completed)}; allowed: {Regression.Points(plus)} above).";
        Execute.Assertion
            .BecauseOf(because, becauseArgs)
            .ForCondition(Subject.Completed > 0 && before.Completed > 0 && difference <= plus + 1e-12)
            .FailWith(AssertionFailureMessage.Build(
                $"Expected the failure rate of {Label} to be at most {Regression.Points(plus)} above the baseline's ({baseline.Source})",
                finding,
                Regression.Tables(this, baseline)));
        return new AndConstraint<StepAssertions>(this);
    }
}
