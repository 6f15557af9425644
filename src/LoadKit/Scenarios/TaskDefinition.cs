using System.Collections.Immutable;
using LoadKit.Validation;

namespace LoadKit.Scenarios;

/// <summary>
/// One task of a scenario: which of the scenario's steps it runs, its think times (before its step i; the entry
/// at <c>StepCount</c> is the pause after its last step), the feeds read before its step i (after that think time),
/// and pre-work.
/// </summary>
internal sealed record TaskDefinition(
    string Name,
    double Weight,
    int FirstStep,
    int StepCount,
    ImmutableArray<ThinkTime?> ThinkTimeBefore,
    ImmutableArray<DataFeed[]?> FeedsBefore,
    Func<Session, CancellationToken, ValueTask>? PreWork);
