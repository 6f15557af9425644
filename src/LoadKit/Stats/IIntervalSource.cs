namespace LoadKit.Stats;

/// <summary>Something the collector closes an interval on once a second.</summary>
internal interface IIntervalSource
{
    /// <summary>Closes the interval numbered <paramref name="second"/>; called by one collector thread only.</summary>
    void CollectInterval(int second);

    /// <summary>
    /// Ends the interval's writes now (its data waits for <see cref="CollectInterval"/>), so that several sources can
    /// end theirs at one instant. Optional: by default the interval ends when it is collected.
    /// </summary>
    void EndInterval()
    {
    }

    /// <summary>Lets its timeline's points of seconds before <paramref name="second"/> go (they were sent); any thread.</summary>
    void ForgetBefore(int second);
}
