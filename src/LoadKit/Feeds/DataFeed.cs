using System.Collections.Immutable;
using System.Globalization;

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

/// <summary>A feed's records as rows of values, with the session key of each column.</summary>
internal sealed class FeedData(ImmutableArray<string> fields, ImmutableArray<string> keys, ImmutableArray<object?[]> rows)
{
    public ImmutableArray<string> Fields { get; } = fields;

    /// <summary>The session key of each field (prefix + name).</summary>
    public ImmutableArray<string> Keys { get; } = keys;

    public ImmutableArray<object?[]> Rows { get; } = rows;

    public FeedData WithPrefix(string? prefix) =>
        prefix is null ? this : new FeedData(Fields, [.. Fields.Select(f => prefix + f)], Rows);

    /// <summary>Writes row <paramref name="index"/> into the session: one dictionary write per field, no allocation.</summary>
    public void WriteTo(int index, Session session)
    {
        var row = Rows[index];
        var keys = Keys;
        for (var i = 0; i < row.Length; i++)
        {
            session.Set(keys[i], row[i]);
        }
    }

    /// <summary>Checks field names (non-blank, unique) and that there is at least one row.</summary>
    public static FeedData? Create(IReadOnlyList<string> fields, List<object?[]> rows, string source, List<ValidationProblem> problems)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < fields.Count; i++)
        {
            if (string.IsNullOrWhiteSpace(fields[i]))
            {
                problems.Add(new($"Fields[{i}]", $"'{fields[i]}'", $"a non-blank field name ({source})"));
            }
            else if (!seen.Add(fields[i]))
            {
                problems.Add(new($"Fields[{i}]", $"'{fields[i]}'", $"a field name used once ({source})"));
            }
        }

        if (rows.Count == 0)
        {
            problems.Add(new("Records", "none", $"at least one record ({source})"));
        }

        var names = fields.ToImmutableArray();
        return problems.Count > 0 ? null : new FeedData(names, names, [.. rows]);
    }

    public static FeedData? FromRecords(string name, KeyValuePair<string, object?>[]?[]? records, List<ValidationProblem> problems)
    {
        if (records is null)
        {
            problems.Add(new("Records", "null", $"a list of records for feed '{name}'"));
            return null;
        }

        // The fields are the union of the records' keys, in order of first appearance; a record without one gives null.
        var fields = new List<string>();
        var index = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var r = 0; r < records.Length; r++)
        {
            if (records[r] is null)
            {
                problems.Add(new($"Records[{r}]", "null", "a map of field name to value"));
                continue;
            }

            foreach (var (key, _) in records[r]!)
            {
                if (key is not null && index.TryAdd(key, fields.Count))
                {
                    fields.Add(key);
                }
            }
        }

        var rows = records.Where(r => r is not null).Select(r =>
        {
            var row = new object?[fields.Count];
            foreach (var (key, value) in r!)
            {
                row[index[key]] = value;
            }

            return row;
        }).ToList();
        return Create(fields, rows, $"feed '{name}'", problems);
    }

    public static FeedData? FromValues(string name, string field, object?[]? values, List<ValidationProblem> problems)
    {
        if (values is null)
        {
            problems.Add(new("Values", "null", $"a list of values for feed '{name}'"));
            return null;
        }

        return Create([field ?? ""], [.. values.Select(v => new[] { v })], $"feed '{name}'", problems);
    }
}

