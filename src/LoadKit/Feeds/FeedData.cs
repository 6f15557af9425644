using System.Collections.Immutable;
using System.Globalization;

namespace LoadKit.Feeds;

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
