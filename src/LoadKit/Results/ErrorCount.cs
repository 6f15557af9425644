namespace LoadKit;

/// <summary>An error message and how many calls failed with it.</summary>
/// <param name="Message">The exception type and message, or the reason passed to <see cref="StepContext.Fail"/>.</param>
/// <param name="Count">How many calls failed with this message.</param>
public sealed record ErrorCount(string Message, long Count);
