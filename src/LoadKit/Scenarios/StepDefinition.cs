using System.Collections.Immutable;
using LoadKit.HttpSteps;

namespace LoadKit.Scenarios;

internal sealed record StepDefinition(string Name, Func<StepContext, ValueTask> Action, TimeSpan Timeout)
{
    /// <summary>Whether the step is an <see cref="HttpCall"/> sent by LoadKit: it runs none of the user's code, so it may start on the socket thread.</summary>
    public bool SendsOnly { get; } = Action?.Target is HttpStepCall; // read before every step: decided once (a null action is reported by Build)
}
