namespace LoadKit;

/// <summary>The order in which a <see cref="DataFeed"/> hands out its records.</summary>
public enum FeedOrder
{
    /// <summary>Record 0, 1, 2 … to the last, then from the start again. The default.</summary>
    Circular,

    /// <summary>
    /// A record drawn uniformly at random for each read, from a generator per VU seeded with
    /// <see cref="FeedOptions.Seed"/> and the VU's index, so a VU's sequence does not depend on thread interleaving.
    /// </summary>
    Random,

    /// <summary>
    /// Each record handed out at most once in the whole run (across all workers, since unique feeds are partitioned
    /// by default); what happens after the last one is set by <see cref="FeedOptions.WhenExhausted"/>.
    /// </summary>
    Unique,
}

/// <summary>What a <see cref="FeedOrder.Unique"/> feed does when every record has been handed out.</summary>
public enum FeedExhaustion
{
    /// <summary>
    /// Stops the scenario gracefully: the VU that found the feed empty ends its iteration (not counted as a failure),
    /// no new iterations start, the ones running finish, and the run's <see cref="LoadResult.Notes"/> say so. The default.
    /// </summary>
    StopScenario,

    /// <summary>
    /// Starts over from the first record. Records are then reused: after the wrap two VUs can hold the same record,
    /// so use it only where uniqueness matters until the feed runs out and not after.
    /// </summary>
    Wrap,
}

/// <summary>How a <see cref="DataFeed"/> hands out its records and where they land in the session.</summary>
public sealed record FeedOptions
{
    /// <summary>The default options: circular order, no prefix.</summary>
    public static FeedOptions Default { get; } = new();

    /// <summary>The order of the records. <value>The default is <see cref="FeedOrder.Circular"/>.</value></summary>
    public FeedOrder Order { get; init; } = FeedOrder.Circular;

    /// <summary>
    /// The seed of <see cref="FeedOrder.Random"/>: each VU draws from its own generator seeded with this and its
    /// index, so a run with the same seed and VUs reads the same sequences. <value>The default is null: a new seed per run.</value>
    /// </summary>
    public int? Seed { get; init; }

    /// <summary>What a unique feed does once all its records are used. <value>The default is <see cref="FeedExhaustion.StopScenario"/>.</value></summary>
    public FeedExhaustion WhenExhausted { get; init; } = FeedExhaustion.StopScenario;

    /// <summary>
    /// Put before each field name to make the session key (<c>"user."</c> turns field <c>name</c> into
    /// <c>user.name</c>). <value>The default is null: the field name alone.</value> An empty prefix is rejected.
    /// </summary>
    public string? Prefix { get; init; }

    /// <summary>
    /// Whether a distributed run gives each worker only the records of its execution segment
    /// <c>[floor(from·n), floor(to·n))</c>, so that workers never share a record.
    /// <value>The default is null: partitioned for <see cref="FeedOrder.Unique"/>, shared (every worker reads all records) otherwise.</value>
    /// </summary>
    public bool? Partitioned { get; init; }
}
