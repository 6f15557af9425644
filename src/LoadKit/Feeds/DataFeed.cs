using System.Collections.Immutable;
using System.Globalization;
using LoadKit.Feeds;

namespace LoadKit;

/// <summary>
/// Test data that VUs read one record at a time into their <see cref="Session"/>: each field becomes a session
/// value under its field name (with <see cref="FeedOptions.Prefix"/> before it), so <c>{{username}}</c> in a
/// <see cref="Template"/> picks it up. Create one from a CSV file, a JSON-lines file or a list; read it with
/// <see cref="ScenarioBuilder.Feed(DataFeed)"/> / <see cref="TaskBuilder.Feed(DataFeed)"/> in the step chain, or
/// with <see cref="ReadInto(StepContext)"/> inside a step. Files are read once, when the first scenario that uses the
/// feed is built; a feed object can serve several scenarios (each run of each scenario has its own position).
/// </summary>
public sealed class DataFeed
{
    private readonly Func<List<ValidationProblem>, FeedData?> _load;
    private readonly Lock _gate = new();
    private FeedData? _data;
    private List<ValidationProblem>? _loadProblems;

    private DataFeed(string name, FeedOptions options, Func<List<ValidationProblem>, FeedData?> load)
    {
        Name = name ?? "";
        Options = options ?? FeedOptions.Default;
        _load = load;
    }

    /// <summary>The feed's name in errors and notes: the file name, or the name given for a list.</summary>
    public string Name { get; }

    /// <summary>How the feed hands out its records.</summary>
    public FeedOptions Options { get; }

    /// <summary>The number of records (0 until a scenario using the feed has been built).</summary>
    public int Count => Volatile.Read(ref _data)?.Rows.Length ?? 0;

    /// <summary>
    /// A feed of the CSV file at <paramref name="path"/> (parsed with CsvHelper): the header row gives the field
    /// names, every value is a string. The file is read when a scenario using the feed is built.
    /// </summary>
    public static DataFeed FromCsv(string path, FeedOptions? options = null) =>
        new(Path.GetFileName(path ?? ""), options ?? FeedOptions.Default, problems => FeedFiles.ReadCsv(path, problems));

    /// <summary>
    /// A feed of the JSON-lines file at <paramref name="path"/>: one JSON object per line (blank lines skipped),
    /// whose properties are the fields. Values may be strings, numbers (a <see cref="long"/> when whole, else a
    /// <see cref="double"/>), booleans or null. The file is read when a scenario using the feed is built.
    /// </summary>
    public static DataFeed FromJsonLines(string path, FeedOptions? options = null) =>
        new(Path.GetFileName(path ?? ""), options ?? FeedOptions.Default, problems => FeedFiles.ReadJsonLines(path, problems));

    /// <summary>A feed of in-memory records, each a map from field name to value. The list is copied.</summary>
    public static DataFeed FromRecords(string name, IEnumerable<IReadOnlyDictionary<string, object?>> records, FeedOptions? options = null)
    {
        var copy = records?.Select(r => r?.ToArray()).ToArray();
        return new(name, options ?? FeedOptions.Default, problems => FeedData.FromRecords(name, copy, problems));
    }

    /// <summary>A feed of plain values, each a record with the one field <paramref name="field"/>. The list is copied.</summary>
    public static DataFeed FromValues<T>(string name, string field, IEnumerable<T> values, FeedOptions? options = null)
    {
        var copy = values?.Select(v => (object?)v).ToArray();
        return new(name, options ?? FeedOptions.Default, problems => FeedData.FromValues(name, field, copy, problems));
    }

    /// <summary>
    /// Reads this VU's next record into its session. When a unique feed that stops the scenario has run out, it
    /// asks the scenario to stop and throws <see cref="FeedExhaustedException"/>; let it leave the step, and the
    /// iteration ends without counting a failure.
    /// </summary>
    /// <exception cref="InvalidOperationException">The scenario does not use this feed (add it with <see cref="ScenarioBuilder.UseFeed"/>).</exception>
    public void ReadInto(StepContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var run = context.Session.Feeds as FeedRun;
        if (run is null || !run.TryRead(this, context.Session))
        {
            if (run?.Find(this) is null)
            {
                throw new InvalidOperationException(
                    $"Feed '{Name}' is not used by this scenario; declare it with ScenarioBuilder.UseFeed(feed) (or Feed(feed) in the step chain) so the run can bind it.");
            }

            throw new FeedExhaustedException($"Feed '{Name}' ran out; the scenario stops.");
        }
    }

    /// <inheritdoc />
    public override string ToString() => $"feed '{Name}' ({Options.Order})";

    /// <summary>Reads the data once (later calls report the same problems); null when it is invalid.</summary>
    internal FeedData? Load(string setting, List<ValidationProblem> problems)
    {
        lock (_gate)
        {
            if (_data is null && _loadProblems is null)
            {
                var found = new List<ValidationProblem>();
                ValidateOptions(found);
                var data = _load(found);
                if (data is not null && found.Count == 0)
                {
                    Volatile.Write(ref _data, data.WithPrefix(Options.Prefix));
                }
                else
                {
                    _loadProblems = found;
                }
            }

            problems.AddRange((_loadProblems ?? []).Select(p => p with { Setting = $"{setting}.{p.Setting}" }));
            return _data;
        }
    }

    /// <summary>The loaded data; only after a successful <see cref="Load"/>.</summary>
    internal FeedData Data => _data ?? throw new InvalidOperationException($"Feed '{Name}' has not been loaded.");

    /// <summary>Whether each load process gets only its segment's slice.</summary>
    internal bool IsPartitioned => Options.Partitioned ?? Options.Order == FeedOrder.Unique;

    private void ValidateOptions(List<ValidationProblem> problems)
    {
        if (string.IsNullOrWhiteSpace(Name))
        {
            problems.Add(new("Name", $"'{Name}'", "a non-empty feed name (a file path, or a name for a list)"));
        }

        if (Options.Prefix is { } prefix && string.IsNullOrWhiteSpace(prefix))
        {
            problems.Add(new("Prefix", $"'{prefix}'", "null for no prefix, or a non-blank text such as \"user.\""));
        }

        if (!Enum.IsDefined(Options.Order))
        {
            problems.Add(new("Order", Options.Order.ToString(), "Circular, Random or Unique"));
        }

        if (!Enum.IsDefined(Options.WhenExhausted))
        {
            problems.Add(new("WhenExhausted", Options.WhenExhausted.ToString(), "StopScenario or Wrap"));
        }
    }
}