/// <summary>Reads feed files; every problem names the file and, where it can, the line.</summary>
internal static class FeedFiles
{
    public static FeedData? ReadCsv(string? path, List<ValidationProblem> problems)
    {
        if (!Exists(path, "a CSV file with a header row", problems))
        {
            return null;
        }

        var rows = new List<object?[]>();
        string[] header;
        try
        {
            using var csv = CsvHelper.CsvReader.FromFile(path!, new CsvHelper.CsvReaderOptions { HasHeader = true, TrackLineNumbers = true });
            header = [.. csv.Headers];
            if (header.Length == 0)
            {
                problems.Add(new("File", $"'{path}' is empty", "a CSV file whose first row names the fields"));
                return null;
            }

            while (csv.Read())
            {
                if (csv.FieldCount != header.Length)
                {
                    problems.Add(new("File", $"'{path}' line {csv.LineNumber}",
                        $"{header.Length} values per row, as in the header ({string.Join(", ", header)}); found {csv.FieldCount}"));
                    if (problems.Count >= 10)
                    {
                        break;
                    }

                    continue;
                }

                var row = new object?[header.Length];
                for (var i = 0; i < row.Length; i++)
                {
                    row[i] = csv.GetString(i);
                }

                rows.Add(row);
            }
        }
        catch (CsvHelper.CsvFormatException exception)
        {
            problems.Add(new("File", $"'{path}'", $"well-formed CSV ({exception.Message})"));
            return null;
        }

        return Create(header, rows, path!, problems);
    }

    public static FeedData? ReadJsonLines(string? path, List<ValidationProblem> problems)
    {
        if (!Exists(path, "a JSON-lines file (one object per line)", problems))
        {
            return null;
        }

        var fields = new List<string>();
        var index = new Dictionary<string, int>(StringComparer.Ordinal);
        var records = new List<List<(int Field, object? Value)>>();
        var lineNumber = 0;
        foreach (var line in File.ReadLines(path!))
        {
            lineNumber++;
            if (string.IsNullOrWhiteSpace(line))
            {
                continue;
            }

            var record = new List<(int, object?)>();
            string? error = null;
            try
            {
                using var document = System.Text.Json.JsonDocument.Parse(line);
                if (document.RootElement.ValueKind != System.Text.Json.JsonValueKind.Object)
                {
                    error = $"a JSON object, found a {document.RootElement.ValueKind}";
                }
                else
                {
                    foreach (var property in document.RootElement.EnumerateObject())
                    {
                        if (!TryValue(property.Value, out var value))
                        {
                            error = $"string, number, true, false or null values; property '{property.Name}' is a {property.Value.ValueKind}";
                            break;
                        }

                        if (index.TryAdd(property.Name, fields.Count))
                        {
                            fields.Add(property.Name);
                        }

                        record.Add((index[property.Name], value));
                    }
                }
            }
            catch (System.Text.Json.JsonException exception)
            {
                error = $"a valid JSON object ({exception.Message})";
            }

            if (error is not null)
            {
                problems.Add(new("File", $"'{path}' line {lineNumber}", error));
                if (problems.Count >= 10)
                {
                    return null;
                }
            }
            else
            {
                records.Add(record);
            }
        }

        var rows = records.Select(r =>
        {
            var row = new object?[fields.Count];
            foreach (var (field, value) in r)
            {
                row[field] = value;
            }

            return row;
        }).ToList();
        return Create(fields, rows, path!, problems);
    }

    private static FeedData? Create(IReadOnlyList<string> fields, List<object?[]> rows, string path, List<ValidationProblem> problems) =>
        problems.Count > 0 ? null : FeedData.Create(fields, rows, $"in '{path}'", problems);

    private static bool Exists(string? path, string allowed, List<ValidationProblem> problems)
    {
        if (string.IsNullOrWhiteSpace(path))
        {
            problems.Add(new("File", $"'{path}'", $"the path of {allowed}"));
            return false;
        }

        if (!File.Exists(path))
        {
            problems.Add(new("File", $"'{path}' does not exist (full path {Path.GetFullPath(path)})", $"the path of {allowed}"));
            return false;
        }

        return true;
    }

    private static bool TryValue(System.Text.Json.JsonElement element, out object? value)
    {
        switch (element.ValueKind)
        {
            case System.Text.Json.JsonValueKind.String:
                value = element.GetString();
                return true;
            case System.Text.Json.JsonValueKind.Number:
                value = element.TryGetInt64(out var whole) ? (object)whole : element.GetDouble();
                return true;
            case System.Text.Json.JsonValueKind.True:
                value = true;
                return true;
            case System.Text.Json.JsonValueKind.False:
                value = false;
                return true;
            case System.Text.Json.JsonValueKind.Null:
                value = null;
                return true;
            default:
                value = null;
                return false;
        }
    }
}
