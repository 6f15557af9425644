using System.Diagnostics;

namespace LoadKit.Engine;

/// <summary>
/// How many more iterations may start, and until when: one per VU for iterations per user, one shared by all VUs
/// for shared iterations and for time-bounded loops (with no count).
/// </summary>
internal sealed class IterationBudget(long iterations, long deadlineTimestamp)
{
    private long _remaining = iterations;

    public static IterationBudget Until(long deadlineTimestamp) => new(long.MaxValue, deadlineTimestamp);

    /// <summary>No iteration may start any more: the count is used up or the deadline has passed.</summary>
    public bool Exhausted => Volatile.Read(ref _remaining) <= 0 || Stopwatch.GetTimestamp() >= deadlineTimestamp;

    public bool TryTake() => Stopwatch.GetTimestamp() < deadlineTimestamp && Interlocked.Decrement(ref _remaining) >= 0;
}
