using System.Collections.Immutable;
using System.Globalization;

namespace LoadKit.Feeds;

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
