namespace LoadKit.Stats;

/// <summary>Something the collector closes an interval on once a second.</summary>
internal interface IIntervalSource
{
    /// <summary>Closes the interval numbered <paramref name="second"/>; called by one collector thread only.</summary>
    void CollectInterval(int second);
}
