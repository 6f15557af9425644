namespace LoadKit.Results;

/// <summary>How one step call (or one iteration) ended.</summary>
internal enum Outcome
{
    Ok,
    Failed,
    TimedOut,

    /// <summary>Interrupted because the run stopped (graceful stop elapsed or the caller cancelled).</summary>
    Cancelled,
}
