namespace LoadKit;

/// <summary>
/// Thrown by <see cref="DataFeed.ReadInto(StepContext)"/> when a unique feed has run out and the scenario stops. The
/// engine catches it: the iteration ends without counting a failure. Let it propagate out of the step.
/// </summary>
public sealed class FeedExhaustedException : Exception
{
    internal FeedExhaustedException(string message)
        : base(message)
    {
    }
}
