using System.Collections.Immutable;

namespace LoadKit.Scenarios;

internal sealed record StepDefinition(string Name, Func<StepContext, ValueTask> Action, TimeSpan Timeout);
