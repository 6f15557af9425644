using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using LoadKit.Steps;
using LoadKit.Workload;

namespace LoadKit.Feeds;

/// <summary>
/// The feeds of one scenario engine (one run of a scenario in one process): a cursor per feed over the slice this
/// process owns, and the scenario's graceful stop, which a unique feed that runs out requests. Per engine, not per
/// feed object, so a feed used by two scenarios keeps a position in each.
/// </summary>
internal sealed class FeedRun : IRunFeeds
{
    private readonly DataFeed[] _feeds;
    private readonly FeedCursor[] _cursors;
    private readonly CancellationTokenSource _stopping = new();
    private long _startTimestamp = Stopwatch.GetTimestamp();
    private string? _note;

    public FeedRun(IReadOnlyList<DataFeed> feeds, string scenarioName, SegmentShare share)
    {
        ScenarioName = scenarioName;
        _feeds = [.. feeds];
        _cursors = [.. feeds.Select(f => new FeedCursor(f, share, this))];
    }

    public string ScenarioName { get; }

    /// <summary>Cancelled when the scenario is asked to stop gracefully: no new iterations, running ones finish.</summary>
    public CancellationToken Stopping => _stopping.Token;

    public bool IsStopping => _stopping.IsCancellationRequested;

    /// <summary>Why the scenario stopped early, or null.</summary>
    public string? Note => Volatile.Read(ref _note);

    /// <summary>The cursors, for tests: the slice each feed got.</summary>
    internal IReadOnlyList<FeedCursor> Cursors => _cursors;

    /// <summary>Notes the instant the run's clock starts, for the time in <see cref="Note"/>.</summary>
    public void Started(long timestamp) => _startTimestamp = timestamp;

    public FeedCursor? Find(DataFeed feed)
    {
        // Scenarios use a few feeds: a scan by reference beats a dictionary and does not allocate.
        for (var i = 0; i < _feeds.Length; i++)
        {
            if (ReferenceEquals(_feeds[i], feed))
            {
                return _cursors[i];
            }
        }

        return null;
    }

    /// <summary>Reads the next record of <paramref name="feed"/> into the session; false when it ran out (the scenario stops).</summary>
    public bool TryRead(DataFeed feed, Session session) => Find(feed) is { } cursor && cursor.TryRead(session);

    /// <summary>Asks the scenario to stop gracefully; the first reason wins.</summary>
    public void RequestStop(string reason)
    {
        var at = Stopwatch.GetElapsedTime(_startTimestamp).TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture);
        if (Interlocked.CompareExchange(ref _note, $"scenario '{ScenarioName}' stopped at {at} s: {reason}", null) is null)
        {
            // Not Cancel(): the callbacks (the engine's waits) must not run on the VU that found the feed empty.
            _ = _stopping.CancelAsync();
        }
    }
}

/// <summary>One feed's position in one engine, over the records of the slice <c>[First, First + Count)</c>.</summary>
internal sealed class FeedCursor
{
    private readonly FeedData _data;
    private readonly FeedRun _run;
    private readonly FeedOrder _order;
    private readonly bool _wrap;
    private readonly int _seed;
    private readonly ConcurrentDictionary<int, Random>? _random;
    private long _next = -1;

    public FeedCursor(DataFeed feed, SegmentShare share, FeedRun run)
    {
        Feed = feed;
        _data = feed.Data;
        _run = run;
        _order = feed.Options.Order;
        _wrap = feed.Options.WhenExhausted == FeedExhaustion.Wrap;
        (First, Count) = feed.IsPartitioned ? Slice(share, _data.Rows.Length) : (0, _data.Rows.Length);
        if (_order == FeedOrder.Random)
        {
            _random = new ConcurrentDictionary<int, Random>();
            _seed = feed.Options.Seed ?? Random.Shared.Next();
        }
    }

    public DataFeed Feed { get; }

    /// <summary>The first record of this process's slice.</summary>
    public int First { get; }

    /// <summary>The number of records in this process's slice.</summary>
    public int Count { get; }

    /// <summary>
    /// The records of <paramref name="share"/>: <c>[floor(from·n), floor(to·n))</c>; a share that cuts another
    /// share (a lost worker's part split among survivors) cuts that share's slice the same way.
    /// </summary>
    internal static (int First, int Count) Slice(SegmentShare share, int n)
    {
        var (first, count) = share.Outer is null ? (0, n) : Slice(share.Outer, n);
        var from = (int)((Int128)share.From.Numerator * count / share.From.Denominator);
        var to = (int)((Int128)share.To.Numerator * count / share.To.Denominator);
        return (first + from, to - from);
    }

    public bool TryRead(Session session)
    {
        if (Count == 0)
        {
            return Exhausted(0);
        }

        int index;
        switch (_order)
        {
            case FeedOrder.Random:
                var random = _random!.GetOrAdd(session.UserIndex, static (user, seed) => new Random(unchecked((seed * -1640531535) ^ user)), _seed);
                index = random.Next(Count);
                break;
            case FeedOrder.Unique:
                var taken = Interlocked.Increment(ref _next);
                if (taken >= Count && !_wrap)
                {
                    return Exhausted(Count);
                }

                index = (int)(taken % Count);
                break;
            default:
                index = (int)(Interlocked.Increment(ref _next) % Count);
                break;
        }

        _data.WriteTo(First + index, session);
        return true;
    }

    private bool Exhausted(int used)
    {
        _run.RequestStop($"feed '{Feed.Name}' ran out after {used} records");
        return false;
    }
}
