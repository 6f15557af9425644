using LoadKit.Display;

namespace LoadKit;

/// <summary>How a threshold fared in a run. Immutable.</summary>
/// <param name="Threshold">What the threshold says, e.g. <c>p95 of step 'pay' &lt; 200.00 ms</c>.</param>
/// <param name="Scenario">The scenario that declared it; null for a threshold on the run.</param>
/// <param name="Passed">Whether the final statistics keep to it. One with nothing to measure fails.</param>
/// <param name="Observed">The figure at the end, e.g. <c>231.40 ms</c>, or why there is none (<c>no successful call</c>).</param>
public sealed record ThresholdOutcome(string Threshold, string? Scenario, bool Passed, string Observed)
{
    /// <summary>When it was first seen crossed while the run lasted, from the run's start; null when it never was.</summary>
    public TimeSpan? CrossedAt { get; init; }

    /// <summary>When crossing it stopped the run, from the run's start; null when it did not stop the run.</summary>
    public TimeSpan? StoppedRunAt { get; init; }

    /// <summary>One line, e.g. <c>✗ p95 of step 'pay' &lt; 200.00 ms: 231.40 ms (crossed at 3.10 s; stopped the run at 5.00 s)</c>.</summary>
    public override string ToString()
    {
        var when = (CrossedAt, StoppedRunAt) switch
        {
            (_, { } stopped) => $" (crossed at {Format.Duration(CrossedAt ?? stopped)}; stopped the run at {Format.Duration(stopped)})",
            ({ } crossed, _) => $" (first crossed at {Format.Duration(crossed)})",
            _ => "",
        };
        return $"{(Passed ? "✓" : "✗")} {(Scenario is null ? "" : $"[{Scenario}] ")}{Threshold}: {Observed}{when}";
    }
}
