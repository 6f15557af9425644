using System.Globalization;
using FluentAssertions.Execution;
using LoadKit.Display;
using NUnit.Framework;

namespace LoadKit.Testing;

/// <summary>What every regression gate does before and after comparing its figure: find the baseline's statistics, build the tables.</summary>
internal static class Regression
{
    /// <summary>
    /// The statistics of <paramref name="step"/>'s scope in <paramref name="baseline"/>. Null when there is nothing to
    /// compare: the baseline is absent (the gate passes and says so in the test output) or lacks the step (the gate
    /// has failed, naming it).
    /// </summary>
    public static StepStats? Find(Baseline baseline, StepAssertions step, string figure, string because, object[] becauseArgs)
    {
        ArgumentNullException.ThrowIfNull(baseline);
        if (baseline.Result is not { } result)
        {
            // A CI's first run has no baseline yet: the gate must neither fail the build nor pass unseen.
            var line = $"LoadKit: {figure} of {step.Label} was not compared with a baseline: {baseline.Absence}. " +
                $"The regression gate passed without comparing; {LoadTest.BaselineSaveVariable} saves a run's result as the next baseline.";
            TestContext.Out.WriteLine(line);
            return null;
        }

        if (step.Scope is not { } scope)
        {
            throw new InvalidOperationException($"The gates on {step.Label} cannot be compared with a baseline: they do not know which step they check.");
        }

        var found = scope.Find(result, out var missing);
        Execute.Assertion
            .BecauseOf(because, becauseArgs)
            .ForCondition(found is not null)
            .FailWith(AssertionFailureMessage.Build($"Expected the baseline ({baseline.Source}) to have {step.Label} to compare its {figure} with", $", but {missing}.", Tables(step, baseline)));
        return found;
    }

    /// <summary>This run's table, then the baseline's.</summary>
    public static string Tables(StepAssertions step, Baseline baseline) =>
        step.Table + Environment.NewLine + Environment.NewLine +
        $"The baseline ({baseline.Source}):" + Environment.NewLine +
        (step.Scope is { } scope && baseline.Result is { } result ? scope.Table(result) : "(none)");

    /// <summary>An allowed regression: a share from 0 up to <paramref name="max"/> (0.10 is 10 %).</summary>
    public static void CheckAllowance(double value, string name, double max)
    {
        if (!(value >= 0 && value <= max))
        {
            throw new ArgumentOutOfRangeException(name, value, double.IsPositiveInfinity(max)
                ? $"Allowed regression {value} is out of range; allowed: 0 or more (0.10 is 10 %)."
                : $"Allowed regression {value} is out of range; allowed: 0 to {max} (0.10 is 10 %).");
        }
    }

    /// <summary>A relative change in words, followed by "than": <c>31.2 % worse than</c>, <c>4 % lower than</c>.</summary>
    public static string Change(double now, double before, string higher, string lower)
    {
        if (now == before)
        {
            return "unchanged from";
        }

        if (before == 0)
        {
            return $"{higher} (the baseline was 0) than";
        }

        var change = (now - before) / before;
        return $"{Format.Percent(Math.Abs(change))} {(change > 0 ? higher : lower)} than";
    }

    /// <summary>A difference of two rates in percentage points, e.g. <c>2.3 percentage points</c>.</summary>
    public static string Points(double rate) =>
        (rate * 100).ToString("0.##", CultureInfo.InvariantCulture) + (Math.Abs(rate * 100 - 1) < 1e-9 ? " percentage point" : " percentage points");
}
